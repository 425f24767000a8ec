"""NUL characters cannot be stored by PostgreSQL: the API refuses them with a 400, on every database."""
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from helpdesk.management.commands.seed_demo import seed
from core.models import Organization


@pytest.fixture
def api(db):
    seed()
    out = StringIO()
    call_command("create_api_token", "--tenant", "wysylki", "--name", "nul", "--role", "admin", stdout=out)
    token = out.getvalue().strip().split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_nul_in_a_nested_body_value_is_a_400(api):
    organization = Organization.objects.get(tenant__slug="wysylki", name="Meblex sp. j.")
    body = {"organization": organization.pk, "plan": "standard",
            "addons": [{"kind": "extra_product", "calendar": "a\x00b"}]}
    response = api.post("/api/v1/subscriptions/", body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert not organization.subscriptions.filter(plan__code="standard").exists()


def test_nul_in_a_query_parameter_is_a_400(api):
    response = api.get("/api/v1/organizations/", {"external_id": "x\x00y"})
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("moment", ["2026-01-01T00:00:00+22:10", "2026-01-01T00:00:00-23:59"])
def test_a_moment_with_an_offset_postgresql_cannot_store_is_compared_in_utc(api, moment):
    # ISO 8601 allows offsets up to ±23:59, PostgreSQL's timestamptz only ±15:59: a filter still works
    response = api.get("/api/v1/tickets/", {"updated_since": moment})
    assert response.status_code == 200, response.content
