"""Every API error as ``application/problem+json`` (RFC 9457)."""
from __future__ import annotations

import json
import math
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.models import IdempotencyKey

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state.")
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The request cannot be processed.")
    default_code = "unprocessable"


class _Replay(Exception):
    def __init__(self, record: IdempotencyKey):
        self.record = record


NON_FIELD = "non_field_errors"


def field_path(prefix: str, key) -> str:
    """The path of a value in the request: ``terms.reaction_minutes``, ``addons[1].calendar``, ``emails[0]``."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF error details as ``{path: [messages]}`` (``field_path``); an object's own errors (a nested
    serializer's ``non_field_errors``) are keyed by the object's path, the request's by
    ``non_field_errors``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = (prefix or NON_FIELD) if key in ("__all__", NON_FIELD) else field_path(prefix, key)
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, (list, tuple)):
        if all(not isinstance(item, (dict, list, tuple)) for item in detail):
            out.setdefault(prefix or NON_FIELD, []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                for k, v in _flatten(item, field_path(prefix, index)).items():
                    out.setdefault(k, []).extend(v)
    elif detail is not None and str(detail):
        out.setdefault(prefix or NON_FIELD, []).append(str(detail))
    return out


def _django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD: [str(m) for m in exc.messages]}
    return {(NON_FIELD if k == "__all__" else k): [str(m) for m in v] for k, v in exc.message_dict.items()}


@contextmanager
def errors_at(prefix: str = "", *, rename: dict[str, str] | None = None):
    """Re-key a service's ``ValidationError`` to the request's paths.

    Services name the model's fields; the request may nest them (``addons[1]``) or name them
    differently (``terms_effective_from`` for the new version's ``effective_from``). ``rename`` gives
    whole paths, which are not put under ``prefix``.
    """
    try:
        yield
    except DjangoValidationError as exc:
        rename = rename or {}
        errors: dict[str, list[str]] = {}
        for key, messages in _django_errors(exc).items():
            if key in rename:
                path = rename[key]
            else:
                path = (prefix or NON_FIELD) if key == NON_FIELD else field_path(prefix, key)
            errors.setdefault(path, []).extend(messages)
        raise DjangoValidationError({k: [DjangoValidationError(m) for m in v] for k, v in errors.items()}) from exc


def problem(status_code: int, detail: str, *, code: str, errors: dict | None = None, headers=None) -> Response:
    body = {
        "type": f"urn:helpdesk:problem:{code}",
        "title": _title(status_code),
        "status": status_code,
        "detail": str(detail),
    }
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _title(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


# Rejections that no schema can foresee: the request is well formed, but it names an object that
# does not exist in this tenant or breaks a rule of the helpdesk (a service's or a model's check).
# They answer 422; a duplicate of a unique value answers 409; what the schema describes (types,
# formats, lengths, ranges, required fields) stays 400.
RULE_CODES = frozenset({"does_not_exist", "rule"})
CONFLICT_CODES = frozenset({"unique", "unique_together"})


def _leaf_codes(codes) -> list[str]:
    if isinstance(codes, dict):
        return [c for value in codes.values() for c in _leaf_codes(value)]
    if isinstance(codes, (list, tuple)):
        return [c for value in codes for c in _leaf_codes(value)]
    return [str(codes)]


def validation_status(exc: exceptions.ValidationError) -> tuple[int, str]:
    """400 for input the schema describes as invalid; 422 when every error is a rule's, 409 when
    every error is a duplicate."""
    leaves = set(_leaf_codes(exc.get_codes()))
    if leaves and leaves <= CONFLICT_CODES:
        return 409, "conflict"
    if leaves and leaves <= RULE_CODES | CONFLICT_CODES:
        return 422, "unprocessable"
    return 400, "invalid"


def problem_exception_handler(exc, context):
    """Every error of the API as ``application/problem+json``; ``None`` (a 500) only for real bugs."""
    if isinstance(exc, DjangoValidationError):
        # A service's or a model's rule: the request was well formed (the serializer passed it).
        # A value that must be unique and is taken is a conflict.
        flat = [e for errors in exc.error_dict.values() for e in errors] if hasattr(exc, "error_dict") else \
            exc.error_list
        if flat and {e.code for e in flat} <= CONFLICT_CODES:
            return problem(409, _("The data conflicts with an existing record."), code="conflict",
                           errors=_django_errors(exc))
        return problem(422, _("The request breaks a rule of the helpdesk."), code="unprocessable",
                       errors=_django_errors(exc))
    if isinstance(exc, OperationalError) and "locked" in str(exc):
        # SQLite's writer lock held past the busy timeout: nothing was written, a retry will do.
        return problem(503, _("The database is busy: retry in a moment."), code="busy",
                       headers={"Retry-After": "1"})
    if isinstance(exc, RequestDataTooBig):
        return problem(413, _("The request body is too large."), code="too_large")
    if isinstance(exc, OverflowError):
        # A date or number the checks let through but the arithmetic cannot hold (e.g. a deadline
        # past the year 9999): the input is out of range, not a server fault.
        return problem(400, _("A date or number is out of range."), code="invalid",
                       errors={"non_field_errors": [_("A date or number is out of range.")]})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, IntegrityError):
        exc = Conflict(_("The data conflicts with an existing record (was it sent twice?)."))
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled):
        wait = math.ceil(exc.wait or 1)
        headers["Retry-After"] = str(wait)
        return problem(429, _("Too many requests: retry in %(s)s s.") % {"s": wait}, code="throttled",
                       headers=headers)
    if isinstance(exc, exceptions.ValidationError):
        status_code, code = validation_status(exc)
        detail = {400: _("The data is not valid."), 409: _("The data conflicts with an existing record."),
                  422: _("The request breaks a rule of the helpdesk.")}[status_code]
        return problem(status_code, detail, code=code, errors=_flatten(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return problem(400, str(exc.detail), code="parse_error", errors={"non_field_errors": [str(exc.detail)]})
    detail = exc.detail if not isinstance(exc.detail, (list, dict)) else json.dumps(exc.detail)
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    return problem(exc.status_code, detail, code=code, headers=headers or None)


def not_found(request, *args, **kwargs):
    """Unknown paths under ``/api/v1/``: a problem+json 404 like every other API error."""
    from django.http import JsonResponse

    return JsonResponse({"type": "urn:helpdesk:problem:not_found", "title": "Not Found", "status": 404,
                         "detail": _("No such API resource.")}, status=404, content_type=PROBLEM_CONTENT_TYPE)
