"""Cursor pagination of every list.

A cursor is opaque to clients but has a format the schema states (``CURSOR_PATTERN``): ``r`` for a
backward page, ``p`` and the last ID seen, ``o`` and an offset among equal positions. Every value of
that format is a valid position — one never issued gives the page after that ID (maybe empty), not
an error — so the schema's promise holds: what matches the pattern is accepted. Cursors of the
earlier base64 form are still read.
"""
from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination, _positive_int
from rest_framework.utils.urls import replace_query_param

CURSOR_PATTERN = r"^r?(p[0-9]{1,18})?(o[0-9]{1,4})?$"
_CURSOR = re.compile(r"^(?P<reverse>r?)(?:p(?P<position>[0-9]{1,18}))?(?:o(?P<offset>[0-9]{1,4}))?$")


class ApiCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 100
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page, 1–100 (default 50; larger values give 100)."
    cursor_query_description = "The position returned as `next` or `previous` by the previous page."
    ordering = "id"

    def encode_cursor(self, cursor):
        text = ("r" if cursor.reverse else "") + (f"p{int(cursor.position)}" if cursor.position is not None else "")
        if cursor.offset:
            text += f"o{min(int(cursor.offset), self.offset_cutoff)}"
        return replace_query_param(self.base_url, self.cursor_query_param, text)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        match = _CURSOR.match(encoded) if encoded is not None else None
        if match is not None:
            return Cursor(offset=_positive_int(match["offset"] or "0", cutoff=self.offset_cutoff),
                          reverse=bool(match["reverse"]), position=match["position"])
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [str(exc.detail)]}) from exc

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                value = int(raw)
            except (TypeError, ValueError):
                value = 0
            if value < 1:
                raise exceptions.ValidationError({"page_size": [_("Give a whole number from 1 to 100.")]})
            return min(value, self.max_page_size)
        return self.page_size

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == "page_size":
                param["schema"] = {"type": "integer", "minimum": 1}
            if param["name"] == self.cursor_query_param:
                param["schema"] = {"type": "string", "pattern": CURSOR_PATTERN, "maxLength": 25}
                param["description"] = ("The position returned in `next` or `previous` by the previous page; "
                                        "an opaque value of the pattern shown.")
        return params
