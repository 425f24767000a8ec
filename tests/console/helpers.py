"""Helpers of the settings tests: the POST data a browser would send for a form as shown."""
from __future__ import annotations

from datetime import date

from django import forms


def form_data(form: forms.Form) -> dict:
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(bound.field, forms.MultipleChoiceField):
            data[bound.html_name] = [str(v) for v in (value or [])]
        elif isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        elif value is None:
            data[bound.html_name] = ""
        elif isinstance(value, date):
            data[bound.html_name] = value.isoformat()
        else:
            data[bound.html_name] = str(value)
    return data
