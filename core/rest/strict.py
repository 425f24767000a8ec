"""JSON bodies are taken as the schema declares them: a string field takes a string, a boolean
field takes ``true`` or ``false``, a length limit applies to the value as sent.

DRF is lenient by default: ``"can_file_tickets": 0`` is read as false, ``"notes": 0`` as the text
"0", and a 251-character subject that starts with a space passes ``max_length=250`` because the
space is trimmed first. A generated client never sends such values, and a schema-aware fuzzer
rightly reports their acceptance as the server contradicting its own OpenAPI document. The strict
reading applies to request bodies only (the serializer whose data is the request's JSON); query
strings, which are always text, keep DRF's parsing.
"""
from __future__ import annotations

from rest_framework import serializers

_lenient_char = serializers.CharField.to_internal_value
_lenient_bool = serializers.BooleanField.to_internal_value


def _from_json_body(field) -> bool:
    request = field.context.get("request") if field.context else None
    root = field.root
    data = getattr(request, "data", None) if request is not None else None
    return data is not None and getattr(root, "initial_data", None) is data


def _strict_char(self, data):
    if _from_json_body(self):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
    return _lenient_char(self, data)


def _strict_bool(self, data):
    if _from_json_body(self) and not isinstance(data, bool):
        self.fail("invalid", input=data)
    return _lenient_bool(self, data)


def install() -> None:
    """Called once from the core's AppConfig.ready: every API serializer reads bodies strictly."""
    serializers.CharField.to_internal_value = _strict_char
    serializers.BooleanField.to_internal_value = _strict_bool
