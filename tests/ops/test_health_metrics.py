"""/healthz, /healthz/live and /metrics: what operators watch, and who may read it."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.utils import timezone

from core.models import Heartbeat, OutboxMessage, WebhookDelivery, WebhookEndpoint
from core.services import heartbeat_beat
from helpdesk.celery import app as celery_app
from helpdesk.logs import RequestContextMiddleware, logging_config
from monitor.tasks import SCAN_HEARTBEAT
from tickets.models import InboundEmail, Ticket
from tickets.services import ticket_create
from tests import factories

pytestmark = pytest.mark.django_db


def _health(client):
    response = client.get("/healthz")
    return response.status_code, json.loads(response.content)


@pytest.fixture
def running_ticket():
    world = factories.build_tenant_world("ops")
    ticket = ticket_create(tenant=world.tenant, channel="portal", subject="Drukarka etykiet", body="Nie drukuje.",
                           contact=world.contact)
    Ticket.objects.filter(pk=ticket.pk).update(sla_state=Ticket.SlaState.RUNNING,
                                               due_at=timezone.now() + timedelta(hours=2))
    return ticket


def test_a_fresh_installation_is_healthy(client):
    status, body = _health(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "sla_scan", "outbox", "intake", "imap_poll"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


def test_a_stopped_sla_scan_turns_the_probe_503(client, running_ticket):
    # Given deadlines to watch and a scan that ran a minute ago, the installation is healthy.
    Heartbeat.objects.create(name=SCAN_HEARTBEAT, seen_at=timezone.now() - timedelta(minutes=1))
    assert _health(client)[0] == 200
    # When the scan stops for longer than the threshold, the probe fails and says why.
    Heartbeat.objects.filter(name=SCAN_HEARTBEAT).update(seen_at=timezone.now() - timedelta(minutes=6))
    status, body = _health(client)
    assert status == 503
    assert body["checks"]["sla_scan"]["status"] == "failing"
    assert body["checks"]["sla_scan"]["age_seconds"] >= 360
    assert body["checks"]["sla_scan"]["max_age_seconds"] == 300
    # The liveness probe for the load balancer still answers: a worker outage keeps the web up.
    assert client.get("/healthz/live").status_code == 200
    # And a scan brings it back.
    heartbeat_beat(SCAN_HEARTBEAT)
    assert _health(client)[0] == 200


def test_running_deadlines_without_any_scan_are_unhealthy(client, running_ticket):
    status, body = _health(client)
    assert status == 503 and body["checks"]["sla_scan"]["since"] is None


def test_an_old_undelivered_webhook_is_an_outbox_backlog(client):
    tenant = factories.TenantFactory()
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url="https://crm.example.com/hook",
                                              events=["ticket.created"], secret_encrypted="x")
    delivery = WebhookDelivery.objects.create(tenant=tenant, endpoint=endpoint, event_id="msg_1",
                                              event_type="ticket.created", payload={})
    assert _health(client)[0] == 200
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    status, body = _health(client)
    assert status == 503 and body["checks"]["outbox"]["status"] == "failing"


def test_an_old_pending_e_mail_in_the_outbox_is_a_backlog(client):
    tenant = factories.TenantFactory()
    message = OutboxMessage.objects.create(tenant=tenant, handler="test", recipient="a@example.com",
                                           dedupe_key=f"test:{tenant.pk}", message_id=f"<t{tenant.pk}@example.com>")
    assert _health(client)[0] == 200
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    status, body = _health(client)
    assert status == 503 and body["checks"]["outbox"]["status"] == "failing"


def test_mail_stored_but_not_processed_is_an_intake_lag(client):
    tenant = factories.TenantFactory()
    InboundEmail.objects.create(tenant=tenant, raw=b"Subject: x\r\n\r\nx", status=InboundEmail.Status.RECEIVED,
                                received_at=timezone.now() - timedelta(minutes=11))
    status, body = _health(client)
    assert status == 503 and body["checks"]["intake"]["status"] == "failing"


def test_an_unreachable_broker_fails_the_probe(client, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(celery_app.conf, "broker_write_url", "redis://127.0.0.1:9/0")
    status, body = _health(client)
    assert status == 503 and body["checks"]["broker"]["status"] == "failing"


def test_metrics_are_hidden_without_a_token_or_an_allowed_address(client):
    assert client.get("/metrics").status_code == 404
    with override_settings(METRICS_TOKEN="s3cret-metrics-token-0123456789"):
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token-0123456789").status_code == 200
    with override_settings(METRICS_ALLOWED_IPS=["127.0.0.0/8"]):
        assert client.get("/metrics").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404


@override_settings(METRICS_ALLOWED_IPS=["127.0.0.1"])
def test_metrics_expose_the_operators_gauges(client, running_ticket):
    Heartbeat.objects.create(name=SCAN_HEARTBEAT, seen_at=timezone.now() - timedelta(seconds=42))
    text = client.get("/metrics").content.decode()
    for name in ("helpdesk_sla_scan_age_seconds", "helpdesk_outbox_oldest_undelivered_age_seconds",
                 "helpdesk_intake_oldest_unprocessed_age_seconds", "helpdesk_imap_oldest_poll_age_seconds"):
        assert f"# TYPE {name} gauge" in text
    assert 'helpdesk_tickets{sla_state="running"} 1.0' in text
    assert 'helpdesk_webhook_deliveries{status="failed"} 0.0' in text
    assert 'helpdesk_outbox_messages{status="dead"} 0.0' in text
    age = float(next(line.split()[1] for line in text.splitlines()
                     if line.startswith("helpdesk_sla_scan_age_seconds ")))
    assert 42 <= age < 120


def test_every_log_line_of_a_request_carries_its_id_and_tenant(rf):
    tenant = factories.TenantFactory(slug="acme")
    config = logging_config(json=True, level="INFO")["formatters"]["structured"]
    formatter = config.pop("()")(**config)
    lines: list[dict] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(formatter.format(record)))

    logger = logging.getLogger("tests.ops.requests")
    logger.addHandler(Capture())
    logger.setLevel(logging.INFO)

    def view(request):
        logger.info("inside the request")
        return HttpResponse("ok")

    request = rf.get("/portal/", HTTP_X_REQUEST_ID="req-12345678")
    request.tenant = tenant
    response = RequestContextMiddleware(view)(request)
    logger.info("after the request")

    assert response["X-Request-ID"] == "req-12345678"
    inside, after = lines
    assert inside["event"] == "inside the request" and inside["request_id"] == "req-12345678"
    assert inside["tenant"] == "acme" and inside["level"] == "info" and inside["timestamp"]
    assert "request_id" not in after and "tenant" not in after
    # A header that is not a sane id is replaced, never echoed.
    bad = rf.get("/", HTTP_X_REQUEST_ID="<script>")
    bad.tenant = None
    echoed = RequestContextMiddleware(view)(bad)["X-Request-ID"]
    assert echoed != "<script>" and len(echoed) == 32
