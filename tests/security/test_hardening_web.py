"""The web front: CSRF on every form, login throttling, password rules, session expiry, CSP header."""
from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpdesk.management.commands.seed_demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AGENT = "agent@wysylki.example.com"
CUSTOMER = "pawel@novahurt.example.com"
# Token-authenticated API modules; DRF applies CSRF to their session-authenticated requests itself.
API_MODULES = {"core/api.py", "tickets/api.py", "billing/api.py", "plans/api.py", "monitor/api.py"}


# --- CSRF --------------------------------------------------------------------------------------


def project_sources():
    for app in ("core", "helpdesk", "tickets", "billing", "plans", "sla", "monitor"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_no_view_outside_the_token_api_is_csrf_exempt():
    offenders = []
    for path in project_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        if "csrf_exempt" in names and str(path.relative_to(ROOT)) not in API_MODULES:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


def test_login_without_a_csrf_token_is_refused(demo):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": AGENT, "password": DEMO_PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_agent_and_portal_posts_need_the_csrf_token(demo):
    from core.models import Contact
    from tests.tickets.ui_support import file_ticket

    ticket = file_ticket(Contact.objects.get(user__username=CUSTOMER), "Zgłoszenie ZNACZNIK-CSRF")
    agent = Client(enforce_csrf_checks=True)
    agent.force_login(demo.user(AGENT))
    before = ticket.messages.count()

    # without the token: refused, nothing written
    for name in ("agent:ticket_message", "agent:ticket_take", "agent:ticket_status"):
        response = agent.post(reverse(name, args=[ticket.pk]), {"body": "bez tokenu", "kind": "reply",
                                                                "status": "resolved"})
        assert response.status_code == 403, name
    customer = Client(enforce_csrf_checks=True)
    customer.force_login(demo.user(CUSTOMER))
    assert customer.post(reverse("portal:ticket_detail", args=[ticket.pk]), {"body": "bez tokenu"}).status_code == 403
    assert ticket.messages.count() == before

    # with the token from the page: accepted
    page = customer.get(reverse("portal:ticket_detail", args=[ticket.pk]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = customer.post(reverse("portal:ticket_detail", args=[ticket.pk]),
                             {"body": "z tokenem", "csrfmiddlewaretoken": token})
    assert response.status_code in (200, 302)
    assert ticket.messages.count() == before + 1


def test_api_with_a_staff_session_needs_the_csrf_token_but_a_bearer_token_does_not(demo):
    from core.services import api_token_create
    from core.models import Organization

    organization = Organization.objects.for_tenant(demo.wysylki).first()
    payload = {"name": "Nowa ZNACZNIK-API", "organization": organization.pk}
    session = Client(enforce_csrf_checks=True)
    session.force_login(demo.user("admin@wysylki.example.com"))
    assert session.post("/api/v1/contacts/", payload, content_type="application/json").status_code == 403

    _row, token = api_token_create(tenant=demo.wysylki, name="CRM", role="admin",
                                   created_by=demo.user("admin@wysylki.example.com"))
    bearer = Client(enforce_csrf_checks=True)
    response = bearer.post("/api/v1/contacts/", payload, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code != 403, response.content


# --- login throttling --------------------------------------------------------------------------


def attempt(client, username, password, ip):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_user_name_at_that_address_for_fifteen_minutes(demo):
    client = Client()
    # given four wrong passwords: the normal error each time
    for _ in range(4):
        response = attempt(client, AGENT, "zle-haslo", "203.0.113.7")
        assert response.status_code == 200
        assert "Nieprawidłowy adres e-mail lub hasło" in response.content.decode() or \
            "alert--error" in response.content.decode()

    # when the fifth fails, then the login is locked, with a clear Polish message on the login page
    response = attempt(client, AGENT, "zle-haslo", "203.0.113.7")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Konto zablokowane: zbyt wiele prób logowania. Spróbuj ponownie później." in body
    assert 'id="id_username"' in body  # still the login page, not a bare error

    # and even the right password is refused from there
    response = attempt(client, AGENT, DEMO_PASSWORD, "203.0.113.7")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # but the same person from another address, and another person from that address, log in
    assert attempt(Client(), AGENT, DEMO_PASSWORD, "198.51.100.20").status_code == 302
    assert attempt(Client(), CUSTOMER, DEMO_PASSWORD, "203.0.113.7").status_code == 302

    # and after the 15-minute cool-off the locked pair can log in again
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=5)):
        response = attempt(Client(), AGENT, DEMO_PASSWORD, "203.0.113.7")
    assert response.status_code == 302


def test_the_lockout_also_guards_the_admin_login(demo):
    client = Client()
    admin = "admin@wysylki.example.com"
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": admin, "password": "zle-haslo"}, REMOTE_ADDR="203.0.113.9")
    response = client.post(reverse("admin:login"), {"username": admin, "password": DEMO_PASSWORD},
                           REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_throttling_settings():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "core.security.LoginThrottleBackend"


# --- passwords and sessions --------------------------------------------------------------------


@pytest.mark.parametrize("password", ["krotkie1", "1234567890123", "password123", "qwertyuiop"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_strong_password_is_accepted():
    validate_password("Zielona-Herbata-o-7:15")


def test_the_login_session_ends_with_the_browser_and_after_twelve_hours_at_most(demo):
    client = Client()
    response = attempt(client, CUSTOMER, DEMO_PASSWORD, "192.0.2.1")
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert cookie["httponly"] is True
    assert client.session.get_expiry_age() == 12 * 3600

    # after 12 hours the server no longer knows the session, browser open or not: the database row
    # expires then, and so does the cached copy (SESSION_ENGINE cached_db) — Redis drops it by a TTL of
    # the same age, on its own clock, which travelling in time here cannot move: it is checked, then
    # dropped as Redis would
    _expire_cached_session(client.session)
    with time_machine.travel(timezone.now() + timedelta(hours=12, minutes=1)):
        response = client.get(reverse("portal:ticket_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def _expire_cached_session(session) -> None:
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches[settings.SESSION_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        key = cache.make_and_validate_key(session.cache_key)
        ttl = cache._cache.get_client(key).ttl(key)
        assert 0 < ttl <= 12 * 3600, ttl
        cache.delete(session.cache_key)


# --- Content-Security-Policy header ------------------------------------------------------------


EXPECTED_CSP = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "object-src": "'none'", "base-uri": "'self'", "frame-ancestors": "'none'", "form-action": "'self'",
}


def parse_csp(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";") if p.strip()]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] if " " in p else "" for p in parts}


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_pages_carry_the_strict_policy(db, client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert parse_csp(response["Content-Security-Policy"]) == EXPECTED_CSP


def test_logged_in_pages_carry_the_strict_policy(demo, client):
    client.force_login(demo.user(AGENT))
    response = client.get(reverse("agent:queue"))
    assert parse_csp(response["Content-Security-Policy"]) == EXPECTED_CSP


def test_api_docs_get_only_the_relaxations_they_need(db, client):
    docs = parse_csp(client.get("/api/v1/docs/")["Content-Security-Policy"])
    assert docs["style-src"] == "'self' 'unsafe-inline'"
    assert docs["script-src"] == "'self'"
    script = client.get("/api/v1/docs/?script")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()

    redoc = parse_csp(client.get("/api/v1/redoc/")["Content-Security-Policy"])
    assert redoc["script-src"] == "'self'" and redoc["worker-src"] == "'self' blob:"
    assert redoc["object-src"] == "'none'" and redoc["frame-ancestors"] == "'none'"
