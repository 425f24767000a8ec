"""Pages of the help center at /help/ on the tenant's host: readable without a login."""
