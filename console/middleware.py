"""The second factor at login (django-otp's TOTP devices).

A logged-in person with a confirmed device confirms the session with a code before anything else;
a tenant admin of a tenant that requires a second factor and has none sets one up first. The API
answers a session that is not confirmed yet with a 403 (tokens carry no session and are not held
back); health and metrics probes, static files, logging out and the pages of the second factor
itself are never held back.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext

from console.devices import has_confirmed_device
from core.rest.errors import PROBLEM_CONTENT_TYPE

EXEMPT_PREFIXES = ("/static/", "/healthz", "/metrics", "/logout/", "/language/", "/account/second-factor/")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        if getattr(user, "is_verified", lambda: False)():
            return self.get_response(request)
        if has_confirmed_device(request):
            if request.path.startswith("/api/"):
                return _api_forbidden()
            return _to("account:second_factor_verify", request)
        membership = getattr(request, "membership", None)
        tenant = getattr(request, "tenant", None)
        if membership is not None and membership.is_admin and tenant is not None \
                and tenant.admin_second_factor_required:
            return _to("account:second_factor", request)
        return self.get_response(request)


def _api_forbidden(code: str = "second_factor_required", detail: str = ""):
    """The API's own problem+json (``core.rest.errors``), as DRF would answer a refused request."""
    detail = detail or gettext("Confirm the login with the second factor first.")
    return JsonResponse({"type": f"urn:helpdesk:problem:{code}", "title": "Forbidden", "status": 403,
                         "detail": detail, "code": code}, status=403, content_type=PROBLEM_CONTENT_TYPE)


def _to(name: str, request):
    return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


# What read-only staff may still post: their own login (log out, second factor, language) and the
# "who is viewing this ticket" ping, which changes no ticket.
READ_ONLY_EXEMPT_PREFIXES = ("/logout/", "/language/", "/account/", "/i18n/")
READ_ONLY_EXEMPT_SUFFIXES = ("/presence/",)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ReadOnlyRoleMiddleware:
    """Staff in a read-only role (``core.models.READ_ONLY_ROLES``) read everything their tenant's staff
    may read and change nothing: any other method is a 403 (JSON on the API), whichever page sends it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        if (membership is None or not membership.read_only or request.method in SAFE_METHODS
                or request.path.startswith(READ_ONLY_EXEMPT_PREFIXES)
                or (request.path.startswith("/agent/") and request.path.endswith(READ_ONLY_EXEMPT_SUFFIXES))):
            return self.get_response(request)
        message = gettext("Your role can view but not change anything.")
        if request.path.startswith("/api/"):
            return _api_forbidden("read_only_role", message)
        raise PermissionDenied(message)
