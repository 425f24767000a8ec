"""Query filters that refuse what they do not understand (a 400, never a silent ignore)."""
from __future__ import annotations

from datetime import timezone as dt_timezone

import django_filters
from django import forms as django_forms
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema_field,
)

MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    """A row ID the database can compare (huge numbers overflow SQLite's integers)."""
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A whole-number row ID in a query string."""

    field_class = django_forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "boolean"})
class BoolFilter(django_filters.Filter):
    """``true`` or ``false``; anything else is a 400."""

    field_class = django_forms.TypedChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


class StrictFilterSet(django_filters.FilterSet):
    """Filters whose parameter is present but empty (``?organization=``) are a 400, not ignored."""

    def is_valid(self):
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter) or name not in self.data:
                continue
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            if any(value in ("", None) for value in values):
                if name not in self.form.errors:
                    self.form.add_error(name, _("Give a value or leave the parameter out."))
                valid = False
        return valid


MIN_YEAR, MAX_YEAR = 1900, 2199


class _BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        try:
            result = super().to_python(value)
        except OverflowError:
            result = None
            raise django_forms.ValidationError(_("Use a moment in the years 1900–2199.")) from None
        if result is not None and not MIN_YEAR <= result.year <= MAX_YEAR:
            raise django_forms.ValidationError(_("Use a moment in the years 1900–2199."))
        if result is not None and result.utcoffset() is not None:
            # ISO 8601 allows offsets up to ±23:59, PostgreSQL only up to ±15:59: compare in UTC.
            result = result.astimezone(dt_timezone.utc)
        return result


@extend_schema_field({"type": "string", "format": "date-time", "pattern": r"^(19|20|21)\d{2}-"})
class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment in the years 1900–2199 (a far one overflows when converted to UTC)."""

    field_class = _BoundedIsoDateTimeField


class UpdatedSinceFilterSet(StrictFilterSet):
    updated_since = BoundedIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text="Only rows changed at or after this moment (ISO 8601 with an offset): incremental sync.")
