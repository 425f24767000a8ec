"""Cursor pagination of every list."""
from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 100
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page, 1–100 (default 50; larger values give 100)."
    cursor_query_description = "The position returned as `next` or `previous` by the previous page."
    ordering = "id"

    def decode_cursor(self, request):
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
        return params
