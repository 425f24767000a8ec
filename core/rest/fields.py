"""Serializer fields limited to the request's tenant."""
from __future__ import annotations

from rest_framework import serializers

from core.rest.filters import is_id


class TenantPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key limited to the request's tenant: another tenant's ID is "does not exist"."""

    def __init__(self, model=None, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.all() if model else None)
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        tenant = getattr(request, "tenant", None) if request else None
        if tenant is None:
            return self.model.objects.none()
        return self.model.objects.for_tenant(tenant)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not is_id(data):
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)
