"""Serializer fields limited to the request's tenant."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.rest.filters import is_id


class _TenantRowsMixin:
    """Rows of the request's tenant only: another tenant's row "does not exist"."""

    def get_queryset(self):
        request = self.context.get("request")
        tenant = getattr(request, "tenant", None) if request else None
        if tenant is None:
            return self.model.objects.none()
        return self.model.objects.for_tenant(tenant)

    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null for relations; the schema says a code or ID (or null where allowed).
        if data == "":
            raise serializers.ValidationError(_("Give an ID or a code, or null."), code="invalid")
        return super().run_validation(data)


class TenantPrimaryKeyField(_TenantRowsMixin, serializers.PrimaryKeyRelatedField):
    """A foreign key limited to the request's tenant: another tenant's ID is "does not exist"."""

    def __init__(self, model=None, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.all() if model else None)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not is_id(data):
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class TenantSlugField(_TenantRowsMixin, serializers.SlugRelatedField):
    """A tenant's row by its code; another tenant's code does not exist."""

    def __init__(self, model, slug_field: str = "code", **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.all())
        super().__init__(slug_field=slug_field, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


MIN_YEAR, MAX_YEAR = 1900, 2199


def _year_error(field):
    from django.utils.translation import gettext as _

    return _("Use a date in the years %(min)s–%(max)s.") % {"min": MIN_YEAR, "max": MAX_YEAR}


YEAR_PATTERN = r"^(19|20|21)\d{2}-"


@extend_schema_field({"type": "string", "format": "date", "pattern": YEAR_PATTERN,
                      "description": "A date of the years 1900–2199."})
class BoundedDateField(serializers.DateField):
    """A date in the years 1900–2199: far dates overflow the date arithmetic of terms and deadlines."""

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            raise serializers.ValidationError(_year_error(self))
        return result


@extend_schema_field({"type": "string", "format": "date-time", "pattern": YEAR_PATTERN})
class BoundedDateTimeField(serializers.DateTimeField):
    """A moment in the years 1900–2199 (in UTC too: 9999-12-31T23:59-12:00 is past the year 9999)."""

    def to_internal_value(self, value):
        try:
            result = super().to_internal_value(value)
        except OverflowError:
            raise serializers.ValidationError(_year_error(self)) from None
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            raise serializers.ValidationError(_year_error(self))
        return result
