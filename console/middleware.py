"""The second factor at login (django-otp's TOTP devices).

A logged-in person with a confirmed device confirms the session with a code before anything else;
a tenant admin of a tenant that requires a second factor and has none sets one up first. The API
answers a session that is not confirmed yet with a 403 (tokens carry no session and are not held
back); health and metrics probes, static files, logging out and the pages of the second factor
itself are never held back.
"""
from __future__ import annotations

from urllib.parse import urlencode

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


def _api_forbidden():
    """The API's own problem+json (``core.rest.errors``), as DRF would answer a refused request."""
    from django.http import JsonResponse

    code = "second_factor_required"
    return JsonResponse({"type": f"urn:helpdesk:problem:{code}", "title": "Forbidden", "status": 403,
                         "detail": gettext("Confirm the login with the second factor first."), "code": code},
                        status=403, content_type=PROBLEM_CONTENT_TYPE)


def _to(name: str, request):
    return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
