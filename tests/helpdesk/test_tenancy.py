"""Tenancy core: ``for_tenant`` on every tenant-owned model, how a request finds its tenant and language.

Tenant-owned models are found by their ``tenant`` field, so a model added later is covered without
touching this file.
"""
from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from core.middleware import (LANGUAGE_COOKIE, SESSION_TENANT_KEY, TenantLanguageMiddleware, TenantMiddleware,
                                 pick_language, resolve)
from core.models import Role
from tests import factories
from tests.conftest import rolled_back_at_exit


def tenant_owned_models():
    return [model for model in apps.get_models() if any(f.name == "tenant" for f in model._meta.get_fields())]


# Models whose tenant column exists but whose manager has no ``for_tenant`` (a model change, not a test's).
WITHOUT_FOR_TENANT: dict[str, str] = {}


def _model_params():
    for model in tenant_owned_models():
        label = model._meta.label
        marks = ([pytest.mark.xfail(strict=True, raises=AttributeError, reason=WITHOUT_FOR_TENANT[label])]
                 if label in WITHOUT_FOR_TENANT else [])
        yield pytest.param(model, id=label, marks=marks)


MODELS = list(_model_params())


def test_the_tenant_owned_models_are_found():
    labels = {model._meta.label for model in tenant_owned_models()}
    assert {"helpdesk.Organization", "helpdesk.Contact", "plans.Plan", "plans.PlanTerms", "plans.Subscription",
            "tickets.Ticket"} <= labels
    assert "helpdesk.Tenant" not in labels and "helpdesk.User" not in labels


@pytest.mark.parametrize("model", MODELS)
def test_for_tenant_refuses_none(db, model):
    with pytest.raises(ValueError, match="needs a tenant"):
        model._default_manager.for_tenant(None)


@pytest.fixture(scope="module")
def _rows_of_two_tenants(django_db_setup, django_db_blocker):
    """Tenants alpha and beta with at least one row of every tenant-owned model each, built once."""
    with rolled_back_at_exit(django_db_blocker):
        with django_db_blocker.unblock():
            worlds = factories.build_tenant_world("alpha"), factories.build_tenant_world("beta")
            for model in tenant_owned_models():
                concrete = model._meta.concrete_model
                for world in worlds:
                    if not concrete._base_manager.filter(tenant=world.tenant).exists():
                        factories.build_any_row(concrete, world.tenant)
        yield worlds


@pytest.fixture
def rows_of_two_tenants(_rows_of_two_tenants, db):
    return _rows_of_two_tenants


@pytest.mark.parametrize("model", MODELS)
def test_for_tenant_returns_only_that_tenants_rows(rows_of_two_tenants, model):
    # Given rows of one model for tenants alpha and beta.
    alpha, beta = (world.tenant for world in rows_of_two_tenants)
    everyone = model._base_manager.filter(tenant__in=[alpha, beta])
    # When each tenant's rows are read through the default manager's entry point.
    for tenant, other in ((alpha, beta), (beta, alpha)):
        mine = set(model._default_manager.for_tenant(tenant).values_list("pk", flat=True))
        # Then they are exactly the tenant's rows: none of the other tenant's, none missing.
        assert mine, f"no {model._meta.label} rows for {tenant.slug}"
        assert mine == set(everyone.filter(tenant=tenant).values_list("pk", flat=True))
        assert not mine & set(everyone.filter(tenant=other).values_list("pk", flat=True))
        # And the tenant's id works the same as the tenant.
        assert set(model._default_manager.for_tenant(tenant.pk).values_list("pk", flat=True)) == mine


# --- how a request finds its tenant ----------------------------------------------------------------


def make_request(*, user=None, host="testserver", session=None, **headers):
    request = RequestFactory().get("/", HTTP_HOST=host, **headers)
    request.user = user or AnonymousUser()
    request.session = session if session is not None else {}
    return request


def test_host_name_selects_the_tenant(demo):
    assert resolve(make_request(host="kjm.localhost")) == (demo.kjm, None, None)
    assert resolve(make_request(host="kjm.localhost:8000")) == (demo.kjm, None, None)
    assert resolve(make_request(host="WYSYLKI.localhost")) == (demo.wysylki, None, None)


def test_no_tenant_without_a_host_name_or_a_login(demo):
    assert resolve(make_request()) == (None, None, None)


def test_logged_in_customer_gets_their_tenant(demo):
    # Given Ewa, a customer of wysylki, on the shared host name.
    user = demo.user("ewa@bukiet.example.com")
    # Then the request is wysylki's, as her contact, with no staff role.
    tenant, membership, contact = resolve(make_request(user=user))
    assert (tenant, membership, contact) == (demo.wysylki, None, user.contact)


def test_logged_in_agent_gets_their_tenant(demo):
    user = demo.user("agent@wysylki.example.com")
    tenant, membership, contact = resolve(make_request(user=user))
    assert (tenant, membership.user, membership.role, contact) == (demo.wysylki, user, Role.AGENT, None)


@pytest.fixture
def staff_of_both(demo):
    user = factories.UserFactory(username="wspolny@example.com")
    factories.MembershipFactory(tenant=demo.wysylki, user=user, role=Role.AGENT)
    factories.MembershipFactory(tenant=demo.kjm, user=user, role=Role.ADMIN)
    return user


def test_staff_of_two_tenants_works_in_the_one_chosen_in_the_session(demo, staff_of_both):
    # Given a person on the staff of both tenants.
    chosen_wysylki = make_request(user=staff_of_both, session={SESSION_TENANT_KEY: demo.wysylki.pk})
    chosen_kjm = make_request(user=staff_of_both, session={SESSION_TENANT_KEY: demo.kjm.pk})
    # Then the session's choice decides, with that tenant's role.
    tenant, membership, _contact = resolve(chosen_wysylki)
    assert (tenant, membership.tenant, membership.role) == (demo.wysylki, demo.wysylki, Role.AGENT)
    tenant, membership, _contact = resolve(chosen_kjm)
    assert (tenant, membership.tenant, membership.role) == (demo.kjm, demo.kjm, Role.ADMIN)


def test_staff_of_two_tenants_defaults_to_the_first_by_name(demo, staff_of_both):
    # "KJM Software" sorts before "Wysyłki Pro"; a session naming a foreign tenant is ignored.
    stranger = factories.TenantFactory()
    for session in ({}, {SESSION_TENANT_KEY: stranger.pk}):
        tenant, membership, _contact = resolve(make_request(user=staff_of_both, session=session))
        assert (tenant, membership.tenant) == (demo.kjm, demo.kjm)


def test_host_name_wins_over_the_session_choice(demo, staff_of_both):
    request = make_request(user=staff_of_both, host="wysylki.localhost", session={SESSION_TENANT_KEY: demo.kjm.pk})
    tenant, membership, _contact = resolve(request)
    assert (tenant, membership.tenant) == (demo.wysylki, demo.wysylki)


@pytest.mark.parametrize("login", ["admin@wysylki.example.com", "agent@wysylki.example.com",
                                   "ewa@bukiet.example.com"])
def test_user_of_one_tenant_is_a_stranger_on_the_other_tenants_host(demo, login):
    # Given a wysylki person on KJM's host name; then the request is KJM's and they have no role there.
    assert resolve(make_request(user=demo.user(login), host="kjm.localhost")) == (demo.kjm, None, None)


def test_superuser_has_no_tenant_role(demo):
    root = demo.user("root@helpdesk.example.com")
    assert resolve(make_request(user=root)) == (None, None, None)
    assert resolve(make_request(user=root, host="kjm.localhost")) == (demo.kjm, None, None)


def test_middleware_sets_the_request_attributes(demo):
    seen = {}

    def view(request):
        seen.update(tenant=request.tenant, membership=request.membership, contact=request.contact)
        return HttpResponse()

    TenantMiddleware(view)(make_request(user=demo.user("zofia@zorza.example.com")))
    assert seen == {"tenant": demo.kjm, "membership": None, "contact": demo.user("zofia@zorza.example.com").contact}


# --- language --------------------------------------------------------------------------------------


def language_of(request) -> tuple[str, str]:
    """The language the view runs in and the one the response announces."""
    seen = {}

    def view(req):
        seen["active"] = translation.get_language()
        return HttpResponse()

    request.tenant = getattr(request, "tenant", None) or resolve(request)[0]
    response = TenantLanguageMiddleware(view)(request)
    return seen["active"], response["Content-Language"]


def test_polish_by_default(demo):
    assert language_of(make_request()) == ("pl", "pl")
    assert language_of(make_request(host="kjm.localhost")) == ("pl", "pl")


def test_browser_asking_for_english_still_gets_polish(demo):
    request = make_request(host="wysylki.localhost", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert language_of(request) == ("pl", "pl")


def test_users_choice_wins(demo):
    user = demo.user("ewa@bukiet.example.com")
    user.language = "en"
    user.save()
    assert language_of(make_request(user=user, HTTP_ACCEPT_LANGUAGE="pl")) == ("en", "en")


def test_users_choice_wins_over_the_tenants_language(db):
    tenant = factories.TenantFactory(language="en")
    assert language_of(make_request(host=tenant.domain)) == ("en", "en")
    user = factories.UserFactory(language="pl")
    request = make_request(user=user, host=tenant.domain)
    request.tenant = tenant
    assert language_of(request) == ("pl", "pl")


def test_saved_choice_of_a_user_beats_a_cookie_left_in_the_browser(demo):
    # Given Ewa, who chose Polish, on a browser whose last user chose English.
    user = demo.user("ewa@bukiet.example.com")
    user.language = "pl"
    user.save()
    request = make_request(user=user)
    request.COOKIES[LANGUAGE_COOKIE] = "en"
    # Then she gets Polish.
    assert language_of(request) == ("pl", "pl")


def test_language_cookie_is_the_choice_of_a_visitor(demo):
    request = make_request()
    request.COOKIES[LANGUAGE_COOKIE] = "en"
    assert pick_language(request) == "en"
    request.COOKIES[LANGUAGE_COOKIE] = "xx"
    assert pick_language(request) == "pl"


def test_choosing_a_language_is_remembered_for_the_user(demo, client):
    # Given Ewa logged in; when she chooses English.
    user = demo.user("ewa@bukiet.example.com")
    client.force_login(user)
    response = client.post("/language/", {"language": "en", "next": "https://evil.example.net/"})
    # Then her choice is saved and set as a cookie, and she is not sent to another site.
    user.refresh_from_db()
    assert user.language == "en" and response.cookies[LANGUAGE_COOKIE].value == "en"
    assert response["Location"] == "/"


def test_unknown_language_is_ignored(demo, client):
    user = demo.user("ewa@bukiet.example.com")
    client.force_login(user)
    response = client.post("/language/", {"language": "de", "next": "/portal/"})
    user.refresh_from_db()
    assert user.language == "" and LANGUAGE_COOKIE not in response.cookies
    assert response["Location"] == "/portal/"
