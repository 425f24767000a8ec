"""Staff only; writes that change contracts are the tenant admins'."""
from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission

from core.models import ApiToken
from core.rest.auth import is_admin


class IsTenantStaff(BasePermission):
    """A token, or the session of a staff member of the request's tenant. Customers get 403."""

    message = gettext_lazy("The API is for the staff of this helpdesk.")

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiToken):
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        return getattr(request, "tenant", None) is not None and getattr(request, "membership", None) is not None


class AdminForWrites(BasePermission):
    """Reads for all staff; writes for tenant admins (admin tokens or admin sessions)."""

    message = gettext_lazy("Only a tenant admin may change this.")

    def has_permission(self, request, view):
        return request.method in ("GET", "HEAD", "OPTIONS") or is_admin(request)
