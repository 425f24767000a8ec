"""Reads of the help center; each takes the tenant (or a viewer, which carries it)."""
