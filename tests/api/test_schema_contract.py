"""The OpenAPI schema says what the server does: shapes, content types, path types, English text."""
from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone, translation

SCHEMA_URL = "/api/v1/schema/"


@pytest.fixture
def live_schema(alpha) -> dict:
    response = alpha.client.get(SCHEMA_URL, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def _operation(schema: dict, path: str, method: str = "get") -> dict:
    return schema["paths"][path][method]


def test_usage_is_one_object_as_served(alpha, live_schema):
    operation = _operation(live_schema, "/api/v1/organizations/{organization_id}/usage/")
    assert operation["responses"]["200"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Usage"}}}
    body = alpha.get(f"/api/v1/organizations/{alpha.world.organization.pk}/usage/").json()
    assert isinstance(body, dict) and "included_minutes" in body


def test_every_success_response_has_one_content_type(live_schema):
    for path, operations in live_schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code.startswith("2") and "content" in response:
                    assert len(response["content"]) == 1, (method, path, code, list(response["content"]))


def test_statement_documents_are_operations_of_their_own(alpha, beta, live_schema):
    base = "/api/v1/organizations/{organization_id}/statements/{month}/"
    assert list(_operation(live_schema, base)["responses"]["200"]["content"]) == ["application/json"]
    assert _operation(live_schema, base + "csv/")["responses"]["200"]["content"] == {
        "text/csv": {"schema": {"type": "string"}}}
    assert _operation(live_schema, base + "pdf/")["responses"]["200"]["content"] == {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}

    month = timezone.localdate().strftime("%Y-%m")
    url = f"/api/v1/organizations/{alpha.world.organization.pk}/statements/{month}/"
    # Whatever the client accepts, each document endpoint answers its one media type.
    csv = alpha.client.get(url + "csv/", HTTP_ACCEPT="application/json")
    assert csv.status_code == 200 and csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv["Content-Disposition"] == f'attachment; filename="statement-{alpha.world.organization.pk}-{month}.csv"'
    assert csv.content.decode().startswith("Organization,Tax ID (NIP),Month")
    pdf = alpha.client.get(url + "pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    # The older ?format= spelling still works, whatever Accept says.
    assert alpha.client.get(url + "?format=csv").content == csv.content
    assert alpha.client.get(url + "?format=csv", HTTP_ACCEPT="application/json").content == csv.content
    missing = beta.client.get(url + "pdf/")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    assert json.loads(missing.content)["status"] == 404
    bad_month = alpha.client.get(url.replace(month, "2026-13") + "csv/")
    assert bad_month.status_code == 400 and bad_month["Content-Type"] == "application/problem+json"
    assert list(json.loads(bad_month.content)["errors"]) == ["month"]


def test_row_ids_in_paths_are_integers(live_schema):
    seen = 0
    for path, operations in live_schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                name = parameter["name"]
                if name == "id" or name.endswith("_id"):
                    seen += 1
                    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, path
                else:
                    assert name in ("code", "month", "year"), (path, name)
    assert seen > 10


@pytest.mark.parametrize("segment", ["abc", "0", "-1", "1.5", str(2**63)])
def test_ids_that_are_not_row_ids_still_answer_problem_404(alpha, segment):
    response = alpha.client.get(f"/api/v1/tickets/{segment}/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_schema_is_english_whatever_the_caller_speaks(alpha):
    schemas = []
    for language in ("pl", "en"):
        with translation.override(language):
            response = alpha.client.get(SCHEMA_URL, HTTP_ACCEPT="application/vnd.oai.openapi+json",
                                        HTTP_ACCEPT_LANGUAGE=language)
        schemas.append(json.loads(response.content))
    assert schemas[0] == schemas[1]
    text = json.dumps(schemas[0], ensure_ascii=False)
    # Choice labels and field titles come from the models; the Polish catalogue must not leak in.
    assert "wygasł" not in text and '"title": "Kod"' not in text
    polish = set(re.findall(r"\w*[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]\w*", text))
    assert polish <= {"Paweł"}, polish  # a name in an example
    assert "The base of every API view" not in text
