"""Every input path answers bad input with a 400 (problem+json in the API, a form error in the UI),
never a 500: nesting, size, far dates and months, huge ids, admin ``initial`` values."""
from __future__ import annotations

import json

import pytest
from django.urls import reverse

PROBLEM = "application/problem+json"
POST_ENDPOINTS = ["/api/v1/tickets/", "/api/v1/contacts/", "/api/v1/organizations/", "/api/v1/webhooks/",
                  "/api/v1/sla/preview/", "/api/v1/time-entries/", "/api/v1/subscriptions/", "/api/v1/packages/"]


def _problem(response, status=400):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["content-type"] == PROBLEM
    return response.json()


@pytest.mark.parametrize("path", POST_ENDPOINTS)
@pytest.mark.parametrize("depth", [65, 500, 5000])
def test_deeply_nested_json_is_a_400(alpha, path, depth):
    body = "[" * depth + "]" * depth
    response = alpha.client.post(path, body, content_type="application/json")
    problem = _problem(response)
    assert problem["type"] == "urn:helpdesk:problem:parse_error" and "64" in problem["detail"]


def test_json_nested_64_deep_is_still_parsed(alpha):
    body = {"name": "x", "deep": json.loads("[" * 63 + "]" * 63)}
    response = alpha.client.post("/api/v1/organizations/", json.dumps(body), content_type="application/json")
    assert response.status_code in (201, 400) and response["content-type"] != "text/html"


def test_an_oversize_body_is_a_problem_413(alpha):
    body = json.dumps({"name": "x" * (3 * 1024 * 1024)})
    _problem(alpha.client.post("/api/v1/organizations/", body, content_type="application/json"), 413)
    _problem(alpha.client.post("/api/v1/organizations/", body, content_type="application/json",
                               headers={"Idempotency-Key": "big-1"}), 413)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
                                   "9999-12-31T23:59:59Z", "1800-01-01T00:00:00Z"])
def test_far_updated_since_is_a_400(alpha, value):
    for path in ("/api/v1/tickets/", "/api/v1/contacts/", "/api/v1/organizations/", "/api/v1/packages/"):
        assert "updated_since" in _problem(alpha.get(path, updated_since=value))["errors"]


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2200-01", "1899-12"])
def test_far_months_are_a_400_in_usage_and_statements(alpha, month):
    org = alpha.world.organization.pk
    _problem(alpha.get(f"/api/v1/organizations/{org}/usage/", month=month))
    for suffix in ("", "?format=csv", "?format=pdf"):
        response = alpha.client.get(f"/api/v1/organizations/{org}/statements/{month}/{suffix}")
        assert response.status_code in (400, 404) and response["content-type"] == PROBLEM, month


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2200-01-01"])
def test_far_dates_in_subscriptions_and_packages_are_a_400(alpha, day):
    world = alpha.world
    body = {"organization": world.organization.pk, "plan": world.plan.code, "accepted_on": day, "starts_on": day}
    assert set(_problem(alpha.post("/api/v1/subscriptions/", body))["errors"]) & {"accepted_on", "starts_on"}
    subscription = world.subscription.pk
    assert "notice_given_on" in _problem(alpha.patch(f"/api/v1/subscriptions/{subscription}/",
                                                     {"notice_given_on": day}))["errors"]
    assert "purchased_on" in _problem(alpha.post("/api/v1/packages/", {"organization": world.organization.pk,
                                                                       "purchased_on": day}))["errors"]
    assert "received_at" in _problem(alpha.post("/api/v1/sla/preview/", {
        "plan": world.plan.code, "received_at": f"{day}T23:59:59-12:00"}))["errors"]


# --- the UI -------------------------------------------------------------------------------------


@pytest.fixture
def as_admin(client, two_tenants):
    client.force_login(two_tenants[0].admin.user)
    return client


def test_huge_ids_in_the_agent_queue_filters_are_ignored(as_admin):
    for value in ("9" * 25, "0", "-1", "abc", "１２"):
        response = as_admin.get(reverse("agent:queue"), {"organization": value, "plan": value})
        assert response.status_code == 200, value


@pytest.mark.parametrize("page, query", [
    ("admin:plans_planterms_add", {"plan": "abc"}),
    ("admin:plans_planterms_add", {"plan": "9" * 25}),
    ("admin:plans_subscription_add", {"organization": "abc"}),
    ("admin:plans_subscription_add", {"organization": "9" * 25, "starts_on": "9999-12-31"}),
    ("admin:billing_package_add", {"organization": "abc", "purchased_on": "abc"}),
])
def test_admin_add_pages_ignore_bad_initial_values(as_admin, page, query):
    assert as_admin.get(reverse(page), query).status_code == 200


def test_far_dates_in_admin_forms_are_form_errors(as_admin, two_tenants):
    world = two_tenants[0]
    response = as_admin.post(reverse("admin:billing_package_add"), {
        "organization": world.organization.pk, "minutes": 600, "purchased_on": "9999-12-31",
        "price_net": "100.00"})
    assert response.status_code == 200
    assert "purchased_on" in response.context["adminform"].form.errors
    subscription = as_admin.post(reverse("admin:plans_subscription_add"), {
        "organization": world.organization.pk, "plan": world.plan.pk, "accepted_on": "9999-12-31",
        "starts_on": "9999-12-31", "overrides": "{}"})
    assert subscription.status_code == 200
    assert {"accepted_on", "starts_on"} & set(subscription.context["adminform"].form.errors)
    preview = as_admin.get(reverse("admin:plans_calendar_preview", args=[world.calendar.pk]),
                           {"received": "9999-12-31T23:59", "hours": "2000"})
    assert preview.status_code == 200 and "received" in preview.context["form"].errors


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_far_months_in_the_accounting_export_and_statement_generation(as_admin, month):
    export = as_admin.get(reverse("admin:billing_accounting_export"), {"month": month})
    assert export.status_code == 200 and export.context["error"]
    generate = as_admin.post(reverse("admin:billing_statement_generate"), {"month": month})
    assert generate.status_code == 200 and "month" in generate.context["form"].errors
