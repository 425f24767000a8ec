"""The API speaks the caller's language: ``Accept-Language`` (Polish or English), English for a token
that names none; every message the API can send exists in Polish."""
from __future__ import annotations

import inspect

import pytest
from django.utils import translation
from rest_framework import exceptions, fields, relations, serializers

INVALID_HOOK = {"url": "https://crm.example.com/hook", "events": []}


def _problem(api, language=None):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = api.client.post("/api/v1/webhooks/", INVALID_HOOK, format="json", **headers)
    assert response.status_code == 400
    return response


def test_a_token_without_accept_language_gets_english(alpha):
    response = _problem(alpha)
    assert response["Content-Language"] == "en" and "Accept-Language" in response["Vary"]
    assert response.json()["detail"] == "The data is not valid."
    assert response.json()["errors"] == {"events": ["Ensure this field has at least 1 elements."]}


@pytest.mark.parametrize("header", ["pl", "pl-PL,pl;q=0.9,en;q=0.8", "de, pl;q=0.5"])
def test_accept_language_polish(alpha, header):
    response = _problem(alpha, header)
    assert response["Content-Language"] == "pl"
    assert response.json()["detail"] == "Dane są nieprawidłowe."
    assert response.json()["errors"] == {"events": ["Lista musi mieć co najmniej 1 element(ów)."]}


@pytest.mark.parametrize("header", ["en", "en-GB,en;q=0.9", "de", "*"])
def test_accept_language_english_or_unsupported(alpha, header):
    response = _problem(alpha, header)
    assert response["Content-Language"] == "en" and response.json()["detail"] == "The data is not valid."


def test_not_found_and_auth_errors_follow_the_language(alpha, client):
    missing = alpha.client.get("/api/v1/tickets/999999/", HTTP_ACCEPT_LANGUAGE="pl")
    assert missing.status_code == 404 and missing.json()["detail"] != "Not found."
    unknown_path = alpha.client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="pl")
    assert unknown_path.json()["detail"] == "Nie ma takiego zasobu API."
    anonymous = client.get("/api/v1/tickets/", HTTP_ACCEPT_LANGUAGE="en")
    assert anonymous.status_code in (401, 403) and anonymous["Content-Language"] == "en"


def test_a_staff_session_without_accept_language_keeps_the_users_language(alpha):
    from django.test import Client

    session = Client()
    session.force_login(alpha.world.admin.user)
    response = session.post("/api/v1/webhooks/", INVALID_HOOK, content_type="application/json",
                            HTTP_HOST="testserver")
    assert response.status_code in (400, 403)
    assert response["Content-Language"] == "pl"


def _drf_messages():
    """Every error message of DRF's fields and exceptions (the API's validation speaks through them)."""
    lazy = []
    for module in (fields, relations, serializers):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, fields.Field):
                for klass in cls.__mro__:
                    lazy.extend(getattr(klass, "default_error_messages", {}).values())
    for _name, cls in inspect.getmembers(exceptions, inspect.isclass):
        if issubclass(cls, exceptions.APIException):
            lazy.append(cls.default_detail)
    with translation.override("en"):
        return {str(message): message for message in lazy}


def test_every_drf_message_has_a_polish_translation():
    messages = _drf_messages()
    assert "Ensure this field has at least {min_length} elements." in messages
    with translation.override("pl"):
        untranslated = sorted(msgid for msgid, message in messages.items() if str(message) == msgid)
    assert untranslated == []
