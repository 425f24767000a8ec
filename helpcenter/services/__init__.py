"""Writes of the help center, one module per area; each service is keyword-only and atomic."""
