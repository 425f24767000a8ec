"""Resolve ``request.tenant`` and the language of every request.

How the tenant is found, in order:
1. the host name: a request to a host equal to ``Tenant.domain`` (e.g. ``kjm.localhost``) is that
   tenant's, whoever is logged in;
2. otherwise the logged-in user's own tenant: a customer's contact belongs to exactly one tenant; a
   staff member of several tenants works in the one chosen in the session (``tenant_id``), by
   default the first of their memberships;
3. otherwise there is none (the login page and other public pages).

``request.membership`` is the user's staff role in that tenant and ``request.contact`` their contact
there; both are ``None`` when the user has no such role in the resolved tenant, so a user of tenant
A on tenant B's host name is treated as a stranger (404s, not 403s, for B's objects).
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from core import tenancy_cache as tenant_cache
from core.models import Contact, Membership, Tenant

SESSION_TENANT_KEY = "tenant_id"
HEALTH_PATH = "/healthz"
LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH:
            # The health probe must answer 503 itself when the database is down, not fail here.
            request.tenant, request.membership, request.contact = None, None, None
        else:
            request.tenant, request.membership, request.contact = resolve(request)
        return self.get_response(request)


def resolve(request) -> tuple[Tenant | None, Membership | None, Contact | None]:
    """``_resolve``'s answer from the cache (``core.tenancy_cache``): no query on most requests."""
    host = request.get_host().rsplit(":", 1)[0].lower()
    user = request.user
    if not user.is_authenticated:
        return tenant_cache.cached(("host", host), lambda: (_tenant_of_host(host), None, None))
    chosen = request.session.get(SESSION_TENANT_KEY)
    return tenant_cache.cached(("user", user.pk, host, chosen), lambda: _resolve(host, user, chosen))


def _tenant_of_host(host: str) -> Tenant | None:
    return Tenant.objects.filter(domain=host).first() if host else None


def _resolve(host: str, user, chosen) -> tuple[Tenant | None, Membership | None, Contact | None]:
    tenant = _tenant_of_host(host)
    contact = Contact.objects.select_related("organization", "tenant").filter(user=user).first()
    if tenant is None and contact is not None:
        return contact.tenant, None, contact
    memberships = list(Membership.objects.select_related("tenant").filter(user=user).order_by("tenant__name"))
    if tenant is None and memberships:
        membership = next((m for m in memberships if m.tenant_id == chosen), memberships[0])
        return membership.tenant, membership, None
    membership = next((m for m in memberships if tenant is not None and m.tenant_id == tenant.pk), None)
    contact = contact if contact is not None and tenant is not None and contact.tenant_id == tenant.pk else None
    return tenant, membership, contact


class TenantLanguageMiddleware:
    """Polish unless chosen otherwise: the user's choice, then the tenant's language, then settings.

    The browser's Accept-Language is deliberately not used for pages: the tenants' customers are
    Polish companies whose machines often run English systems. The API (``/api/``) is different: a
    program says which language it wants, so ``Accept-Language`` decides there (Polish or English),
    and a token request that names none gets English (``api_language``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path_info.startswith(API_PREFIX)
        language = (api_language(request) if is_api else None) or pick_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        # Times are shown in the tenant's zone; the database keeps UTC.
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            timezone.activate(ZoneInfo(tenant.time_zone))
        else:
            timezone.deactivate()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if is_api:
            patch_vary_headers(response, ("Accept-Language",))
        return response


API_PREFIX = "/api/"


def api_language(request) -> str | None:
    """The API's language: the first supported one in ``Accept-Language`` (``pl``, ``en``; ``en-GB``
    counts as ``en``); without one, English for a token (a program), and ``None`` for a browser
    session, which then follows ``pick_language`` like the pages."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer "):
        return "en"
    return None


def pick_language(request) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    user = getattr(request, "user", None)
    # A logged-in person's saved choice comes before the browser's cookie, which may be left over
    # from whoever used the browser last; the cookie serves visitors who are not logged in.
    candidates = [
        getattr(user, "language", "") if user is not None and user.is_authenticated else "",
        request.COOKIES.get(LANGUAGE_COOKIE),
        request.tenant.language if getattr(request, "tenant", None) else "",
        settings.LANGUAGE_CODE,
    ]
    return next(code for code in candidates if code in supported)
