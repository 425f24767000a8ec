"""Writes of the SLA monitor: record warnings and breaches once, then put them into digests once.

The scan works in two steps, each safe under any number of concurrent workers and retries:

1. **Record** (``sla_scan``): in batches, claim the due rows of the partial indexes
   (``select_for_update(skip_locked=True)`` on PostgreSQL; on SQLite the batch runs in a
   ``BEGIN IMMEDIATE`` transaction, which serialises writers), move the ticket on with a conditional
   UPDATE and insert an ``SlaEvent``. The unique (ticket, kind) constraint refuses a second copy.
   A breach always has its warning: a ticket found past both gets both, the warning flagged
   ``late``. The webhooks (``sla.warning``, ``sla.breached``) are written in the same transaction,
   with the ticket as the API shows it then. A reaction recorded after the deadline, before a scan
   saw it, records the same events through ``breach_found`` (registered in ``tickets.hooks``).
2. **Digest** (``notifications_deliver``): in one transaction, every event that is in no digest
   yet becomes part of one outbox message per recipient (``core.outbox``), and the events are
   marked ``notified_at``. One digest per recipient per scan, however many events; the outbox
   dispatcher sends each digest on its own, so a crash re-sends at most the one in flight.
"""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from core import outbox, webhooks
from core.models import Membership, OutboxMessage, Role, Tenant, WebhookEndpoint
from core.outbox import claim_transaction as _claim_transaction, locked as _locked
from monitor.models import SlaEvent
from tickets import notifications, sla_targets
from tickets.models import Ticket

log = logging.getLogger(__name__)

RUNNING = Ticket.SlaState.RUNNING
WEBHOOK_EVENTS = {SlaEvent.Kind.WARNING: "sla.warning", SlaEvent.Kind.BREACH: "sla.breached"}
DIGEST = "sla.digest"
REACTION = sla_targets.REACTION


@dataclass(frozen=True)
class TargetFields:
    """Where a target beyond the reaction keeps its times on the ticket (RULES 4.7)."""

    due: str
    warn: str
    breached: str
    cycle: str | None  # None: one cycle per ticket
    pending: Q


TARGETS = {
    sla_targets.NEXT_REPLY: TargetFields(
        "reply_due_at", "reply_warn_at", "reply_breached_at", "reply_cycle",
        Q(reply_due_at__isnull=False, reply_met_at__isnull=True, reply_breached_at__isnull=True)),
    sla_targets.RESOLUTION: TargetFields(
        "resolution_due_at", "resolution_warn_at", "resolution_breached_at", None,
        Q(resolution_due_at__isnull=False, resolution_breached_at__isnull=True, resolved_at__isnull=True)),
}


@dataclass
class ScanResult:
    warnings: int = 0  # every warning recorded, late ones included
    late_warnings: int = 0  # of which recorded with their breach (found past both times)
    breaches: int = 0
    met: int = 0
    batches: int = 0


@dataclass
class DeliveryResult:
    events: int = 0
    emails: int = 0
    recipients: list[str] = field(default_factory=list)


def due_for_warning(now: datetime):
    """Running SLAs past their warning time but not their deadline: read through ticket_sla_warn_idx.

    A ticket already past its deadline too is left to the breach step, which records its warning
    (flagged late) and its breach and writes the ticket once, not twice (a catch-up scan finds
    thousands of them)."""
    return (Ticket.objects.filter(sla_state=RUNNING, warned_at__isnull=True, warn_at__lte=now)
            .filter(Q(due_at__isnull=True) | Q(due_at__gt=now)).order_by("warn_at"))


def due_for_breach(now: datetime):
    """Running SLAs past their deadline: read through ticket_sla_due_idx."""
    return Ticket.objects.filter(sla_state=RUNNING, due_at__lte=now).order_by("due_at")


def sla_scan(*, now: datetime | None = None, batch_size: int = 500,
             between_batches: Callable[[], None] | None = None) -> ScanResult:
    """Record every warning and breach due by ``now``.

    Catch-up after an outage is the same code: every row with warn_at/due_at before ``now`` is
    due, and each event carries its own time (warn_at, due_at), not the time of this scan.
    """
    now = now or timezone.now()
    result = ScanResult()
    steps = [_warnings_batch, _breaches_batch]
    for target in TARGETS:
        steps += [_target_step(_target_warnings_batch, target), _target_step(_target_breaches_batch, target)]
    for step in steps:
        while True:
            claimed = step(now, batch_size, result)
            if claimed:
                result.batches += 1
            if claimed < batch_size:
                break
            if between_batches is not None:
                between_batches()
    return result


def _claim_and_update(claim, columns: str, assignments: str, returning: str, params: list) -> list[tuple]:
    """PostgreSQL: claim the batch (the ORM's ``SELECT … FOR UPDATE SKIP LOCKED``) and update its
    tickets in one statement; ``RETURNING`` hands the rows (``c.``: as claimed, ``t.``: as written)
    to the event insert, in the claim's order."""
    claim_sql, claim_params = claim.query.sql_with_params()
    table = Ticket._meta.db_table
    sql = (f"WITH claimed ({columns}) AS ({claim_sql}) UPDATE {table} AS t SET {assignments} "
           f"FROM claimed c WHERE t.id = c.id RETURNING {returning}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*claim_params, *params])
        return sorted(cursor.fetchall(), key=lambda row: (row[-1], row[0]))


def _warnings_batch(now: datetime, batch_size: int, result: ScanResult) -> int:
    with _claim_transaction():
        claim = _locked(due_for_warning(now))
        if connection.vendor == "postgresql":
            rows = [row[:3] for row in _claim_and_update(
                claim.values("pk", "warn_at")[:batch_size], "id, warn_at", "warned_at = t.warn_at",
                "t.id, t.tenant_id, t.warn_at, c.warn_at", [])]
        else:
            rows = list(claim.values_list("pk", "tenant_id", "warn_at")[:batch_size])
            if rows:
                Ticket.objects.filter(pk__in=[row[0] for row in rows], sla_state=RUNNING,
                                      warned_at__isnull=True).update(warned_at=F("warn_at"))
        if not rows:
            return 0
        result.warnings += _events_record(SlaEvent.Kind.WARNING, rows, now)
    return len(rows)


def _breaches_batch(now: datetime, batch_size: int, result: ScanResult) -> int:
    with _claim_transaction():
        claim = _locked(due_for_breach(now))
        if connection.vendor == "postgresql":
            # A reaction recorded in time that left the state running is met; the rest are breached,
            # warned at the latest now. One UPDATE writes each claimed row once.
            in_time = "t.reacted_at IS NOT NULL AND t.reacted_at <= t.due_at"
            rows = _claim_and_update(
                claim.values("pk", "warned_at", "due_at")[:batch_size], "id, warned_at, due_at",
                f"sla_state = CASE WHEN {in_time} THEN %s ELSE %s END, "
                f"breached_at = CASE WHEN {in_time} THEN t.breached_at ELSE t.due_at END, "
                f"warned_at = CASE WHEN {in_time} THEN t.warned_at ELSE COALESCE(t.warned_at, t.warn_at, t.due_at) END",
                "t.id, t.tenant_id, t.due_at, t.reacted_at, t.warn_at, c.warned_at, c.due_at",
                [Ticket.SlaState.MET, Ticket.SlaState.BREACHED])
            rows = [row[:6] for row in rows]
        else:
            rows = list(claim.values_list("pk", "tenant_id", "due_at", "reacted_at", "warn_at",
                                          "warned_at")[:batch_size])
        if not rows:
            return 0
        # A reaction that was recorded in time but left the state running (a reply imported late,
        # with its original time) is a met SLA, not a breach.
        met = [pk for pk, _t, due_at, reacted_at, *_w in rows if reacted_at is not None and reacted_at <= due_at]
        met_set = set(met)
        late = [row for row in rows if row[0] not in met_set]
        if met:
            if connection.vendor == "postgresql":
                result.met += len(met)
            else:
                result.met += Ticket.objects.filter(pk__in=met, sla_state=RUNNING).update(
                    sla_state=Ticket.SlaState.MET)
        if late:
            late_ids = [row[0] for row in late]
            # A ticket that became due after this scan's warning step (or was created past both):
            # its warning is recorded now, before its breach, flagged late.
            unwarned = [(pk, tenant_id, warn_at or due_at) for pk, tenant_id, due_at, _r, warn_at, warned_at in late
                        if warned_at is None]
            if connection.vendor != "postgresql":
                Ticket.objects.filter(pk__in=late_ids, sla_state=RUNNING).update(
                    sla_state=Ticket.SlaState.BREACHED, breached_at=F("due_at"),
                    warned_at=Coalesce(F("warned_at"), F("warn_at"), F("due_at")))
            if unwarned:
                late_warnings = _events_record(SlaEvent.Kind.WARNING, unwarned, now, late={row[0] for row in unwarned})
                result.warnings += late_warnings
                result.late_warnings += late_warnings
            result.breaches += _events_record(SlaEvent.Kind.BREACH, [(pk, t, d) for pk, t, d, *_x in late], now)
    return len(rows)


def _target_step(batch: Callable, target: str) -> Callable:
    return lambda now, batch_size, result: batch(target, now, batch_size, result)


def _cycle(fields: TargetFields):
    return F(fields.cycle) if fields.cycle else Value(1)


def _target_warnings_batch(target: str, now: datetime, batch_size: int, result: ScanResult) -> int:
    """Next-reply and resolution warnings: pending targets past their warning time but not their due
    time (the breach step records those, late), not yet warned in this cycle. The pending rows are few
    (open tickets owing a reply, unresolved ones with a target)."""
    fields = TARGETS[target]
    warned = SlaEvent.objects.filter(ticket=OuterRef("pk"), kind=SlaEvent.Kind.WARNING, target=target,
                                     cycle=OuterRef("_cycle"))
    with _claim_transaction():
        due = (Ticket.objects.filter(fields.pending, **{f"{fields.warn}__lte": now, f"{fields.due}__gt": now})
               .annotate(_cycle=_cycle(fields)).filter(~Exists(warned)).order_by(fields.warn))
        rows = list(_locked(due).values_list("pk", "tenant_id", fields.warn, "_cycle")[:batch_size])
        if not rows:
            return 0
        result.warnings += _events_record(SlaEvent.Kind.WARNING, [(pk, t, w) for pk, t, w, _c in rows], now,
                                          target=target, cycles={pk: c for pk, *_x, c in rows})
    return len(rows)


def _target_breaches_batch(target: str, now: datetime, batch_size: int, result: ScanResult) -> int:
    """Next-reply and resolution breaches: pending targets past their due time; missed at the due time."""
    fields = TARGETS[target]
    with _claim_transaction():
        due = _locked(Ticket.objects.filter(fields.pending, **{f"{fields.due}__lte": now}).order_by(fields.due))
        if connection.vendor == "postgresql":
            cycle = f"t.{fields.cycle}" if fields.cycle else "1"
            rows = [row[:5] for row in _claim_and_update(
                due.values("pk", fields.due)[:batch_size], "id, due", f"{fields.breached} = t.{fields.due}",
                f"t.id, t.tenant_id, t.{fields.warn}, t.{fields.due}, {cycle}, c.due", [])]
        else:
            rows = list(due.annotate(_cycle=_cycle(fields))
                        .values_list("pk", "tenant_id", fields.warn, fields.due, "_cycle")[:batch_size])
            if rows:
                Ticket.objects.filter(fields.pending, pk__in=[row[0] for row in rows]).update(
                    **{fields.breached: F(fields.due)})
        if not rows:
            return 0
        ids = [row[0] for row in rows]
        cycles = {pk: c for pk, *_x, c in rows}
        # A warning missed by the scans (the target became due between them) is recorded, late, first.
        late_warnings = _events_record(SlaEvent.Kind.WARNING, [(pk, t, w or d) for pk, t, w, d, _c in rows],
                                       now, late=set(ids), target=target, cycles=cycles)
        result.warnings += late_warnings
        result.late_warnings += late_warnings
        result.breaches += _events_record(SlaEvent.Kind.BREACH, [(pk, t, d) for pk, t, _w, d, _c in rows], now,
                                          target=target, cycles=cycles)
    return len(rows)


def _events_record(kind: str, rows: list[tuple], now: datetime, *, late: set[int] = frozenset(),
                   tickets: dict[int, Ticket] | None = None, target: str = REACTION,
                   cycles: dict[int, int] | None = None) -> int:
    """Insert the events of claimed rows (ticket id, tenant id, at) of one target (each ticket in its
    cycle, 1 unless ``cycles`` says otherwise); the unique constraint drops any that already exist.
    Writes their webhooks in the same transaction. The ticket's history reads the events themselves
    (``monitor.selectors.sla_history``): no second row per event."""
    cycles = cycles or {}
    if connection.vendor == "postgresql":
        fresh_ids = _events_insert_sql(kind, rows, now, late, target, cycles)
        fresh = [row for row in rows if row[0] in fresh_ids]
    else:
        fresh = _events_insert_orm(kind, rows, now, late, target, cycles)
    if fresh:
        # The assignees' in-app notifications, in this transaction, once per event.
        notifications.sla_events_recorded(kind=kind, target=target, ticket_ids=[row[0] for row in fresh])
        _webhooks_emit(kind, fresh, now, late, tickets or {}, target, cycles)
    return len(fresh)


def _events_insert_orm(kind: str, rows: list[tuple], now: datetime, late: set[int], target: str,
                       cycles: dict[int, int]) -> list[tuple]:
    ticket_ids = [row[0] for row in rows]
    existing = set(SlaEvent.objects.filter(ticket_id__in=ticket_ids, kind=kind, target=target)
                   .values_list("ticket_id", "cycle"))
    fresh = [row for row in rows if (row[0], cycles.get(row[0], 1)) not in existing]
    if not fresh:
        return []
    SlaEvent.objects.bulk_create([
        SlaEvent(tenant_id=tenant_id, ticket_id=pk, kind=kind, at=at, recorded_at=now, late=pk in late,
                 target=target, cycle=cycles.get(pk, 1))
        for pk, tenant_id, at, *_rest in fresh], ignore_conflicts=True)
    return fresh


def _events_insert_sql(kind: str, rows: list[tuple], now: datetime, late: set[int], target: str,
                       cycles: dict[int, int]) -> set[int]:
    """PostgreSQL: the events in one statement from arrays, so a batch of 500 costs one round trip and
    no per-row model work. ``ON CONFLICT DO NOTHING … RETURNING`` yields exactly the events this call
    inserted, and only those get webhooks."""
    sql = f"""
        INSERT INTO {SlaEvent._meta.db_table} (tenant_id, ticket_id, kind, target, cycle, at, recorded_at, late,
                                               recipients)
        SELECT tenant_id, ticket_id, %(kind)s, %(target)s, cycle, at, %(now)s, late, '[]'::jsonb
          FROM unnest(%(tickets)s::bigint[], %(tenants)s::bigint[], %(ats)s::timestamptz[], %(lates)s::boolean[],
                      %(cycles)s::integer[]) AS i(ticket_id, tenant_id, at, late, cycle)
        ON CONFLICT (ticket_id, kind, target, cycle) DO NOTHING
        RETURNING ticket_id
    """
    params = {"tickets": [row[0] for row in rows], "tenants": [row[1] for row in rows],
              "ats": [row[2] for row in rows], "lates": [row[0] in late for row in rows],
              "cycles": [cycles.get(row[0], 1) for row in rows], "kind": kind, "target": target, "now": now}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {ticket_id for (ticket_id,) in cursor.fetchall()}


def _webhooks_emit(kind: str, fresh: list[tuple], now: datetime, late: set[int], tickets: dict[int, Ticket],
                   target: str = REACTION, cycles: dict[int, int] | None = None) -> None:
    """``sla.warning`` / ``sla.breached`` for tenants with a subscribed endpoint: one event each.

    ``fresh`` are the rows (ticket id, tenant id, at) whose event this transaction inserted."""
    from tickets.webhooks import ticket_data

    name = WEBHOOK_EVENTS[kind]
    tenant_ids = {row[1] for row in fresh}
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(tenant_id__in=tenant_ids, active=True).only("id", "tenant_id",
                                                                                                 "events"):
        if name in (endpoint.events or []):
            endpoints[endpoint.tenant_id].append(endpoint)
    cycles = cycles or {}
    wanted = [SlaEvent(tenant_id=tenant_id, ticket_id=pk, kind=kind, at=at, recorded_at=now, late=pk in late,
                       target=target, cycle=cycles.get(pk, 1))
              for pk, tenant_id, at, *_rest in fresh if endpoints.get(tenant_id)]
    if not wanted:
        return
    missing = [e.ticket_id for e in wanted if e.ticket_id not in tickets]
    loaded = Ticket.objects.select_related("tenant", "category", "product").in_bulk(missing)
    for event in wanted:
        ticket = tickets.get(event.ticket_id) or loaded[event.ticket_id]
        webhooks.emit(event.tenant_id, name, {
            "ticket": ticket_data(ticket), "kind": event.kind, "at": webhooks.timestamp_text(event.at),
            "late": event.late, "recorded_at": webhooks.timestamp_text(event.recorded_at),
            "target": event.target, "cycle": event.cycle,
        }, endpoints=endpoints[event.tenant_id], at=event.recorded_at, wake=False)
    webhooks.wake_on_commit()


def breach_found(*, ticket: Ticket, found_at: datetime, target: str = REACTION) -> None:
    """A reaction, reply or resolution after its due time set ``ticket`` breached before a scan saw it
    (``tickets.hooks``).

    Records what the scan would have: the warning if it is missing (late), the breach at the
    due time and their webhooks (the history reads the events); the next scan's digest step escalates it.
    """
    if target != REACTION:
        fields = TARGETS[target]
        due_at = getattr(ticket, fields.due)
        if due_at is None:
            return
        cycles = {ticket.pk: getattr(ticket, fields.cycle) if fields.cycle else 1}
        warn_at = getattr(ticket, fields.warn) or due_at
        _events_record(SlaEvent.Kind.WARNING, [(ticket.pk, ticket.tenant_id, warn_at)], found_at, late={ticket.pk},
                       tickets={ticket.pk: ticket}, target=target, cycles=cycles)
        _events_record(SlaEvent.Kind.BREACH, [(ticket.pk, ticket.tenant_id, due_at)], found_at,
                       tickets={ticket.pk: ticket}, target=target, cycles=cycles)
        return
    if ticket.due_at is None:
        return
    rows = [(ticket.pk, ticket.tenant_id, ticket.warn_at or ticket.due_at)]
    if ticket.warned_at is None:
        ticket.warned_at = ticket.warn_at or ticket.due_at  # saved with the ticket by the caller
    _events_record(SlaEvent.Kind.WARNING, rows, found_at, late={ticket.pk}, tickets={ticket.pk: ticket})
    _events_record(SlaEvent.Kind.BREACH, [(ticket.pk, ticket.tenant_id, ticket.due_at)], found_at,
                   tickets={ticket.pk: ticket})


# ---------------------------------------------------------------------------------------------
# Digests


def notifications_deliver(*, now: datetime | None = None) -> DeliveryResult:
    """Put every recorded event that is in no digest yet into one digest per recipient.

    One transaction: the outbox messages (one per recipient, listing all of that recipient's
    events) are written and the events marked ``notified_at`` together. The outbox dispatcher sends
    them after commit.
    """
    now = now or timezone.now()
    result = DeliveryResult()
    with _claim_transaction():
        pending = SlaEvent.objects.filter(notified_at__isnull=True).order_by("recorded_at", "pk")
        # One statement claims the events (locking only their rows) and reads the columns this step
        # needs, as plain values: a catch-up scan hands thousands of events to it.
        events = list(_locked(pending).values_list("pk", "tenant_id", "kind", "ticket__assignee__user__email", "at"))
        if not events:
            return result
        events.sort(key=lambda row: (row[1], row[4], row[0]))
        result.events = len(events)
        digests: dict[tuple[int, str], list[int]] = defaultdict(list)
        tenants = Tenant.objects.in_bulk({row[1] for row in events})
        team_cache: dict = {}
        groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for pk, tenant_id, kind, assignee_email, _at in events:
            recipients = sorted(set(_recipients(kind, tenants[tenant_id], assignee_email, team_cache)))
            groups[tuple(recipients)].append(pk)
            for address in recipients:
                digests[(tenant_id, address)].append(pk)
        scan = uuid.uuid4().hex
        outbox.enqueue_many([
            OutboxMessage(tenant_id=tenant_id, handler=DIGEST, recipient=address, payload={"events": event_ids},
                          dedupe_key=f"digest:{scan}:{address}", message_id=outbox.new_message_id(tenants[tenant_id]))
            for (tenant_id, address), event_ids in sorted(digests.items())])
        # Few distinct recipient lists (the escalation contacts, the team, an assignee): one UPDATE each.
        for recipients, pks in groups.items():
            SlaEvent.objects.filter(pk__in=pks, notified_at__isnull=True).update(notified_at=now,
                                                                                  recipients=list(recipients))
    result.emails = len(digests)
    result.recipients = sorted(address for _tenant, address in digests)
    return result


def recipients_for(event: SlaEvent, team_cache: dict[int, list[str]] | None = None) -> list[str]:
    """Warnings: the assignee, or the team when nobody is assigned. Breaches: escalation contacts."""
    assignee = event.ticket.assignee
    return _recipients(event.kind, event.tenant, assignee.user.email if assignee is not None else "", team_cache)


def _recipients(kind: str, tenant: Tenant, assignee_email: str | None, team_cache: dict | None) -> list[str]:
    if kind == SlaEvent.Kind.WARNING:
        if assignee_email:
            return [assignee_email.lower()]
        return _team(tenant, team_cache)
    if kind == SlaEvent.Kind.BREACH:
        contacts = [str(a).strip().lower() for a in (tenant.escalation_emails or []) if str(a).strip()]
        # Nobody named: the tenant admins must hear of a breach rather than nobody.
        return contacts or _team(tenant, team_cache, roles=(Role.ADMIN,))
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


_DIGEST_FIELDS = ("kind", "target", "at", "late", "ticket__number", "ticket__subject", "ticket__due_at",
                  "ticket__reply_due_at", "ticket__resolution_due_at",
                  "ticket__organization__name", "ticket__assignee_id", "ticket__assignee__user__first_name",
                  "ticket__assignee__user__last_name", "ticket__assignee__user__username")

# The digest is in Polish, like the rest of the staff's mail of the monitor.
DUE_WORDS = {REACTION: "termin reakcji", sla_targets.NEXT_REPLY: "termin kolejnej odpowiedzi",
             sla_targets.RESOLUTION: "termin rozwiązania"}


def _digest_line(prefix: str, zone: ZoneInfo, kind: str, target: str, at: datetime, late: bool, number: int,
                 subject: str, due_at: datetime | None, reply_due_at: datetime | None,
                 resolution_due_at: datetime | None, organization: str | None, assignee_id: int | None,
                 first_name: str | None, last_name: str | None, username: str | None) -> str:
    head = f"- {prefix}-{number} {subject}"
    if organization:
        head += f" ({organization})"
    words = DUE_WORDS.get(target, DUE_WORDS[REACTION])
    if kind == SlaEvent.Kind.BREACH:
        return f"{head}\n  {words} minął: {at.astimezone(zone):%d.%m.%Y, %H:%M}"
    due_at = {sla_targets.NEXT_REPLY: reply_due_at, sla_targets.RESOLUTION: resolution_due_at}.get(target, due_at)
    due = f"{due_at.astimezone(zone):%d.%m.%Y, %H:%M}" if due_at else "—"
    if late:
        head += " [ostrzeżenie spóźnione: termin już minął]"
    if assignee_id:
        full_name = f"{first_name or ''} {last_name or ''}".strip()
        who = f"przypisane: {full_name or username}"
    else:
        who = "nieprzypisane"
    return f"{head}\n  {words}: {due}, {who}"


def digest_send(row: OutboxMessage) -> None:
    """Outbox handler ``sla.digest``: one e-mail listing every event of one scan for one recipient.

    A catch-up digest may list thousands of tickets: it stays one e-mail (a long body), with its
    lines formatted here once from plain values (one query, no model instances) rather than by
    template lookups per attribute per row.
    """
    tenant = row.tenant
    zone = ZoneInfo(tenant.time_zone)
    events = list(SlaEvent.objects.filter(pk__in=row.payload.get("events", []), tenant_id=tenant.pk)
                  .order_by("at", "pk").values_list(*_DIGEST_FIELDS))
    if not events:
        raise outbox.Skip("the events are gone")
    prefix = tenant.ticket_prefix
    breaches = [_digest_line(prefix, zone, *e) for e in events if e[0] == SlaEvent.Kind.BREACH]
    warnings = [_digest_line(prefix, zone, *e) for e in events if e[0] == SlaEvent.Kind.WARNING]
    context = {"tenant": tenant, "breaches": breaches, "warnings": warnings, "zone": zone, "now": timezone.now()}
    outbox.mail_send(row, subject=render_to_string("sla/email/digest_subject.txt", context),
                     body=render_to_string("sla/email/digest.txt", context),
                     from_email=tenant.support_email or settings.DEFAULT_FROM_EMAIL)
