"""Strict JSON: no NUL characters anywhere in a body."""
from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class StrictJSONParser(JSONParser):
    """JSON without NUL characters: PostgreSQL cannot store them in text or jsonb, so they are a 400
    here rather than a database error later."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            raise exceptions.ParseError(_("Text may not contain NUL characters (\\u0000)."))
        return data
