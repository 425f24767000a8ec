"""A DRF response whose body was rendered earlier (a cached list page, ``tickets.list_cache``)."""
from __future__ import annotations

import json

from rest_framework.response import Response


class RenderedResponse(Response):
    """Sends ``content``, rendered by the request's renderer for its media type, as it is, with the
    headers DRF would give it; ``data`` is parsed back from it when something asks."""

    def __init__(self, content: bytes, **kwargs):
        self._content = content
        super().__init__(None, **kwargs)

    @property
    def data(self):
        return json.loads(self._content) if self._content else None

    @data.setter
    def data(self, value) -> None:
        if value is not None:  # Response.__init__ sets None; nothing else sets it
            raise AttributeError("a rendered response's data is its content")

    @property
    def rendered_content(self) -> bytes:
        renderer = self.accepted_renderer
        charset = renderer.charset
        self["Content-Type"] = f"{renderer.media_type}; charset={charset}" if charset else renderer.media_type
        return self._content
