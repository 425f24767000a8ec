"""Outgoing webhooks: events, signatures (Standard Webhooks) and delivery with retries.

``emit`` is the only way to send an event. It records one delivery per subscribed endpoint when the
surrounding transaction commits, and a Celery task sends it. Failed attempts are retried with
exponential backoff for more than 24 hours; an endpoint whose deliveries keep failing for that long
is disabled and the tenant's admins get an e-mail.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Membership, Role, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

EVENTS = (
    "ticket.created",
    "ticket.updated",
    "ticket.message_added",
    "sla.warning",
    "sla.breached",
    "time_entry.created",
    "package.low",
    "package.exhausted",
    "package.expired",
)

# Delay before attempt n+1 after n failed attempts: 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h.
# Attempts span 31 h 36 min from the first failure: a receiver down for a whole day still gets it.
RETRY_DELAYS = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
    timedelta(hours=5), timedelta(hours=10), timedelta(hours=14),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TIMEOUT_SECONDS = 10
EXCERPT_CHARS = 2000
SECRET_PREFIX = "whsec_"

# --- emitting -----------------------------------------------------------------------------------


def emit(tenant_id: int, event_type: str, payload: dict[str, Any], *, event_id: str | None = None) -> str:
    """Send ``event_type`` with ``payload`` to every active endpoint of the tenant subscribed to it.

    - ``event_type``: one of ``EVENTS`` (ValueError otherwise).
    - ``payload``: a JSON-serialisable dict (dates, Decimals and UUIDs are converted); it becomes
      the ``data`` of the delivered body ``{"id", "type", "timestamp", "data"}``.
    - Runs on commit: called inside a transaction, nothing is recorded or sent unless it commits;
      called outside one, it acts at once. It never sends HTTP itself — a Celery task does.
    - ``event_id``: optional and stable for one occurrence (e.g. ``ticket.created:<id>``) so that a
      retried caller does not send the same event twice; by default a new ``msg_<uuid>``.
    - Returns the event id, the ``webhook-id`` header every endpoint receives for it.

    Safe to call from request code, services and Celery tasks alike.
    """
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event {event_type!r}")
    event_id = event_id or f"msg_{uuid.uuid4().hex}"
    body = {
        "id": event_id,
        "type": event_type,
        "timestamp": timezone.now().isoformat(),
        "data": json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
    }
    transaction.on_commit(lambda: _fan_out(tenant_id, event_type, event_id, body))
    return event_id


def _fan_out(tenant_id: int, event_type: str, event_id: str, body: dict) -> None:
    from core.tasks import webhook_deliver

    endpoints = [e for e in WebhookEndpoint.objects.for_tenant(tenant_id).filter(active=True)
                 if event_type in (e.events or [])]
    now = timezone.now()
    for endpoint in endpoints:
        try:
            delivery = WebhookDelivery.objects.create(
                tenant_id=tenant_id, endpoint=endpoint, event_id=event_id, event_type=event_type,
                payload=body, next_attempt_at=now)
        except IntegrityError:  # Already recorded (a repeated call); the periodic task sends it.
            continue
        _enqueue(webhook_deliver, delivery.pk)


def _enqueue(task, delivery_id: int) -> None:
    try:
        task.delay(delivery_id)
    except Exception:  # A broker outage loses nothing: webhook_retry picks due deliveries up.
        log.exception("could not enqueue webhook delivery %s", delivery_id)


# --- secrets and signatures ----------------------------------------------------------------------


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"core.webhooks.secret:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("the webhook secret cannot be decrypted (was SECRET_KEY changed?)") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}`` with the secret's decoded key."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


# --- delivering ----------------------------------------------------------------------------------


def deliver(delivery_id: int, *, force: bool = False) -> WebhookDelivery | None:
    """Make one attempt if the delivery is due (or ``force``); record it; schedule the next one.

    Idempotent: a delivery that succeeded, failed for good or is not yet due is left alone, and a
    row lock keeps two workers from sending the same attempt.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().select_related("endpoint")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return delivery
        if not force and (delivery.next_attempt_at is None or delivery.next_attempt_at > now):
            return delivery
        endpoint = delivery.endpoint
        if not endpoint.active and not force:
            return delivery
        # Claim the attempt: another worker finds it not due until the timeout has passed.
        delivery.next_attempt_at = now + timedelta(seconds=TIMEOUT_SECONDS * 3)
        delivery.save(update_fields=["next_attempt_at"])

    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": "helpdesk-webhooks/1",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret_decrypt(endpoint.secret_encrypted), delivery.event_id, timestamp, body),
    }
    status_code, response_text, error = _post(endpoint.url, body, headers)
    ok = status_code is not None and 200 <= status_code < 300
    finished = timezone.now()
    request_excerpt = "\n".join(f"{k}: {v}" for k, v in headers.items() if k != "webhook-signature")
    request_excerpt = f"POST {endpoint.url}\n{request_excerpt}\n\n{body.decode()[:EXCERPT_CHARS]}"

    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        delivery.attempts += 1
        delivery.last_attempt_at = finished
        delivery.last_status_code = status_code
        delivery.last_error = error[:300]
        delivery.request_excerpt = request_excerpt
        delivery.response_excerpt = (response_text or "")[:EXCERPT_CHARS]
        if ok:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = finished
            delivery.next_attempt_at = None
            endpoint.failure_count = 0
            endpoint.last_success_at = finished
            endpoint.save(update_fields=["failure_count", "last_success_at", "updated_at"])
        else:
            endpoint.failure_count += 1
            endpoint.save(update_fields=["failure_count", "updated_at"])
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = finished + RETRY_DELAYS[delivery.attempts - 1]
        delivery.save()
        if not ok and delivery.status == WebhookDelivery.Status.FAILED:
            _disable_if_dead(endpoint, delivery)
    return delivery


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    from core import netpolicy

    return netpolicy.http_post(url, body, headers, max_bytes=netpolicy.RESPONSE_EXCERPT_BYTES,
                               timeout=TIMEOUT_SECONDS)


def _disable_if_dead(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> None:
    """Every attempt of a delivery failed over more than 24 h and nothing got through since: disable."""
    if not endpoint.active:
        return
    if endpoint.last_success_at is not None and endpoint.last_success_at >= delivery.created_at:
        return
    endpoint.active = False
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["active", "disabled_at", "updated_at"])
    endpoint_id = endpoint.pk
    transaction.on_commit(lambda: _notify_disabled(endpoint_id))


def _notify_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("tenant").get(pk=endpoint_id)
    recipients = list(Membership.objects.for_tenant(endpoint.tenant_id).filter(role=Role.ADMIN)
                      .exclude(user__email="").values_list("user__email", flat=True))
    if not recipients:
        return
    send_mail(
        subject=f"[{endpoint.tenant.name}] Webhook wyłączony: {endpoint.url}",
        message=(f"Adres {endpoint.url} nie przyjął żadnego zdarzenia przez ponad dobę "
                 f"({endpoint.failure_count} nieudanych prób z rzędu), więc przestaliśmy go wywoływać.\n"
                 "Po naprawie włącz go ponownie (API: PATCH /api/v1/webhooks/{id}/ z active=true) "
                 "i ponów nieudane dostawy.\n"),
        from_email=endpoint.tenant.support_email or settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
        fail_silently=True,
    )


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (a manual retry): a new attempt with the same event id."""
    from core.tasks import webhook_deliver

    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(),
        attempts=0 if delivery.attempts >= MAX_ATTEMPTS else delivery.attempts)
    pk = delivery.pk
    transaction.on_commit(lambda: _enqueue(webhook_deliver, pk))
    delivery.refresh_from_db()
    return delivery


def due_deliveries(now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now,
                                               endpoint__active=True)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
