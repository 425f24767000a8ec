"""Writes of the SLA monitor: record warnings, breaches and pages once, then notify once.

The scan works in two steps, each safe under any number of concurrent workers and retries:

1. **Record** (``sla_scan``): in batches, claim the due rows of the partial indexes
   (``select_for_update(skip_locked=True)`` on PostgreSQL; on SQLite the batch runs in a
   ``BEGIN IMMEDIATE`` transaction, which serialises writers), move the ticket on with a conditional
   UPDATE and insert an ``SlaEvent``. The unique (ticket, kind) constraint refuses a second copy.
2. **Notify** (``notifications_deliver``): lease undelivered events with a claim token, commit,
   send one digest per recipient, then set ``notified_at`` where the claim is still ours. A worker
   that dies after the lease leaves the events to be re-leased once the lease expires.

Every event, once notified, is offered to the webhooks (``sla.warning``, ``sla.breached``) through
``webhook_emit`` below, the single place where SLA events leave the product.
"""
from __future__ import annotations

import contextlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone

from core import webhooks
from core.models import Membership, Role, Tenant, WebhookEndpoint
from monitor.models import SlaEvent
from tickets.models import Ticket, TicketEvent

log = logging.getLogger(__name__)

RUNNING = Ticket.SlaState.RUNNING
# A page recorded by ticket_page_on_call is normally sent within seconds by tickets.tasks.notify;
# only a page still unconfirmed after this long is considered lost and re-sent by the monitor.
PAGE_RESEND_AFTER = timedelta(minutes=5)
PAGE_LOOKBACK = timedelta(days=2)
WEBHOOK_EVENTS = {SlaEvent.Kind.WARNING: "sla.warning", SlaEvent.Kind.BREACH: "sla.breached"}


def _lease() -> timedelta:
    # Longer than a task may run (hard time limit), so a live worker never loses its lease.
    return timedelta(seconds=2 * int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 300) or 300))


@dataclass
class ScanResult:
    warnings: int = 0
    breaches: int = 0
    met: int = 0
    pages: int = 0
    batches: int = 0


@dataclass
class DeliveryResult:
    events: int = 0
    emails: int = 0
    pages: int = 0
    failed_recipients: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _claim_transaction() -> Iterator[None]:
    """A transaction that owns the rows it reads until it commits.

    PostgreSQL: an ordinary transaction; the queries lock rows with FOR UPDATE SKIP LOCKED.
    SQLite has no row locks: BEGIN IMMEDIATE takes the database's write lock before the first
    read, so two workers never act on the same snapshot (a deferred transaction that reads and
    then writes would instead fail with "database is locked" when another writer got in between).
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


def _locked(queryset):
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def due_for_warning(now: datetime):
    """Running SLAs past their warning time: read through ticket_sla_warn_idx."""
    return Ticket.objects.filter(sla_state=RUNNING, warned_at__isnull=True, warn_at__lte=now).order_by("warn_at")


def due_for_breach(now: datetime):
    """Running SLAs past their deadline: read through ticket_sla_due_idx."""
    return Ticket.objects.filter(sla_state=RUNNING, due_at__lte=now).order_by("due_at")


def sla_scan(*, now: datetime | None = None, batch_size: int = 500,
             between_batches: Callable[[], None] | None = None) -> ScanResult:
    """Record every warning and breach due by ``now`` and every page that was never confirmed.

    Catch-up after an outage is the same code: every row with warn_at/due_at before ``now`` is
    due, and each event carries its own time (warn_at, due_at), not the time of this scan.
    """
    now = now or timezone.now()
    result = ScanResult()
    for step in (_warnings_batch, _breaches_batch):
        while True:
            claimed = step(now, batch_size, result)
            if claimed:
                result.batches += 1
            if claimed < batch_size:
                break
            if between_batches is not None:
                between_batches()
    result.pages = _pages_unconfirmed(now)
    return result


def _warnings_batch(now: datetime, batch_size: int, result: ScanResult) -> int:
    with _claim_transaction():
        rows = list(_locked(due_for_warning(now)).values_list("pk", "tenant_id", "warn_at")[:batch_size])
        if not rows:
            return 0
        ids = [pk for pk, _tenant, _at in rows]
        Ticket.objects.filter(pk__in=ids, sla_state=RUNNING, warned_at__isnull=True).update(warned_at=F("warn_at"))
        created = _events_record(SlaEvent.Kind.WARNING, rows, now)
        result.warnings += created
    return len(rows)


def _breaches_batch(now: datetime, batch_size: int, result: ScanResult) -> int:
    with _claim_transaction():
        rows = list(_locked(due_for_breach(now)).values_list("pk", "tenant_id", "due_at", "reacted_at")[:batch_size])
        if not rows:
            return 0
        # A reaction that was recorded in time but left the state running (a reply imported late,
        # with its original time) is a met SLA, not a breach.
        met = [pk for pk, _t, due_at, reacted_at in rows if reacted_at is not None and reacted_at <= due_at]
        met_set = set(met)
        late = [(pk, tenant_id, due_at) for pk, tenant_id, due_at, _reacted in rows if pk not in met_set]
        if met:
            result.met += Ticket.objects.filter(pk__in=met, sla_state=RUNNING).update(sla_state=Ticket.SlaState.MET)
        if late:
            Ticket.objects.filter(pk__in=[pk for pk, _t, _d in late], sla_state=RUNNING).update(
                sla_state=Ticket.SlaState.BREACHED, breached_at=F("due_at"))
            result.breaches += _events_record(SlaEvent.Kind.BREACH, late, now)
    return len(rows)


def _events_record(kind: str, rows: list[tuple], now: datetime) -> int:
    """Insert the events of claimed rows; the unique constraint drops any that already exist."""
    ticket_ids = [row[0] for row in rows]
    existing = set(SlaEvent.objects.filter(ticket_id__in=ticket_ids, kind=kind).values_list("ticket_id", flat=True))
    fresh = [row for row in rows if row[0] not in existing]
    SlaEvent.objects.bulk_create(
        [SlaEvent(tenant_id=tenant_id, ticket_id=pk, kind=kind, at=at, recorded_at=now)
         for pk, tenant_id, at, *_rest in fresh],
        ignore_conflicts=True)
    history_kind = {SlaEvent.Kind.WARNING: "sla_warning", SlaEvent.Kind.BREACH: "sla_breached"}[kind]
    TicketEvent.objects.bulk_create(
        [TicketEvent(tenant_id=tenant_id, ticket_id=pk, kind=history_kind, at=at, data={"recorded_at": now.isoformat()})
         for pk, tenant_id, at, *_rest in fresh])
    return len(fresh)


def _pages_unconfirmed(now: datetime) -> int:
    """Pages recorded on tickets (paged_at) that no worker confirmed sending: re-send them, once."""
    with _claim_transaction():
        confirmed = SlaEvent.objects.filter(ticket=OuterRef("pk"), kind=SlaEvent.Kind.PAGE)
        rows = list(Ticket.objects.filter(paged_at__isnull=False, paged_at__gte=now - PAGE_LOOKBACK,
                                          paged_at__lte=now - PAGE_RESEND_AFTER)
                    .filter(~Exists(confirmed)).values_list("pk", "tenant_id", "paged_at")[:1000])
        if not rows:
            return 0
        SlaEvent.objects.bulk_create(
            [SlaEvent(tenant_id=tenant_id, ticket_id=pk, kind=SlaEvent.Kind.PAGE, at=paged_at, recorded_at=now)
             for pk, tenant_id, paged_at in rows],
            ignore_conflicts=True)
    log.warning("re-sending %d on-call page(s) that were never confirmed", len(rows))
    return len(rows)


def page_confirm(*, ticket_id: int, at: datetime | None = None) -> bool:
    """Record that the on-call page of a ticket went out (the notify task finished)."""
    ticket = Ticket.objects.filter(pk=ticket_id).values("tenant_id", "paged_at").first()
    if ticket is None or ticket["paged_at"] is None:
        return False
    at = at or timezone.now()
    created = SlaEvent.objects.bulk_create(
        [SlaEvent(tenant_id=ticket["tenant_id"], ticket_id=ticket_id, kind=SlaEvent.Kind.PAGE,
                  at=ticket["paged_at"], recorded_at=at, notified_at=at, recipients=["on-call"])],
        ignore_conflicts=True)
    return bool(created)


# ---------------------------------------------------------------------------------------------
# Notification


def notifications_deliver(*, now: datetime | None = None, limit: int = 2000) -> DeliveryResult:
    """Send what was recorded and not yet sent: one digest e-mail per recipient, pages, webhooks."""
    now = now or timezone.now()
    token = uuid.uuid4()
    with _claim_transaction():
        pending = (SlaEvent.objects.filter(notified_at__isnull=True)
                   .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - _lease()))
                   .order_by("recorded_at", "pk"))
        ids = list(_locked(pending).values_list("pk", flat=True)[:limit])
        if ids:
            SlaEvent.objects.filter(pk__in=ids, notified_at__isnull=True).update(claim=token, claimed_at=now)
    result = DeliveryResult()
    if not ids:
        return result
    events = list(SlaEvent.objects.filter(claim=token, notified_at__isnull=True)
                  .select_related("tenant", "ticket__tenant", "ticket__organization", "ticket__assignee__user")
                  .order_by("tenant_id", "at", "pk"))
    result.events = len(events)

    digests: dict[tuple[int, str], list[SlaEvent]] = defaultdict(list)
    wanted: dict[int, set[str]] = {}
    team_cache: dict[int, list[str]] = {}
    for event in events:
        if event.kind == SlaEvent.Kind.PAGE:
            continue
        recipients = set(recipients_for(event, team_cache)) - set(event.recipients or [])
        wanted[event.pk] = recipients
        for address in recipients:
            digests[(event.tenant_id, address)].append(event)

    sent_to: dict[int, set[str]] = defaultdict(set)
    failed: set[int] = set()
    for (_tenant_id, address), batch in sorted(digests.items()):
        try:
            _digest_send(batch[0].tenant, address, batch)
        except Exception:  # One bad address or an SMTP hiccup must not hold back the others.
            log.exception("SLA digest to %s failed", address)
            result.failed_recipients.append(address)
            failed.update(e.pk for e in batch)
            continue
        result.emails += 1
        for event in batch:
            sent_to[event.pk].add(address)

    for event in events:
        if event.kind != SlaEvent.Kind.PAGE:
            continue
        try:
            _page_send(event.ticket_id)
        except Exception:
            log.exception("on-call page of ticket %s failed", event.ticket_id)
            failed.add(event.pk)
            continue
        result.pages += 1
        sent_to[event.pk].add("on-call")

    done, retry = [], []
    for event in events:
        event.recipients = sorted(set(event.recipients or []) | sent_to[event.pk])
        if event.pk in failed:
            retry.append(event)
        else:
            event.notified_at = now
            done.append(event)
    mine = SlaEvent.objects.filter(claim=token, notified_at__isnull=True)
    # Few distinct recipient lists (the escalation contacts, the team, an assignee): one UPDATE each.
    groups: dict[tuple[bool, tuple[str, ...]], list[int]] = defaultdict(list)
    for event in done:
        groups[(True, tuple(event.recipients))].append(event.pk)
    for event in retry:
        groups[(False, tuple(event.recipients))].append(event.pk)
    for (delivered, recipients), pks in groups.items():
        if delivered:
            mine.filter(pk__in=pks).update(notified_at=now, recipients=list(recipients))
        else:
            # Keep who already got it; release the lease so the next scan tries the rest.
            mine.filter(pk__in=pks).update(recipients=list(recipients), claim=None, claimed_at=None)
    subscribed = _webhook_tenants({e.tenant_id for e in done if e.kind in WEBHOOK_EVENTS})
    for event in done:
        if event.tenant_id in subscribed:
            webhook_emit(event)
    return result


def recipients_for(event: SlaEvent, team_cache: dict[int, list[str]] | None = None) -> list[str]:
    """Warnings: the assignee, or the team when nobody is assigned. Breaches: escalation contacts."""
    ticket = event.ticket
    if event.kind == SlaEvent.Kind.WARNING:
        assignee = ticket.assignee
        if assignee is not None and assignee.user.email:
            return [assignee.user.email.lower()]
        return _team(event.tenant, team_cache)
    if event.kind == SlaEvent.Kind.BREACH:
        contacts = [str(a).strip().lower() for a in (event.tenant.escalation_emails or []) if str(a).strip()]
        # Nobody named: the tenant admins must hear of a breach rather than nobody.
        return contacts or _team(event.tenant, team_cache, roles=(Role.ADMIN,))
    return []


def _team(tenant: Tenant, cache: dict | None, roles: tuple[str, ...] = (Role.AGENT,)) -> list[str]:
    key = (tenant.pk, roles)
    if cache is not None and key in cache:
        return cache[key]
    staff = Membership.objects.for_tenant(tenant).exclude(user__email="").filter(user__is_active=True)
    emails = sorted({e.lower() for e in staff.filter(role__in=roles).values_list("user__email", flat=True)})
    if not emails:
        emails = sorted({e.lower() for e in staff.values_list("user__email", flat=True)})
    if cache is not None:
        cache[key] = emails
    return emails


def _digest_send(tenant: Tenant, address: str, events: list[SlaEvent]) -> None:
    zone = ZoneInfo(tenant.time_zone)
    # A catch-up digest may list thousands of tickets: its lines are formatted here, once, rather
    # than by template lookups per attribute per row.
    breaches = [_digest_line(e, zone) for e in events if e.kind == SlaEvent.Kind.BREACH]
    warnings = [_digest_line(e, zone) for e in events if e.kind == SlaEvent.Kind.WARNING]
    context = {"tenant": tenant, "breaches": breaches, "warnings": warnings, "zone": zone, "now": timezone.now()}
    subject = render_to_string("sla/email/digest_subject.txt", context).strip()
    body = render_to_string("sla/email/digest.txt", context)
    EmailMessage(subject=" ".join(subject.split()), body=body,
                 from_email=tenant.support_email or settings.DEFAULT_FROM_EMAIL, to=[address]).send()


def _digest_line(event: SlaEvent, zone: ZoneInfo) -> str:
    ticket = event.ticket
    head = f"- {ticket.reference} {ticket.subject}"
    if ticket.organization_id:
        head += f" ({ticket.organization.name})"
    if event.kind == SlaEvent.Kind.BREACH:
        return f"{head}\n  termin reakcji minął: {event.at.astimezone(zone):%Y-%m-%d %H:%M}"
    due = f"{ticket.due_at.astimezone(zone):%Y-%m-%d %H:%M}" if ticket.due_at else "—"
    if ticket.assignee_id:
        user = ticket.assignee.user
        who = f"przypisane: {user.get_full_name() or user.username}"
    else:
        who = "nieprzypisane"
    return f"{head}\n  termin reakcji: {due}, {who}"


def _page_send(ticket_id: int) -> None:
    from tickets import tasks as ticket_tasks

    ticket_tasks.page_on_call(ticket_id)


def _webhook_tenants(tenant_ids: set[int]) -> set[int]:
    """Tenants with an active endpoint subscribed to an SLA event."""
    if not tenant_ids:
        return set()
    endpoints = WebhookEndpoint.objects.filter(tenant_id__in=tenant_ids, active=True).values_list("tenant_id", "events")
    return {tenant_id for tenant_id, events in endpoints if set(events or []) & set(WEBHOOK_EVENTS.values())}


def webhook_emit(event: SlaEvent) -> None:
    """Offer an SLA event to the tenant's webhooks (``core.webhooks.emit``).

    Called once per event, right after its notification is marked sent; the webhook module records
    the deliveries and retries them itself. The event id is stable across retries.
    """
    name = WEBHOOK_EVENTS.get(event.kind)
    if name is None:
        return
    ticket = event.ticket
    payload = {
        "ticket": {"id": ticket.pk, "number": ticket.reference, "subject": ticket.subject},
        "kind": event.kind,
        "at": event.at.isoformat(),
        "due_at": ticket.due_at.isoformat() if ticket.due_at else None,
        "recorded_at": event.recorded_at.isoformat(),
        "event_id": event.pk,
    }
    try:
        webhooks.emit(event.tenant_id, name, payload, event_id=f"msg_sla_{event.pk}")
    except Exception:
        log.exception("webhook %s for ticket %s could not be queued", name, ticket.pk)
