"""The SLA report per target (RULES 4.7): achievement of the reaction, next reply and resolution per
month, plan, organization and agent, with every breach; the report page and its CSV read it.

Counting: a ticket's month is the month it was received (tenant's time zone). The reaction and the
resolution are one each per ticket; the next reply is one per cycle (``Ticket.reply_cycle``): the
missed cycles are the monitor's breach events, the cycle still owed is pending, the rest were met
(a cycle ended by the ticket leaving the *open* state without a reply is not counted as missed).

Where the counts come from, the breach list comes from too, so the list always has as many rows as
the tables have breaches: the reaction from the ticket's state, the next reply from the breach
events, the resolution from the ticket's missed time.

Everything is aggregated in the database: one grouped query for the counts and three for the
breaches (each cut at ``limit``), however many tickets the months hold.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from core.models import Membership, Organization, Tenant
from monitor.models import SlaEvent
from monitor.selectors import month_add, month_start
from plans.models import Plan
from tickets import sla_targets
from tickets.models import Message, Ticket

TARGETS = sla_targets.TARGETS
NONE = "—"
BREACH_LIMIT = 200


@dataclass
class TargetRow:
    """Met / breached / pending of one target in one group (or a total)."""

    month: date | None
    target: str
    plan: str = ""
    organization: str = ""
    agent: str = ""
    met: int = 0
    breached: int = 0
    running: int = 0

    @property
    def pending(self) -> int:
        return self.running

    @property
    def total(self) -> int:
        return self.met + self.breached + self.running

    @property
    def percent_met(self) -> float | None:
        """Met out of decided (pending ones are neither yet)."""
        decided = self.met + self.breached
        return round(100 * self.met / decided, 1) if decided else None

    @property
    def label(self) -> str:
        return str(sla_targets.TARGET_LABELS[self.target])

    def add(self, met: int, breached: int, running: int) -> None:
        self.met += met
        self.breached += breached
        self.running += running


@dataclass
class BreachRow:
    """One missed target: due at ``due_at`` (the breach time, RULES 4.6), met at ``met_at`` if ever."""

    ticket: Ticket
    target: str
    cycle: int
    due_at: datetime
    met_at: datetime | None
    recorded_at: datetime | None = None  # when the monitor (or the late action) recorded the breach event

    @property
    def breached_at(self) -> datetime:
        return self.due_at

    @property
    def label(self) -> str:
        return str(sla_targets.TARGET_LABELS[self.target])

    def late_by(self, now: datetime) -> timedelta:
        """How late it was met, or how long it has been missed so far."""
        return max((self.met_at or now) - self.due_at, timedelta(0))


@dataclass
class TargetReport:
    tenant: Tenant
    start: date
    end: date  # exclusive
    rows: list[TargetRow] = field(default_factory=list)
    totals: list[TargetRow] = field(default_factory=list)  # one per target
    months: dict[str, list[TargetRow]] = field(default_factory=dict)  # per target, every month of the range
    breaches: list[BreachRow] = field(default_factory=list)  # the earliest ``limit`` by due time
    breach_count: int = 0

    @property
    def breaches_cut(self) -> bool:
        return self.breach_count > len(self.breaches)


def agent_name(first: str | None, last: str | None, username: str | None) -> str:
    if username is None:
        return NONE
    return f"{first or ''} {last or ''}".strip() or username


def _tickets(tenant: Tenant, start: date, end: date, plan: Plan | None, organization: Organization | None,
             agent: Membership | None) -> QuerySet[Ticket]:
    zone = ZoneInfo(tenant.time_zone)
    since = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    until = datetime.combine(end, datetime.min.time(), tzinfo=zone)
    tickets = Ticket.objects.for_tenant(tenant).filter(received_at__gte=since, received_at__lt=until)
    if plan is not None:
        tickets = tickets.filter(plan=plan)
    if organization is not None:
        tickets = tickets.filter(organization=organization)
    if agent is not None:
        tickets = tickets.filter(assignee=agent)
    return tickets


def _count(condition: Q) -> Count:
    return Count("pk", filter=condition)


def _aggregates(tickets: QuerySet[Ticket], zone: ZoneInfo) -> QuerySet:
    """One row per (month, plan, organization, agent) with every target's met/breached/pending."""
    state = Ticket.SlaState
    missed_replies = (SlaEvent.objects.filter(ticket=OuterRef("pk"), kind=SlaEvent.Kind.BREACH,
                                              target=sla_targets.NEXT_REPLY)
                      .order_by().values("ticket").annotate(n=Count("pk")).values("n"))
    has_reply = Q(sla_targets__next_reply__gt=0)
    has_resolution = Q(sla_targets__resolution__gt=0)
    owed = has_reply & Q(reply_started_at__isnull=False, reply_met_at__isnull=True, reply_breached_at__isnull=True)
    resolution_missed = Q(resolution_breached_at__isnull=False)
    return (tickets.annotate(_missed=Coalesce(Subquery(missed_replies, output_field=IntegerField()), Value(0)))
            .values(month=TruncMonth("received_at", tzinfo=zone), plan_name=F("plan__name"),
                    organization_name=F("organization__name"), agent_first=F("assignee__user__first_name"),
                    agent_last=F("assignee__user__last_name"), agent_username=F("assignee__user__username"))
            .annotate(reaction_met=_count(Q(sla_state=state.MET)),
                      reaction_breached=_count(Q(sla_state=state.BREACHED)),
                      reaction_running=_count(Q(sla_state=state.RUNNING)),
                      reply_cycles=Coalesce(Sum("reply_cycle", filter=has_reply), Value(0)),
                      reply_breached=Coalesce(Sum("_missed"), Value(0)),
                      reply_running=_count(owed),
                      resolution_breached=_count(resolution_missed),
                      resolution_met=_count(has_resolution & Q(resolution_breached_at__isnull=True,
                                                               resolved_at__isnull=False)),
                      resolution_running=_count(has_resolution & Q(resolution_breached_at__isnull=True,
                                                                   resolved_at__isnull=True)))
            .order_by())


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _rows(aggregates) -> list[TargetRow]:
    rows = []
    for group in aggregates:
        key = {"month": _as_date(group["month"]), "plan": group["plan_name"] or NONE,
               "organization": group["organization_name"] or NONE,
               "agent": agent_name(group["agent_first"], group["agent_last"], group["agent_username"])}
        figures = {
            sla_targets.REACTION: (group["reaction_met"], group["reaction_breached"], group["reaction_running"]),
            sla_targets.NEXT_REPLY: (group["reply_cycles"] - group["reply_breached"] - group["reply_running"],
                                     group["reply_breached"], group["reply_running"]),
            sla_targets.RESOLUTION: (group["resolution_met"], group["resolution_breached"],
                                     group["resolution_running"]),
        }
        for target, (met, breached, running) in figures.items():
            if met or breached or running:
                rows.append(TargetRow(target=target, met=max(met, 0), breached=breached, running=running, **key))
    return sorted(rows, key=lambda r: (r.month, TARGETS.index(r.target), r.plan, r.organization, r.agent))


def _breaches(tickets: QuerySet[Ticket], limit: int) -> tuple[list[BreachRow], int]:
    """The missed targets of ``tickets``, earliest due first, at most ``limit``; and how many there are."""
    related = ("tenant", "organization", "plan", "assignee__user")
    def recorded(target: str) -> Subquery:
        return Subquery(SlaEvent.objects.filter(ticket=OuterRef("pk"), kind=SlaEvent.Kind.BREACH, target=target)
                        .order_by("cycle").values("recorded_at")[:1])

    reaction = (tickets.filter(sla_state=Ticket.SlaState.BREACHED, due_at__isnull=False)
                .annotate(_recorded=recorded(sla_targets.REACTION)))
    resolution = (tickets.filter(resolution_breached_at__isnull=False)
                  .annotate(_recorded=recorded(sla_targets.RESOLUTION)))
    first_reply = (Message.objects.filter(ticket=OuterRef("ticket_id"), from_staff=True, internal=False,
                                          created_at__gte=OuterRef("at")).order_by("created_at").values("created_at")[:1])
    replies = (SlaEvent.objects.filter(kind=SlaEvent.Kind.BREACH, target=sla_targets.NEXT_REPLY,
                                       ticket__in=tickets.values("pk"))
               .annotate(_answered=Subquery(first_reply)))
    count = (tickets.aggregate(n=Count("pk", filter=Q(sla_state=Ticket.SlaState.BREACHED, due_at__isnull=False))
                               + Count("pk", filter=Q(resolution_breached_at__isnull=False)))["n"]
             + replies.count())
    rows = [BreachRow(t, sla_targets.REACTION, 1, t.due_at, t.reacted_at, t._recorded)
            for t in reaction.select_related(*related).order_by("due_at", "pk")[:limit]]
    rows += [BreachRow(t, sla_targets.RESOLUTION, 1, t.resolution_breached_at, t.resolved_at, t._recorded)
             for t in resolution.select_related(*related).order_by("resolution_breached_at", "pk")[:limit]]
    for event in replies.select_related(*(f"ticket__{name}" for name in related)).order_by("at", "pk")[:limit]:
        ticket = event.ticket
        current = event.cycle == ticket.reply_cycle and ticket.reply_met_at is not None
        rows.append(BreachRow(ticket, sla_targets.NEXT_REPLY, event.cycle, event.at,
                              ticket.reply_met_at if current else event._answered, event.recorded_at))
    rows.sort(key=lambda b: (b.due_at, TARGETS.index(b.target), b.ticket.pk, b.cycle))
    return rows[:limit], count


def target_report(*, tenant: Tenant, start: date, end: date, plan: Plan | None = None,
                  organization: Organization | None = None, agent: Membership | None = None,
                  limit: int | None = BREACH_LIMIT) -> TargetReport:
    """The report of tickets received in [start, end) (months of the tenant's calendar), filtered."""
    zone = ZoneInfo(tenant.time_zone)
    tickets = _tickets(tenant, start, end, plan, organization, agent)
    report = TargetReport(tenant=tenant, start=start, end=end)
    report.rows = _rows(_aggregates(tickets, zone))
    months = []
    month = month_start(start)
    while month < end:
        months.append(month)
        month = month_add(month, 1)
    per_month = {(target, m): TargetRow(month=m, target=target) for target in TARGETS for m in months}
    totals = {target: TargetRow(month=None, target=target) for target in TARGETS}
    for row in report.rows:
        per_month[(row.target, row.month)].add(row.met, row.breached, row.running)
        totals[row.target].add(row.met, row.breached, row.running)
    report.totals = [totals[target] for target in TARGETS]
    report.months = {target: [per_month[(target, m)] for m in months] for target in TARGETS}
    report.breaches, report.breach_count = _breaches(tickets, limit if limit is not None else 10 ** 9)
    return report
