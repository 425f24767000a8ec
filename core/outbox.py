"""The transactional outbox: every outbound e-mail, page and digest is a row before it is a message.

Writing
    ``enqueue(...)`` inserts one ``OutboxMessage`` per (message, recipient) in the caller's
    transaction — the same transaction as the change that causes it — so the message exists if and
    only if the change committed. A repeated call with the same ``dedupe_key`` adds nothing. On
    commit a Celery task is asked to wake the dispatcher; if the broker is down nothing is lost:
    the row waits in the database and beat's ``core.tasks.outbox_sweep`` picks it up.

Sending
    ``dispatch()`` claims one due row at a time (``SELECT … FOR UPDATE SKIP LOCKED`` and a
    conditional UPDATE that moves ``next_attempt_at`` past a short lease), calls the row's
    registered handler, then marks that row sent. A worker killed while sending re-sends at most
    the one row in flight, after its lease; every other row is untouched. Failures are retried with
    backoff; after ``MAX_ATTEMPTS`` the row is ``dead`` (visible and re-queueable in the admin).

Handlers are registered by the apps that own the content (``handler_register`` in their
``AppConfig.ready``): the core never imports them.
"""
from __future__ import annotations

import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.models import OutboxMessage

log = logging.getLogger(__name__)

Status = OutboxMessage.Status

# Delay before attempt n+1 after n failed attempts: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h.
RETRY_DELAYS = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
    timedelta(hours=6), timedelta(hours=12), timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
PRIORITY_PAGE = 10


class Skip(Exception):
    """Raised by a handler: this message is not to be sent (e.g. the ticket is gone); not retried."""


@dataclass
class Dispatched:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    handlers: dict[str, int] = field(default_factory=dict)


_handlers: dict[str, Callable[[OutboxMessage], None]] = {}


def handler_register(name: str, function: Callable[[OutboxMessage], None]) -> None:
    """``function(message)`` sends one row; it raises to have the row retried, ``Skip`` to drop it."""
    _handlers[name] = function


def lease() -> timedelta:
    """How long a claimed row is left to its worker before another may send it again."""
    return timedelta(seconds=float(getattr(settings, "OUTBOX_LEASE_SECONDS", 120)))


# --- claiming (shared with the webhook deliveries and the SLA monitor) ---------------------------


@contextlib.contextmanager
def claim_transaction() -> Iterator[None]:
    """A transaction that owns the rows it reads until it commits.

    PostgreSQL: an ordinary transaction; the queries lock rows with FOR UPDATE SKIP LOCKED.
    SQLite has no row locks: BEGIN IMMEDIATE takes the database's write lock before the first
    read, so two workers never act on the same snapshot.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    connection.ensure_connection()
    previous = connection.transaction_mode
    connection.transaction_mode = "IMMEDIATE"
    try:
        with transaction.atomic():
            connection.transaction_mode = previous
            yield
    finally:
        connection.transaction_mode = previous


def locked(queryset):
    """``queryset`` with FOR UPDATE SKIP LOCKED where the database has row locks."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def claim_one(queryset, *, now: datetime, hold: timedelta, extra: dict | None = None):
    """Claim the first row of ``queryset`` (due rows, in order): push its ``next_attempt_at`` to
    ``now + hold`` and count the attempt. Returns the claimed row's pk or None."""
    with claim_transaction():
        pk = locked(queryset).values_list("pk", flat=True).first()
        if pk is None:
            return None
        claimed = queryset.model.objects.filter(pk=pk, next_attempt_at__lte=now).update(
            next_attempt_at=now + hold, attempts=F("attempts") + 1, **(extra or {}))
    return pk if claimed else None


# --- writing -------------------------------------------------------------------------------------


def _mail_domain(tenant) -> str:
    for address in (getattr(tenant, "support_email", ""), settings.DEFAULT_FROM_EMAIL):
        if address and "@" in address:
            return address.rpartition("@")[2].strip(">").lower()
    return "helpdesk.example.com"


def new_message_id(tenant) -> str:
    return f"<{uuid.uuid4().hex}@{_mail_domain(tenant)}>"


def enqueue(*, tenant, handler: str, recipient: str = "", payload: dict[str, Any] | None = None,
            dedupe_key: str, priority: int = 0, message_id: str | None = None) -> OutboxMessage | None:
    """Record one message to one recipient in the current transaction; send it after commit.

    Returns the new row, or None when a row with this ``dedupe_key`` already exists for the tenant.
    """
    if handler not in _handlers and not getattr(settings, "OUTBOX_ALLOW_UNREGISTERED", False):
        raise ValueError(f"no outbox handler {handler!r} is registered")
    try:
        with transaction.atomic():
            row = OutboxMessage.objects.create(
                tenant_id=getattr(tenant, "pk", tenant), handler=handler, recipient=recipient,
                payload=payload or {}, dedupe_key=dedupe_key[:200], priority=priority,
                message_id=message_id or new_message_id(tenant), next_attempt_at=timezone.now())
    except IntegrityError:
        return None
    wake_on_commit()
    return row


def enqueue_many(rows: list[OutboxMessage]) -> int:
    """Bulk form of ``enqueue`` for unsaved rows (duplicates of an existing key are dropped)."""
    if not rows:
        return 0
    now = timezone.now()
    for row in rows:
        row.next_attempt_at = row.next_attempt_at or now
        row.dedupe_key = row.dedupe_key[:200]
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    wake_on_commit()
    return len(rows)


def wake_on_commit() -> None:
    """Ask a worker to run the dispatcher once the current transaction commits."""
    transaction.on_commit(_wake_messages)


def _wake_messages() -> None:
    from core.tasks import outbox_dispatch

    wake(outbox_dispatch)


def wake(task) -> None:
    """Send ``task`` without waiting for a broker that is down: the sweep does the work later."""
    try:
        task.apply_async(retry=False)
    except Exception:  # The rows are committed; beat's sweep dispatches them when the broker is back.
        log.warning("could not wake %s; the periodic sweep will send the messages", task.name, exc_info=True)


# --- sending -------------------------------------------------------------------------------------


def due(now: datetime):
    return (OutboxMessage.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("-priority", "next_attempt_at", "id"))


def dispatch(*, budget_seconds: float | None = None, limit: int | None = None) -> Dispatched:
    """Send due messages one by one until none is due, ``limit`` were tried or the budget is spent."""
    budget = budget_seconds if budget_seconds is not None else float(
        getattr(settings, "OUTBOX_DISPATCH_BUDGET_SECONDS", 60))
    stop = time.monotonic() + budget
    result = Dispatched()
    tried = 0
    while time.monotonic() < stop and (limit is None or tried < limit):
        now = timezone.now()
        pk = claim_one(due(now), now=now, hold=lease())
        if pk is None:
            break
        tried += 1
        send_one(pk, result)
    return result


def send_one(pk: int, result: Dispatched | None = None) -> OutboxMessage:
    """Send one claimed row and record the outcome of this row alone."""
    result = result if result is not None else Dispatched()
    row = OutboxMessage.objects.select_related("tenant").get(pk=pk)
    function = _handlers.get(row.handler)
    try:
        if function is None:
            raise LookupError(f"no outbox handler {row.handler!r} is registered")
        function(row)
    except Skip as reason:
        OutboxMessage.objects.filter(pk=pk, status=Status.PENDING).update(
            status=Status.SKIPPED, last_error=str(reason)[:300], next_attempt_at=None)
        result.skipped += 1
        return row
    except Exception as exc:
        failed_at = timezone.now()
        error = f"{type(exc).__name__}: {exc}"[:300]
        if row.attempts >= MAX_ATTEMPTS:
            changes = {"status": Status.DEAD, "next_attempt_at": None}
            log.error("outbox message %s (%s to %s) failed for good: %s", pk, row.handler, row.recipient, error)
        else:
            changes = {"next_attempt_at": failed_at + RETRY_DELAYS[max(row.attempts, 1) - 1]}
            log.warning("outbox message %s (%s to %s) failed, retried later: %s", pk, row.handler,
                        row.recipient, error)
        OutboxMessage.objects.filter(pk=pk, status=Status.PENDING).update(last_error=error, **changes)
        result.failed += 1
        return row
    OutboxMessage.objects.filter(pk=pk, status=Status.PENDING).update(
        status=Status.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error="")
    result.sent += 1
    result.handlers[row.handler] = result.handlers.get(row.handler, 0) + 1
    return row


def requeue(queryset) -> int:
    """Send failed-for-good (or skipped) messages again now: a manual retry from the admin."""
    count = queryset.exclude(status=Status.SENT).update(status=Status.PENDING, attempts=0,
                                                        next_attempt_at=timezone.now(), last_error="")
    if count:
        wake_on_commit()
    return count


# --- e-mail helper for handlers ------------------------------------------------------------------


def mail_send(row: OutboxMessage, *, subject: str, body: str, from_email: str | None = None,
              headers: dict[str, str] | None = None) -> None:
    """Send a plain-text e-mail for ``row`` to its recipient with the row's stable Message-ID."""
    from django.core.mail import EmailMessage

    all_headers = {"Message-ID": row.message_id, "Auto-Submitted": "auto-generated", **(headers or {})}
    EmailMessage(subject=" ".join(subject.split()), body=body, from_email=from_email or settings.DEFAULT_FROM_EMAIL,
                 to=[row.recipient], headers=all_headers).send()
