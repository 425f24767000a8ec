"""Helpers shared by the settings pages."""
from __future__ import annotations

from django.core.exceptions import ValidationError


class DryRun(Exception):
    """Raised inside ``transaction.atomic`` to undo a service call that was only a preview."""


def add_service_errors(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: on its field when the form has one, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
