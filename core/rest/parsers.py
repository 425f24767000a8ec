"""Strict JSON: bounded size and nesting. NUL characters are refused by the fields that read text
(DRF's text fields and ``core.rest.fields.TenantSlugField``; the schema's string patterns say so),
so a 400 names the field; keys the schema does not declare are ignored, like any unknown key."""
from __future__ import annotations

import json

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


def _too_deep(text: str, limit: int) -> bool:
    """Whether arrays/objects nest deeper than ``limit``, found before parsing (the parser and every
    serializer after it recurse: a body nested thousands deep would overflow their stack)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class StrictJSONParser(JSONParser):
    """JSON of at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes (413) and nested at most ``MAX_DEPTH`` deep
    (400). PostgreSQL cannot store NUL in text or jsonb: every field that reads text refuses it (400,
    keyed by the field), so it never reaches a query."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(_("The request body is larger than %(n)s bytes.") % {"n": limit})
        try:
            text = raw.decode((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(_("The body is not valid UTF-8 JSON.")) from exc
        if _too_deep(text, MAX_DEPTH):
            raise exceptions.ParseError(_("JSON may nest at most %(n)s levels deep.") % {"n": MAX_DEPTH})
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from exc
        return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
