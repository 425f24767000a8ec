"""Authentication, tenancy, roles and problem+json errors of /api/v1/."""
from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.models import ApiToken

PROBLEM = "application/problem+json"


def test_no_token_is_401_problem(two_tenants):
    response = APIClient().get("/api/v1/organizations/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert set(response.json()) >= {"type", "title", "status", "detail"}


def test_unknown_and_revoked_tokens_are_401(alpha):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer hd_not-a-token")
    assert client.get("/api/v1/organizations/").status_code == 401
    from core.services import api_token_revoke

    api_token_revoke(token=alpha.row)
    assert alpha.get("/api/v1/organizations/").status_code == 401


def test_only_the_hash_is_stored_and_last_use_recorded(alpha):
    row = ApiToken.objects.get(pk=alpha.row.pk)
    assert row.key_hash == hashlib.sha256(alpha.token.encode()).hexdigest()
    assert row.prefix == alpha.token[:8]
    assert alpha.token not in str(ApiToken.objects.filter(pk=row.pk).values().get())
    assert alpha.get("/api/v1/organizations/").status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_create_api_token_command_prints_a_working_token(two_tenants):
    out = StringIO()
    call_command("create_api_token", "--tenant", two_tenants[0].tenant.slug, "--name", "CRM", "--role", "agent",
                 stdout=out)
    token = out.getvalue().strip()
    row = ApiToken.objects.get(key_hash=hashlib.sha256(token.encode()).hexdigest())
    assert (row.tenant, row.role, row.name, row.created_by) == (two_tenants[0].tenant, "agent", "CRM",
                                                                 two_tenants[0].admin.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/tickets/").status_code == 200


@pytest.mark.parametrize("path", ["organizations/{org}/", "contacts/{contact}/", "subscriptions/{sub}/",
                                  "tickets/{ticket}/", "tickets/{ticket}/messages/", "plans/basic/"])
def test_another_tenants_objects_are_404(alpha, beta, path):
    world = beta.world
    ticket = beta.ticket
    url = "/api/v1/" + path.format(org=world.organization.pk, contact=world.contact.pk, sub=world.subscription.pk,
                                   ticket=ticket.pk)
    beta_only = beta.get(url)
    assert beta_only.status_code == 200
    if path == "plans/basic/":  # Both tenants have a plan "basic": each sees its own.
        assert alpha.get(url).json()["name"] == "alpha Basic"
        return
    response = alpha.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert alpha.patch(url, {"name": "x"}).status_code in (404, 405)


def test_lists_show_only_the_own_tenant(alpha, beta):
    names = [o["name"] for o in alpha.get("/api/v1/organizations/").json()["results"]]
    assert names == ["alpha Customer Ltd"]
    tickets = alpha.get("/api/v1/tickets/").json()["results"]
    assert [t["subject"] for t in tickets] == ["alpha ticket"]


def test_foreign_keys_of_another_tenant_are_rejected(alpha, beta):
    response = alpha.post("/api/v1/contacts/", {"organization": beta.world.organization.pk, "name": "Spy"})
    assert response.status_code == 422  # as unknown as an ID that does not exist
    assert "organization" in response.json()["errors"]


def test_customer_session_gets_nothing(two_tenants):
    client = APIClient()
    client.force_login(two_tenants[0].customer)
    from tests.api.conftest import world_ticket

    ticket = world_ticket(two_tenants[0])
    for path in ("organizations/", "tickets/", f"tickets/{ticket.pk}/messages/", "plans/"):
        assert client.get(f"/api/v1/{path}").status_code == 403


def test_staff_session_works_for_its_tenant(two_tenants):
    client = APIClient()
    client.force_login(two_tenants[0].agent.user)
    response = client.get("/api/v1/organizations/")
    assert response.status_code == 200
    assert [o["name"] for o in response.json()["results"]] == ["alpha Customer Ltd"]


def test_agent_token_cannot_change_plan_terms_admin_can(alpha, alpha_agent):
    change = {"terms": {"reaction_minutes": 90}, "terms_effective_from": "2027-01-01", "change_note": "faster"}
    denied = alpha_agent.patch("/api/v1/plans/basic/", change)
    assert denied.status_code == 403
    assert denied["Content-Type"] == PROBLEM
    response = alpha.patch("/api/v1/plans/basic/", change)
    assert response.status_code == 200, response.json()
    from plans.models import PlanTerms

    newest = PlanTerms.objects.filter(plan__tenant=alpha.world.tenant, plan__code="basic").order_by("-version")[0]
    assert (newest.version, newest.reaction_minutes, str(newest.effective_from)) == (2, 90, "2027-01-01")
    assert alpha.patch("/api/v1/plans/basic/", {"terms": {"reaction_minutes": "soon"},
                                                "terms_effective_from": "2027-01-01"}).status_code == 400


def test_agent_token_cannot_manage_webhooks(alpha_agent):
    response = alpha_agent.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/x", "events": ["ticket.created"]})
    assert response.status_code == 403
    assert alpha_agent.get("/api/v1/webhooks/").status_code == 200


@pytest.mark.parametrize("body,content_type", [
    (b"{not json", "application/json"),
    (b'{"name": 5, "external_id": ["x"]}', "application/json"),
    (b'["a list"]', "application/json"),
    (b"name=x", "application/x-www-form-urlencoded"),
])
def test_bad_bodies_are_4xx_problems(alpha, body, content_type):
    response = alpha.client.post("/api/v1/organizations/", body, content_type=content_type)
    assert response.status_code in (400, 415)
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == response.status_code


@pytest.mark.parametrize("query", ["updated_since=yesterday", "updated_since=", "cursor=garbage", "page_size=0",
                                   "page_size=abc", "organization=1.5", "organization=99999999999999999999999",
                                   "critical=maybe", "status=lost"])
def test_bad_query_parameters_are_400(alpha, query):
    response = alpha.client.get(f"/api/v1/tickets/?{query}")
    assert response.status_code == 400, (query, response.content)
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"]


def test_validation_errors_of_services_are_field_errors(alpha):
    alpha.post("/api/v1/organizations/", {"name": "A", "external_id": "CRM-1"})
    response = alpha.post("/api/v1/organizations/", {"name": "B", "external_id": "CRM-1"})
    assert response.status_code == 409  # a taken unique value: a conflict, keyed by its field
    body = response.json()
    assert body["type"] == "urn:helpdesk:problem:conflict" and list(body["errors"]) == ["external_id"]


def test_huge_page_size_gives_at_most_100(alpha):
    for n in range(105):
        alpha.post("/api/v1/organizations/", {"name": f"Org {n:03}"})
    page = alpha.get("/api/v1/organizations/", page_size=100000).json()
    assert len(page["results"]) == 100 and page["next"]


def test_unknown_api_path_is_a_problem_404(alpha):
    response = alpha.get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert alpha.get("/api/v1/tickets/0.5/").status_code == 404


def test_docs_are_served_without_a_cdn(alpha):
    page = alpha.client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html
