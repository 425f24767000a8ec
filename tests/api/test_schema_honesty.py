"""What the OpenAPI schema says is valid is accepted: cursors, months, phone numbers, and the line
between 400 (the schema refuses it) and 422 (a rule refuses a well-formed request)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from tests.api.test_schema_fuzz import RAW_SCHEMA


def _parameter(path: str, name: str) -> dict:
    for parameter in RAW_SCHEMA["paths"][path]["get"]["parameters"]:
        if parameter["name"] == name:
            return parameter["schema"]
    raise AssertionError(f"{path} has no parameter {name}")


def test_issued_cursors_have_the_declared_format_and_any_value_of_it_is_a_position(alpha):
    from core.models import Contact

    for index in range(3):
        Contact.objects.create(tenant=alpha.world.tenant, organization=alpha.world.organization,
                               name=f"Kontakt {index}")
    pattern = _parameter("/api/v1/contacts/", "cursor")["pattern"]
    first = alpha.get("/api/v1/contacts/", page_size=1).json()
    cursor = parse_qs(urlparse(first["next"]).query)["cursor"][0]
    assert re.fullmatch(pattern, cursor), cursor
    second = alpha.get("/api/v1/contacts/", page_size=1, cursor=cursor).json()
    assert second["results"][0]["id"] > first["results"][0]["id"]
    previous = parse_qs(urlparse(second["previous"]).query)["cursor"][0]
    assert re.fullmatch(pattern, previous)
    assert alpha.get("/api/v1/contacts/", page_size=1, cursor=previous).json()["results"] == first["results"]
    # Never issued, but of the declared format: a page (here past the last ID: empty), not a 400.
    for unissued in ("p999999999999999999", "rp1o3", "o9999", "r", ""):
        assert re.fullmatch(pattern, unissued)
        response = alpha.get("/api/v1/contacts/", cursor=unissued)
        assert response.status_code == 200, (unissued, response.content)
    assert alpha.get("/api/v1/contacts/", cursor="p999999999999999999").json()["results"] == []
    # Not of the format: the schema refuses it, and so does the API.
    for bad in ("Contact channels", "p-1", "x"):
        assert not re.fullmatch(pattern, bad)
        response = alpha.get("/api/v1/contacts/", cursor=bad)
        assert response.status_code == 400 and list(response.json()["errors"]) == ["cursor"]


def test_months_the_schema_allows_are_the_months_the_api_accepts(alpha):
    path = "/api/v1/organizations/{organization_id}/usage/"
    pattern = _parameter(path, "month")["pattern"]
    url = f"/api/v1/organizations/{alpha.world.organization.pk}/usage/"
    for month in ("1900-01", "2199-12", "2026-11"):
        assert re.fullmatch(pattern, month)
        assert alpha.get(url, month=month).status_code == 200
    for month in ("0001-01", "9999-12", "1899-12", "2200-01", "２０２６-11"):
        assert not re.fullmatch(pattern, month)
        response = alpha.get(url, month=month)
        assert response.status_code == 400 and list(response.json()["errors"]) == ["month"]


def test_phone_numbers_the_schema_allows_are_the_ones_the_api_stores(alpha):
    schema = RAW_SCHEMA["components"]["schemas"]["ContactRequest"]["properties"]["phones"]["items"]
    url = "/api/v1/contacts/"
    body = {"organization": alpha.world.organization.pk, "name": "Telefon"}
    for number in ("+48 555-100-200", "(22) 555.10.20", "123456"):
        assert re.fullmatch(schema["pattern"], number)
        response = alpha.post(url, {**body, "phones": [number]})
        assert response.status_code == 201, response.content
    for number in ("0" * 39, "12345", "tel. 555 100 200", "+"):
        assert not re.fullmatch(schema["pattern"], number)
        response = alpha.post(url, {**body, "phones": [number]})
        assert response.status_code == 400 and list(response.json()["errors"]) == ["phones[0]"]


def test_a_well_formed_request_naming_an_unknown_object_is_a_422_keyed_by_its_field(alpha, beta):
    # Another tenant's organization is as unknown as one that does not exist.
    for organization in (999_999_999, beta.world.organization.pk):
        response = alpha.post("/api/v1/contacts/", {"organization": organization, "name": "Nikt"})
        assert response.status_code == 422, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert list(response.json()["errors"]) == ["organization"]
    response = alpha.get("/api/v1/appointments/slots/", ticket=999_999_999, kind="remote", minutes=60)
    assert response.status_code == 422 and list(response.json()["errors"]) == ["ticket"]
    # A wrong type stays a 400 even when another field names an unknown object.
    response = alpha.post("/api/v1/contacts/", {"organization": 999_999_999, "name": ["not", "text"]})
    assert response.status_code == 400


def test_every_operation_declares_the_422_of_its_rules():
    for operations in RAW_SCHEMA["paths"].values():
        for operation in operations.values():
            assert "422" in operation["responses"]


def test_nul_is_refused_by_the_field_that_reads_it_and_said_by_the_schema(alpha):
    name = RAW_SCHEMA["components"]["schemas"]["ContactRequest"]["properties"]["name"]
    assert not re.fullmatch(name["pattern"], "a\x00b") and re.fullmatch(name["pattern"], "Ala")
    body = {"organization": alpha.world.organization.pk, "name": "a\x00b"}
    response = alpha.post("/api/v1/contacts/", body)
    assert response.status_code == 400 and list(response.json()["errors"]) == ["name"]
    # A key the schema does not declare is ignored, NUL or not, like any unknown key.
    response = alpha.post("/api/v1/contacts/", {**body, "name": "Ala", "x\x00": ["y\x00"]})
    assert response.status_code == 201, response.content
    key = RAW_SCHEMA["paths"]["/api/v1/contacts/"]["post"]["parameters"]
    assert {"minLength": 1, "maxLength": 255, "pattern": "\\S"}.items() <= next(
        p for p in key if p["name"] == "Idempotency-Key")["schema"].items()
    assert alpha.post("/api/v1/contacts/", {**body, "name": "Ola"}, **{"Idempotency-Key": "   "}).status_code == 400
