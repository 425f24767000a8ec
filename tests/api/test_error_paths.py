"""Validation errors are keyed by the path of the offending value in the request (``Problem.errors``)."""
from __future__ import annotations

from datetime import date


def _errors(response, status: int = 400) -> dict:
    """400: the value is not what the schema allows; 422: a rule refuses it; 409: a duplicate."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["errors"]


def test_duplicate_external_id_is_reported_under_external_id(alpha, beta):
    body = {"name": "Twice Ltd", "external_id": "CRM-TWICE"}
    assert alpha.post("/api/v1/organizations/", body).status_code == 201
    errors = _errors(alpha.post("/api/v1/organizations/", {**body, "name": "Twice Again Ltd"}), 409)
    assert list(errors) == ["external_id"]
    # Another tenant may use the same CRM ID.
    assert beta.post("/api/v1/organizations/", body).status_code == 201

    ticket = {"subject": "Twice", "body": "Twice", "contact": alpha.world.contact.pk, "external_id": "CASE-TWICE"}
    assert alpha.post("/api/v1/tickets/", ticket).status_code == 201
    assert list(_errors(alpha.post("/api/v1/tickets/", ticket), 409)) == ["external_id"]
    other = alpha.post("/api/v1/tickets/", {**ticket, "external_id": "CASE-OTHER"}).json()
    assert list(_errors(alpha.patch(f"/api/v1/tickets/{other['id']}/", {"external_id": "CASE-TWICE"}), 409)) == [
        "external_id"]
    assert alpha.patch(f"/api/v1/tickets/{other['id']}/", {"external_id": "CASE-OTHER"}).status_code == 200


def test_new_terms_before_the_latest_version_are_reported_under_terms_effective_from(alpha):
    errors = _errors(alpha.patch(f"/api/v1/plans/{alpha.world.plan.code}/", {
        "terms": {"reaction_minutes": 60}, "terms_effective_from": "2000-01-01"}), 422)
    assert list(errors) == ["terms_effective_from"]
    errors = _errors(alpha.patch(f"/api/v1/plans/{alpha.world.plan.code}/", {
        "terms": {"reaction_minutes": -5}, "terms_effective_from": "2030-01-01"}))
    assert list(errors) == ["terms.reaction_minutes"]


def test_add_on_errors_name_the_add_on_and_its_field(alpha):
    from core.models import Organization

    organization = Organization.objects.create(tenant=alpha.world.tenant, name="Add-on Ltd")
    base = {"organization": organization.pk, "plan": alpha.world.plan.code, "accepted_on": str(date.today())}
    good = {"kind": "extra_product", "product": "x"}
    # The serializer's check (a negative price) and the service's (hours without a calendar) alike.
    errors = _errors(alpha.post("/api/v1/subscriptions/", {**base, "addons": [good, {**good, "price_net": "-1"}]}))
    assert list(errors) == ["addons[1].price_net"]
    errors = _errors(alpha.post("/api/v1/subscriptions/", {**base, "addons": [good, {"kind": "night"}]}), 422)
    assert list(errors) == ["addons[1].calendar"]
    errors = _errors(alpha.post("/api/v1/subscriptions/", {**base, "addons": [{"kind": "night", "calendar": "nope"}]}),
                     422)
    assert list(errors) == ["addons[0].calendar"]
    # Nothing of a refused request stays behind.
    assert not organization.subscriptions.exists()


def test_list_items_are_keyed_by_index(alpha):
    errors = _errors(alpha.post("/api/v1/contacts/", {"organization": alpha.world.organization.pk, "name": "X",
                                                      "emails": ["ok@example.com", "not-an-address"]}))
    assert list(errors) == ["emails[1]"]


def test_problem_schema_documents_the_convention(alpha):
    from core.rest.schema import PROBLEM_SCHEMA

    description = PROBLEM_SCHEMA["properties"]["errors"]["description"]
    assert "addons[1].calendar" in description and "non_field_errors" in description
