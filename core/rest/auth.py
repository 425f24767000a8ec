"""Who is calling: a tenant API token or a staff member's browser session."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication


from core.models import ApiToken, Tenant, User

TOKEN_PREFIX = "hd_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``: the token's tenant becomes ``request.tenant``.

    The request acts as the staff member who created the token (audit trail, message author).
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        token = token.strip()
        if not token or " " in token:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header: use “Bearer <token>”."))
        row = (ApiToken.objects.select_related("tenant", "created_by")
               .filter(key_hash=token_hash(token), revoked_at__isnull=True).first())
        if row is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API token."))
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        django_request = request._request
        django_request.tenant = row.tenant
        django_request.membership = None
        django_request.contact = None
        user = row.created_by if row.created_by is not None and row.created_by.is_active else None
        from django.contrib.auth.models import AnonymousUser

        return (user or AnonymousUser(), row)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.rest.auth.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A tenant API token (`manage.py create_api_token` or the admin)."}


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "core.rest.auth.StaffSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "The browser session of a logged-in staff member (unsafe methods need the CSRF token)."}


class StaffSessionAuthentication(SessionAuthentication):
    """The browser session; the tenant and role come from ``core.middleware``."""


def tenant_of(request) -> Tenant:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise exceptions.PermissionDenied(_("No tenant."))
    return tenant


def actor_of(request) -> User | None:
    user = request.user
    return user if user is not None and user.is_authenticated else None


def is_admin(request) -> bool:
    if isinstance(request.auth, ApiToken):
        return request.auth.is_admin
    membership = getattr(request, "membership", None)
    return membership is not None and membership.is_admin
