"""The SLA report per target (RULES 4.7): achievement of the reaction, next reply and resolution per
month, plan, organization and agent, with every breach; served as CSV by the report page.

Counting: a ticket's month is the month it was received (tenant's time zone). The reaction and the
resolution are one each per ticket; the next reply is one per cycle (``Ticket.reply_cycle``): the
missed cycles are the monitor's breach events, the cycle still owed is running, the rest were met
(a cycle ended by the ticket leaving the *open* state without a reply is not counted as missed).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from core.models import Tenant
from monitor.models import SlaEvent
from monitor.selectors import MEASURED, month_start
from tickets import sla_targets
from tickets.models import Ticket


@dataclass
class TargetRow:
    month: date
    target: str
    plan: str
    organization: str
    agent: str
    met: int = 0
    breached: int = 0
    running: int = 0

    @property
    def percent_met(self) -> float | None:
        decided = self.met + self.breached
        return round(100 * self.met / decided, 1) if decided else None


def _counts(ticket: Ticket, breaches: Counter) -> dict[str, tuple[int, int, int]]:
    """(met, breached, running) per target set for this ticket."""
    counts = {}
    if ticket.sla_state in MEASURED:
        counts[sla_targets.REACTION] = (int(ticket.sla_state == Ticket.SlaState.MET),
                                        int(ticket.sla_state == Ticket.SlaState.BREACHED),
                                        int(ticket.sla_state == Ticket.SlaState.RUNNING))
    targets = ticket.sla_targets or {}
    if targets.get(sla_targets.NEXT_REPLY):
        missed = breaches[(ticket.pk, sla_targets.NEXT_REPLY)]
        owed = int(ticket.reply_started_at is not None and ticket.reply_met_at is None
                   and ticket.reply_breached_at is None)
        counts[sla_targets.NEXT_REPLY] = (max(ticket.reply_cycle - missed - owed, 0), missed, owed)
    if targets.get(sla_targets.RESOLUTION):
        missed = int(ticket.resolution_breached_at is not None)
        done = int(not missed and ticket.resolved_at is not None)
        counts[sla_targets.RESOLUTION] = (done, missed, 1 - missed - done)
    return counts


def target_report(*, tenant: Tenant, start: date, end: date) -> tuple[list[TargetRow], list[SlaEvent]]:
    """Rows per (month, target, plan, organization, agent) and the breach events of [start, end)."""
    zone = ZoneInfo(tenant.time_zone)
    since = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    until = datetime.combine(end, datetime.min.time(), tzinfo=zone)
    tickets = (Ticket.objects.for_tenant(tenant)
               .filter(Q(sla_state__in=MEASURED) | Q(sla_targets__isnull=False),
                       received_at__gte=since, received_at__lt=until)
               .select_related("plan", "organization", "assignee__user").order_by("received_at", "pk"))
    breaches = Counter({(row["ticket_id"], row["target"]): row["n"] for row in (
        SlaEvent.objects.for_tenant(tenant).filter(kind=SlaEvent.Kind.BREACH, ticket__received_at__gte=since,
                                                   ticket__received_at__lt=until)
        .values("ticket_id", "target").annotate(n=Count("id")))})
    rows: dict[tuple, TargetRow] = {}
    for ticket in tickets:
        month = month_start(ticket.received_at.astimezone(zone).date())
        plan = ticket.plan.name if ticket.plan else "—"
        organization = ticket.organization.name if ticket.organization else "—"
        agent = (ticket.assignee.user.get_full_name() or ticket.assignee.user.username) if ticket.assignee else "—"
        for target, (met, breached, running) in _counts(ticket, breaches).items():
            key = (month, sla_targets.TARGETS.index(target), plan, organization, agent)
            row = rows.setdefault(key, TargetRow(month, target, plan, organization, agent))
            row.met += met
            row.breached += breached
            row.running += running
    events = list(SlaEvent.objects.for_tenant(tenant).filter(kind=SlaEvent.Kind.BREACH, at__gte=since, at__lt=until)
                  .select_related("ticket__tenant", "ticket__organization").order_by("at", "pk"))
    return [rows[key] for key in sorted(rows)], events
