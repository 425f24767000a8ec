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
from django_otp import user_has_device

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
        if user_has_device(user, confirmed=True):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "second_factor_required",
                                     "message": gettext("Confirm the login with the second factor first.")},
                                    status=403)
            return _to("account:second_factor_verify", request)
        membership = getattr(request, "membership", None)
        tenant = getattr(request, "tenant", None)
        if membership is not None and membership.is_admin and tenant is not None \
                and tenant.admin_second_factor_required:
            return _to("account:second_factor", request)
        return self.get_response(request)


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
            return JsonResponse({"code": "read_only_role", "message": message}, status=403)
        raise PermissionDenied(message)
