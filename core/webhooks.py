"""Outgoing webhooks: events, signatures (Standard Webhooks) and delivery with retries.

``emit`` is the only way to send an event. It is called inside the transaction of the change the
event reports, with the event's data built then (the state at the time of the change), and writes
one ``WebhookDelivery`` per subscribed endpoint in that transaction: the deliveries exist if and
only if the change committed. After commit a Celery task wakes the dispatcher; a broker outage loses
nothing, because beat's sweep sends whatever is due.

The dispatcher (``dispatch``) claims one due delivery at a time, POSTs it, and records the attempt
(its own ``WebhookAttempt`` row) and the outcome of that delivery alone. A worker killed mid-POST
re-sends at most that delivery, with the same ``webhook-id``. Failed attempts are retried with
exponential backoff for more than 24 hours; an endpoint whose deliveries keep failing for that long
is disabled and the tenant's admins get an e-mail (through the outbox).
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone as dt_timezone
from typing import Any, Iterable

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from rest_framework.utils.encoders import JSONEncoder as ApiJSONEncoder
from django.db import transaction
from django.utils import timezone
from rest_framework.fields import DateTimeField
from standardwebhooks.webhooks import Webhook

from core import outbox
from core.models import Membership, Role, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

EVENTS = (
    "ticket.created",
    "ticket.updated",
    "ticket.message_added",
    "ticket.merged",
    "sla.warning",
    "sla.breached",
    "time_entry.created",
    "package.low",
    "package.exhausted",
    "package.expired",
    "appointment.booked",
    "appointment.rescheduled",
    "appointment.cancelled",
)

# Delay before attempt n+1 after n failed attempts: 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h.
# Attempts span 31 h 36 min from the first failure: a receiver down for a whole day still gets it.
RETRY_DELAYS = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
    timedelta(hours=5), timedelta(hours=10), timedelta(hours=14),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
EXCERPT_CHARS = 2000
SECRET_PREFIX = "whsec_"
DISABLED_NOTICE = "webhooks.endpoint_disabled"


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))


def _lease() -> timedelta:
    # Longer than one POST may take: a live worker never has its delivery taken over.
    return max(outbox.lease(), timedelta(seconds=timeout_seconds() * 2 + 5))


# --- emitting -----------------------------------------------------------------------------------


def new_event_id() -> str:
    """The one event id format: ``msg_`` and 32 hex digits; the ``webhook-id`` of every attempt."""
    return f"msg_{uuid.uuid4().hex}"


def timestamp_text(value: datetime) -> str:
    """Datetimes in payloads look like the API's (DRF, in the server's zone, e.g. ``+01:00``)."""
    return DateTimeField().to_representation(value)


def subscribers(tenant_id: int, event_type: str) -> list[WebhookEndpoint]:
    return [e for e in WebhookEndpoint.objects.for_tenant(tenant_id).filter(active=True).only("id", "events")
            if event_type in (e.events or [])]


def emit(tenant_id: int, event_type: str, payload: dict[str, Any], *,
         endpoints: Iterable[WebhookEndpoint] | None = None, at: datetime | None = None, wake: bool = True) -> str:
    """Record ``event_type`` with ``payload`` for every active endpoint of the tenant subscribed to it.

    - Call it inside the transaction of the change, with ``payload`` built from the state of that
      change (the API's serializers): it becomes the ``data`` of the delivered body
      ``{"id", "type", "timestamp", "data"}``. Nothing is written or sent if the transaction rolls
      back; one call is one event, however quickly the next change follows.
    - ``endpoints``: the tenant's subscribed endpoints when the caller already has them (bulk
      emitters such as the SLA monitor); by default they are read here.
    - ``wake=False``: the caller emits many events and calls ``wake_on_commit()`` once itself.
    - Returns the event id (``msg_`` + 32 hex), the ``webhook-id`` header every endpoint receives.
    """
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event {event_type!r}")
    event_id = new_event_id()
    targets = list(endpoints) if endpoints is not None else subscribers(tenant_id, event_type)
    if not targets:
        return event_id
    body = {
        "id": event_id,
        "type": event_type,
        "timestamp": timestamp_text(at or timezone.now()),
        "data": json.loads(json.dumps(payload, cls=ApiJSONEncoder)),  # as the API renders it
    }
    now = timezone.now()
    WebhookDelivery.objects.bulk_create([
        WebhookDelivery(tenant_id=tenant_id, endpoint_id=endpoint.pk, event_id=event_id, event_type=event_type,
                        payload=body, next_attempt_at=now)
        for endpoint in targets])
    if wake:
        wake_on_commit()
    return event_id


def wake_on_commit() -> None:
    """Ask a worker to run the webhook dispatcher once the current transaction commits."""
    transaction.on_commit(_wake_deliveries)


def _wake_deliveries() -> None:
    from core.tasks import webhook_dispatch

    outbox.wake(webhook_dispatch)


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
    """``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}``, by the Standard Webhooks library.

    ``secret`` is ``whsec_<base64 key>`` (the format endpoints have always been given).
    """
    moment = datetime.fromtimestamp(timestamp, tz=dt_timezone.utc)
    return Webhook(secret).sign(msg_id=msg_id, timestamp=moment, data=body.decode("utf-8"))


# --- delivering ----------------------------------------------------------------------------------


def due(now: datetime):
    return (WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now,
                                           endpoint__active=True)
            .order_by("next_attempt_at", "id"))


def dispatch(*, budget_seconds: float | None = None, limit: int | None = None) -> int:
    """Deliver due webhooks one at a time until none is due, ``limit`` were tried or the budget is spent.

    Returns the number of attempts made.
    """
    budget = budget_seconds if budget_seconds is not None else float(
        getattr(settings, "OUTBOX_DISPATCH_BUDGET_SECONDS", 60))
    stop = time.monotonic() + budget
    tried = 0
    while time.monotonic() < stop and (limit is None or tried < limit):
        now = timezone.now()
        pk = outbox.claim_one(due(now), now=now, hold=_lease())
        if pk is None:
            break
        tried += 1
        _attempt(pk)
    return tried


def deliver(delivery_id: int, *, force: bool = False) -> WebhookDelivery | None:
    """Make one attempt of one delivery now if it is due (or ``force``: a manual retry)."""
    now = timezone.now()
    queryset = WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
    if force:
        queryset.update(next_attempt_at=now)
    else:
        queryset = queryset.filter(next_attempt_at__lte=now, endpoint__active=True)
    pk = outbox.claim_one(queryset, now=now, hold=_lease())
    if pk is not None:
        _attempt(pk)
    return WebhookDelivery.objects.filter(pk=delivery_id).first()


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL: a receiver answering with one must not break the record.
    return (text or "").replace("\x00", "\ufffd")


def _attempt(pk: int) -> None:
    """POST one claimed delivery, then record the attempt and the delivery's new state."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=pk)
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": "helpdesk-webhooks/1",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret_decrypt(endpoint.secret_encrypted), delivery.event_id, timestamp, body),
    }
    started_at = timezone.now()
    started = time.monotonic()
    status_code, response_text, error = _post(endpoint.url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    request_excerpt = "\n".join(f"{k}: {v}" for k, v in headers.items() if k != "webhook-signature")
    request_excerpt = f"POST {endpoint.url}\n{request_excerpt}\n\n{body.decode()[:EXCERPT_CHARS]}"
    outcome = {"ok": ok, "status_code": status_code, "error": _clean(error)[:300], "started_at": started_at,
               "duration_ms": duration_ms, "request_excerpt": _clean(request_excerpt),
               "response_excerpt": _clean(response_text or "")[:EXCERPT_CHARS]}
    try:
        _record(delivery, outcome)
    except Exception:
        if not ok:  # Nothing was delivered: the lease runs out and the attempt is made again.
            log.exception("could not record the failed attempt of webhook delivery %s", pk)
            return
        # The receiver has the event: whatever broke the attempt log, the delivery is delivered.
        log.exception("could not log the attempt of webhook delivery %s; marking it delivered", pk)
        WebhookDelivery.objects.filter(pk=pk).update(
            status=WebhookDelivery.Status.SUCCEEDED, delivered_at=timezone.now(), next_attempt_at=None,
            last_status_code=status_code, last_attempt_at=started_at)


def _record(delivery: WebhookDelivery, outcome: dict) -> None:
    finished = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        number = WebhookAttempt.objects.filter(delivery=delivery).count() + 1
        WebhookAttempt.objects.create(
            tenant_id=delivery.tenant_id, delivery=delivery, number=number, started_at=outcome["started_at"],
            duration_ms=outcome["duration_ms"], status_code=outcome["status_code"], error=outcome["error"],
            request_excerpt=outcome["request_excerpt"], response_excerpt=outcome["response_excerpt"])
        delivery.last_attempt_at = finished
        delivery.last_status_code = outcome["status_code"]
        delivery.last_error = outcome["error"]
        delivery.request_excerpt = outcome["request_excerpt"]
        delivery.response_excerpt = outcome["response_excerpt"]
        if outcome["ok"]:
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
                delivery.next_attempt_at = finished + RETRY_DELAYS[max(delivery.attempts, 1) - 1]
        delivery.save()
        if not outcome["ok"] and delivery.status == WebhookDelivery.Status.FAILED:
            _disable_if_dead(endpoint, delivery)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """The one place that sends HTTP: POST ``body`` to ``url``; (status or None, response excerpt, error)."""
    from core import netpolicy

    return netpolicy.http_post(url, body, headers, max_bytes=netpolicy.RESPONSE_EXCERPT_BYTES,
                               timeout=timeout_seconds())


def _disable_if_dead(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> None:
    """Every attempt of a delivery failed over more than 24 h and nothing got through since: disable."""
    if not endpoint.active:
        return
    if endpoint.last_success_at is not None and endpoint.last_success_at >= delivery.created_at:
        return
    endpoint.active = False
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["active", "disabled_at", "updated_at"])
    # The admins' e-mail is an outbox message written with the change: sent once, never lost.
    recipients = sorted(set(Membership.objects.for_tenant(endpoint.tenant_id).filter(role=Role.ADMIN)
                            .exclude(user__email="").values_list("user__email", flat=True)))
    for address in recipients:
        outbox.enqueue(tenant=endpoint.tenant, handler=DISABLED_NOTICE, recipient=address,
                       payload={"endpoint": endpoint.pk, "failures": endpoint.failure_count},
                       dedupe_key=f"webhook-disabled:{endpoint.pk}:{endpoint.disabled_at.isoformat()}:{address}")


def disabled_notice_send(row) -> None:
    """Outbox handler: tell one admin that an endpoint was disabled."""
    endpoint = WebhookEndpoint.objects.select_related("tenant").filter(pk=row.payload.get("endpoint")).first()
    if endpoint is None:
        raise outbox.Skip("the endpoint was deleted")
    outbox.mail_send(
        row,
        subject=f"[{endpoint.tenant.name}] Webhook wyłączony: {endpoint.url}",
        body=(f"Adres {endpoint.url} nie przyjął żadnego zdarzenia przez ponad dobę "
              f"({row.payload.get('failures')} nieudanych prób z rzędu), więc przestaliśmy go wywoływać.\n"
              "Po naprawie włącz go ponownie (API: PATCH /api/v1/webhooks/{id}/ z active=true) "
              "i ponów nieudane dostawy.\n"),
        from_email=endpoint.tenant.support_email or settings.DEFAULT_FROM_EMAIL)


outbox.handler_register(DISABLED_NOTICE, disabled_notice_send)


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (a manual retry): a new attempt with the same event id."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(),
        attempts=0 if delivery.attempts >= MAX_ATTEMPTS else delivery.attempts)
    wake_on_commit()
    delivery.refresh_from_db()
    return delivery
