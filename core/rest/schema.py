"""The OpenAPI schema: integer row IDs in paths, single objects where the view returns one, English
text throughout, and every operation's problem+json errors."""
from __future__ import annotations

import contextvars
import re

from django.core.validators import RegexValidator
from django.utils import translation
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import normalize_result_object
from rest_framework import serializers

from core.rest.errors import PROBLEM_CONTENT_TYPE
from core.rest.filters import MAX_ID

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

# A text value as the API takes it: anything but NUL characters.
NO_NUL_PATTERN = "^[^\x00]*$"

# drf-spectacular's pattern of a decimal string field.
_DECIMAL_PATTERN = re.compile(r"\^-\?\\d\{0,(?P<whole>[0-9]+)\}\(\?:\\\.\\d\{0,(?P<places>[0-9]+)\}\)\?\$")

# Path variables that carry a row ID.
_ID_VARIABLES = ("id", "pk")


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's introspection with the API's conventions.

    - every field of a response object is required (it is always sent);
    - a view with ``single_object = True`` answers one object even on its ``list`` route
      (``/organizations/{id}/usage/``);
    - an operation without an explicit description gets none, not the base class's docstring;
    - a serializer with ``schema_closed = True`` is an object without additional properties.
    """

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        closed = getattr(serializer, "schema_closed", False)
        if closed:
            # An object of declared, optional keys (e.g. a subscription's overrides): others are refused,
            # and a response carries only the keys that are set.
            schema["additionalProperties"] = False
        if direction == "response" and schema.get("properties") and not closed:
            # A response always carries every field it declares (null where a field has no value), so a
            # generated client need not treat any of them as possibly absent.
            schema["required"] = list(schema["properties"])
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        types = schema.get("type") if isinstance(schema, dict) else None
        decimal = _DECIMAL_PATTERN.fullmatch(str(schema.get("pattern", ""))) if isinstance(
            field, serializers.DecimalField) else None
        if decimal:
            # A decimal sent as a string: at least one digit, ASCII digits, no sign when its minimum is 0.
            sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
            # A minimum of the smallest positive step (0.01 with two places): not all zeros.
            positive = "(?=[0-9.]*[1-9])" if field.min_value is not None and field.min_value > 0 else ""
            schema["pattern"] = (rf"^{positive}{sign}[0-9]{{1,{decimal['whole']}}}"
                                 rf"(?:\.[0-9]{{1,{decimal['places']}}})?$")
        own_pattern = any(isinstance(v, RegexValidator) for v in getattr(field, "validators", []))
        if (direction == "request" and (types == "string" or (isinstance(types, list) and "string" in types))
                and not own_pattern and not {"pattern", "enum", "format"} & set(schema)):
            # Text fields refuse NUL characters (PostgreSQL cannot store them): said, not only done.
            schema["pattern"] = NO_NUL_PATTERN
        return schema

    def _is_list_view(self, serializer=None) -> bool:
        if getattr(self.view, "single_object", False):
            return False
        return super()._is_list_view(serializer)

    def get_description(self):
        description = super().get_description()
        from core.rest.viewsets import ApiViewSet

        if description and description == (ApiViewSet.__doc__ or "").strip():
            return ""
        return description


_previous_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("schema_language", default=None)


def english_begin(endpoints):
    """Preprocessing hook: the schema is for developers, so it is generated in English whatever the
    caller's language (``english_end`` restores it)."""
    _previous_language.set(translation.get_language())
    translation.activate("en")
    return endpoints


def english_end(result, generator, request, public):
    """Postprocessing hook, the last one: resolve every lazy text while English is active."""
    result = normalize_result_object(result)
    previous = _previous_language.get()
    if previous:
        translation.activate(previous)
    else:
        translation.deactivate()
    return result

ERRORS_DESCRIPTION = (
    "Validation errors: `{path: [messages]}`. Each key is the path of the offending value in the "
    "request as sent: a field name (`external_id`), a nested field joined with dots "
    "(`terms.reaction_minutes`), a list item by its index in brackets (`addons[1].calendar`, "
    "`emails[0]`). `non_field_errors` holds only errors that concern several fields together; a "
    "query parameter is keyed by its name, a header by its name (`Idempotency-Key`).")

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error (RFC 9457 problem details).",
    "properties": {
        "type": {"type": "string", "description": "A URN naming the kind of problem.",
                 "example": "urn:helpdesk:problem:invalid"},
        "title": {"type": "string", "description": "The HTTP status phrase.", "example": "Bad Request"},
        "status": {"type": "integer", "description": "The HTTP status code.", "example": 400},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "errors": {"type": "object", "description": ERRORS_DESCRIPTION,
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["type", "title", "status", "detail"],
}

_ERROR_TEXT = {
    "400": "Invalid input: bad JSON, wrong types, failed validation, bad filter or cursor.",
    "401": "No or unknown/revoked token.",
    "403": "Not allowed: a customer's session, or an agent token where admin is needed.",
    "404": "No such object in your tenant (another tenant's objects are 404 too).",
    "409": "A request with the same Idempotency-Key is still running, or the data conflicts.",
    "422": "A rule refuses a well-formed request: it names an object that does not exist in your tenant, "
           "or the object's state or the plan does not allow it (`errors` says which field); or the "
           "Idempotency-Key was used with a different request body.",
    "429": "Rate limit exceeded: retry after `Retry-After` seconds.",
}


def integer_path_ids(result, generator, request, public):
    """Postprocessing hook: ``{id}`` and ``{…_id}`` path parameters are integers from 1, like the IDs in
    bodies (the URL patterns accept any segment so that a malformed ID is a problem+json 404)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                name = parameter.get("name", "")
                if parameter.get("in") == "path" and (name in _ID_VARIABLES or name.endswith("_id")):
                    parameter["schema"] = dict(ID_SCHEMA)
    return result


def add_problem_responses(result, generator, request, public):
    """Postprocessing hook: every operation declares its problem+json errors."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/schema"):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if (parameter.get("in") == "query" and schema.get("type") == "string"
                        and not {"pattern", "enum", "format"} & set(schema)):
                    schema["pattern"] = NO_NUL_PATTERN  # the API refuses NUL in a query (400)
            codes = ["400", "401", "403", "404", "422", "429"]
            if method in ("post", "patch", "put", "delete"):
                codes.append("409")
            if method == "post":
                operation.setdefault("parameters", []).append({
                    "in": "header", "name": "Idempotency-Key", "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "\\S"},
                    "description": "Repeat-safe POST: the same key and body within 24 h replays the first "
                                   "response; a different body is a 422; a repeat while the first runs is a 409."})
            responses = operation.setdefault("responses", {})
            for code in codes:
                headers = {}
                if code == "429":
                    headers = {"Retry-After": {"schema": {"type": "integer"},
                                               "description": "Seconds to wait."}}
                if code == "401":
                    headers = {"WWW-Authenticate": {"schema": {"type": "string"},
                                                    "description": "`Bearer realm=\"api\"`."}}
                responses.setdefault(code, {"description": _ERROR_TEXT[code],
                                            "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}},
                                            **({"headers": headers} if headers else {})})
    return result
