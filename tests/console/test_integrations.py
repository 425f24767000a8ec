"""API tokens and webhooks in the settings: secrets shown once, every change audited, tenant-scoped."""
from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import ApiToken, AuditEvent, WebhookDelivery, WebhookEndpoint
from core.rest.auth import token_hash

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(demo, client):
    client.force_login(demo.user("admin@wysylki.example.com"))
    return client


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(demo, admin_client):
    response = admin_client.post(reverse("console:api_tokens"), {"name": "CRM", "role": "agent"})
    token = response.context["created"]
    assert token and token in response.content.decode() and response["Cache-Control"] == "no-store"
    row = ApiToken.objects.get(tenant=demo.wysylki, name="CRM")
    assert row.key_hash == token_hash(token) and token not in admin_client.get(reverse("console:api_tokens")
                                                                               ).content.decode()
    admin_client.post(reverse("console:api_token_revoke", args=[row.pk]))
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(row.pk)).exists()


def test_webhook_create_pause_log_and_delete(demo, admin_client):
    response = admin_client.post(reverse("console:webhook_list"), {
        "url": "https://crm.example.com/hooks", "description": "CRM", "events": ["ticket.created"]})
    assert response.status_code == 200 and response.context["secret"]
    endpoint = WebhookEndpoint.objects.get(tenant=demo.wysylki, url="https://crm.example.com/hooks")
    WebhookDelivery.objects.create(tenant=demo.wysylki, endpoint=endpoint, event_id="evt_1",
                                   event_type="ticket.created", payload={}, status="failed", attempts=8,
                                   last_status_code=500, last_error="Internal Server Error")
    detail = admin_client.get(reverse("console:webhook_detail", args=[endpoint.pk])).content.decode()
    assert "ticket.created" in detail and "HTTP 500" in detail
    admin_client.post(reverse("console:webhook_detail", args=[endpoint.pk]), {"action": "disable"})
    endpoint.refresh_from_db()
    assert not endpoint.active
    admin_client.post(reverse("console:webhook_detail", args=[endpoint.pk]), {"action": "delete"})
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert {"webhook.created", "webhook.changed", "webhook.deleted"} <= set(
        AuditEvent.objects.filter(object_id=str(endpoint.pk), object_type="helpdesk.webhookendpoint")
        .values_list("action", flat=True))


@pytest.mark.parametrize("url", ["not a url", "http://127.0.0.1/hook", "ftp://example.com/x"])
def test_a_bad_webhook_url_is_a_form_error(demo, admin_client, url):
    response = admin_client.post(reverse("console:webhook_list"), {"url": url, "events": ["ticket.created"]})
    assert response.status_code == 200 and response.context["form"].errors
    assert not WebhookEndpoint.objects.filter(tenant=demo.wysylki, url=url).exists()


def test_another_tenants_token_and_webhook_are_404(demo, admin_client):
    from core.services import api_token_create, webhook_create

    token, _secret = api_token_create(tenant=demo.kjm, name="KJM")
    endpoint, _secret = webhook_create(tenant=demo.kjm, url="https://kjm.example.com/h", events=["ticket.created"],
                                       actor=None)
    assert admin_client.post(reverse("console:api_token_revoke", args=[token.pk])).status_code == 404
    assert admin_client.post(reverse("console:webhook_detail", args=[endpoint.pk]),
                             {"action": "delete"}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None and WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
