"""Secrets at rest: API tokens hashed, webhook signing secrets and IMAP passwords encrypted.

Each test reads the raw database row with SQL, as someone with a copy of the database would.
"""
from __future__ import annotations

import hashlib

from django.db import connection

from core.services import api_token_create
from core.models import ApiToken, WebhookEndpoint
from tickets.models import Mailbox


def raw_row(model, pk) -> dict:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}" WHERE id = %s', [pk])
        columns = [c[0] for c in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def row_text(row: dict) -> str:
    return " ".join(str(v) for v in row.values())


def test_api_token_is_stored_only_as_its_sha256(two_tenants):
    alpha, _beta = two_tenants
    # given a new token
    row, token = api_token_create(tenant=alpha.tenant, name="CRM", created_by=alpha.admin.user)

    # then the database has its hash and an 8-character prefix, never the token
    stored = raw_row(ApiToken, row.pk)
    assert token not in row_text(stored)
    assert token[8:] not in row_text(stored)
    assert stored["key_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert stored["prefix"] == token[:8]


def test_a_token_hash_from_the_database_does_not_authenticate(two_tenants, client):
    alpha, _beta = two_tenants
    row, token = api_token_create(tenant=alpha.tenant, name="CRM", created_by=alpha.admin.user)
    stolen = raw_row(ApiToken, row.pk)["key_hash"]

    # when someone presents the stored hash as the token, then the API refuses it
    assert client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Bearer {stolen}").status_code == 401
    # while the token itself works
    assert client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_webhook_signing_secret_is_encrypted(two_tenants):
    from core.services import webhook_create
    from core.webhooks import secret_decrypt

    alpha, _beta = two_tenants
    endpoint, secret = webhook_create(tenant=alpha.tenant, url="https://crm.example.com/hook",
                                      events=["ticket.created"], actor=alpha.admin.user)

    stored = raw_row(WebhookEndpoint, endpoint.pk)
    assert secret not in row_text(stored)
    assert secret.split("_", 1)[-1] not in row_text(stored)
    assert stored["secret_encrypted"] and stored["secret_encrypted"] != secret
    assert secret_decrypt(stored["secret_encrypted"]) == secret


def test_imap_password_is_encrypted(two_tenants, settings):
    alpha, _beta = two_tenants
    mailbox = Mailbox(tenant=alpha.tenant, name="Pomoc", host="imap.example.com", username="pomoc@example.com")
    mailbox.password = "Tajne-Haslo-IMAP-2026"
    mailbox.save()

    stored = raw_row(Mailbox, mailbox.pk)
    assert "Tajne-Haslo-IMAP-2026" not in row_text(stored)
    assert Mailbox.objects.get(pk=mailbox.pk).password == "Tajne-Haslo-IMAP-2026"

    # a database copy without the SECRET_KEY does not give the password away
    from tickets.email.crypto import SecretUnreadable

    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    try:
        _ = Mailbox.objects.get(pk=mailbox.pk).password
    except SecretUnreadable:
        pass
    else:
        raise AssertionError("the password was readable with another SECRET_KEY")
