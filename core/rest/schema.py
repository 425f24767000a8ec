"""OpenAPI post-processing: every operation declares its problem+json errors."""
from __future__ import annotations

from core.rest.errors import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error (RFC 9457 problem details).",
    "properties": {
        "type": {"type": "string", "description": "A URN naming the kind of problem.",
                 "example": "urn:helpdesk:problem:invalid"},
        "title": {"type": "string", "description": "The HTTP status phrase.", "example": "Bad Request"},
        "status": {"type": "integer", "description": "The HTTP status code.", "example": 400},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "errors": {"type": "object", "description": "Validation errors: `{field: [messages]}`.",
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
    "422": "The Idempotency-Key was used with a different request body.",
    "429": "Rate limit exceeded: retry after `Retry-After` seconds.",
}


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
            codes = ["400", "401", "403", "404", "429"]
            if method in ("post", "patch", "put", "delete"):
                codes.append("409")
            if method == "post":
                codes.append("422")
                operation.setdefault("parameters", []).append({
                    "in": "header", "name": "Idempotency-Key", "required": False,
                    "schema": {"type": "string", "maxLength": 255},
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
