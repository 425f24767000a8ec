"""Reads of the SLA monitor: the tenant admin's report of reaction-SLA achievement."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet

from core.models import Tenant
from monitor.models import SlaEvent
from plans.models import Calendar
from sla.policy import calendar_from_spec
from tickets.models import Ticket, TicketEvent

MEASURED = (Ticket.SlaState.MET, Ticket.SlaState.BREACHED, Ticket.SlaState.RUNNING)


@dataclass
class ReportRow:
    month: date
    plan: str
    met: int = 0
    breached: int = 0
    running: int = 0
    reaction_total: timedelta = timedelta(0)
    reacted: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def percent_met(self) -> float | None:
        """Met out of decided (running tickets are not yet either)."""
        return round(100 * self.met / self.decided, 1) if self.decided else None

    @property
    def average_reaction(self) -> timedelta | None:
        return self.reaction_total / self.reacted if self.reacted else None

    @property
    def average_reaction_hours(self) -> float | None:
        average = self.average_reaction
        return round(average.total_seconds() / 3600, 2) if average is not None else None


@dataclass
class Breach:
    ticket: Ticket
    due_at: datetime
    breached_at: datetime
    reacted_at: datetime | None
    late_by_business: timedelta | None


@dataclass
class SlaReportData:
    tenant: Tenant
    start: date
    end: date  # exclusive
    rows: list[ReportRow] = field(default_factory=list)
    months: list[ReportRow] = field(default_factory=list)  # all plans together
    breaches: list[Breach] = field(default_factory=list)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_add(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def report_tickets(*, tenant: Tenant, start: date, end: date) -> QuerySet[Ticket]:
    """Tickets with a reaction guarantee received in [start, end) of the tenant's local calendar."""
    zone = ZoneInfo(tenant.time_zone)
    since = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    until = datetime.combine(end, datetime.min.time(), tzinfo=zone)
    calendars = Calendar.objects.prefetch_related("windows", "dates")
    return (Ticket.objects.for_tenant(tenant)
            .filter(sla_state__in=MEASURED, received_at__gte=since, received_at__lt=until)
            .select_related("plan", "organization", "terms")
            .prefetch_related(Prefetch("terms__service_calendar", queryset=calendars),
                              Prefetch("terms__critical_calendar", queryset=calendars))
            .order_by("received_at", "pk"))


def _calendar_of(ticket: Ticket):
    terms = ticket.terms
    if terms is None:
        return None
    if ticket.critical and terms.critical_calendar_id and terms.critical_reaction_minutes:
        return calendar_from_spec(terms.critical_calendar.to_spec())
    return calendar_from_spec(terms.service_calendar.to_spec())


def sla_report(*, tenant: Tenant, start: date, end: date) -> SlaReportData:
    """Reaction SLA per plan and month: met / breached / running, % met, average business-time reaction."""
    zone = ZoneInfo(tenant.time_zone)
    report = SlaReportData(tenant=tenant, start=start, end=end)
    rows: dict[tuple[date, str], ReportRow] = {}
    months: dict[date, ReportRow] = {}
    month = month_start(start)
    while month < end:
        months[month] = ReportRow(month=month, plan="")
        month = month_add(month, 1)
    calendars: dict[int, object] = {}
    for ticket in report_tickets(tenant=tenant, start=start, end=end):
        month = month_start(ticket.received_at.astimezone(zone).date())
        plan = ticket.plan.name if ticket.plan else "—"
        row = rows.setdefault((month, plan), ReportRow(month=month, plan=plan))
        total = months.setdefault(month, ReportRow(month=month, plan=""))
        calendar = calendars.setdefault(ticket.pk, _calendar_of(ticket))
        reaction = None
        if ticket.reacted_at is not None and calendar is not None:
            reaction = calendar.between(ticket.sla_started_at or ticket.received_at, ticket.reacted_at)
            reaction = max(reaction, timedelta(0))
        for target in (row, total):
            setattr(target, ticket.sla_state, getattr(target, ticket.sla_state) + 1)
            if reaction is not None:
                target.reaction_total += reaction
                target.reacted += 1
        if ticket.sla_state == Ticket.SlaState.BREACHED:
            late = None
            if calendar is not None and ticket.reacted_at is not None:
                late = calendar.between(ticket.due_at, ticket.reacted_at)
            report.breaches.append(Breach(ticket=ticket, due_at=ticket.due_at,
                                          breached_at=ticket.breached_at or ticket.due_at,
                                          reacted_at=ticket.reacted_at, late_by_business=late))
    report.rows = sorted(rows.values(), key=lambda r: (r.month, r.plan))
    report.months = [months[m] for m in sorted(months)]
    return report


def sla_events_for_ticket(*, tenant: Tenant | int, ticket: Ticket) -> QuerySet[SlaEvent]:
    return SlaEvent.objects.for_tenant(tenant).filter(ticket=ticket).order_by("at", "pk")


HISTORY_KINDS = {SlaEvent.Kind.WARNING: "sla_warning", SlaEvent.Kind.BREACH: "sla_breached"}


def sla_history(ticket: Ticket) -> list[TicketEvent]:
    """The ticket's SLA warnings and breaches as lines of its history (``tickets.hooks``), built from
    the events: the scan writes one row per event, not a second one for the history."""
    events = sla_events_for_ticket(tenant=ticket.tenant_id, ticket=ticket).filter(kind__in=HISTORY_KINDS)
    return [TicketEvent(tenant_id=event.tenant_id, ticket_id=event.ticket_id, kind=HISTORY_KINDS[event.kind],
                        at=event.at, data={"target": event.target, "cycle": event.cycle, "late": event.late,
                                           "recorded_at": event.recorded_at.isoformat()})
            for event in events]


def bar_chart(months: list[ReportRow], *, width: int = 720, height: int = 240) -> dict:
    """Geometry of a stacked bar chart (met / breached / running per month) for an inline SVG."""
    left, bottom, top = 40, 30, 20  # room above the tallest bar for its percentage
    plot_h = height - bottom - top
    peak = max((m.met + m.breached + m.running for m in months), default=0) or 1
    slot = (width - left - 10) / max(len(months), 1)
    bar_w = max(min(slot * 0.7, 48), 4)
    bars = []
    for i, month in enumerate(months):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        segments = []
        for kind, value in (("met", month.met), ("breached", month.breached), ("running", month.running)):
            h = plot_h * value / peak
            y -= h
            if value:
                segments.append({"kind": kind, "value": value, "x": round(x, 1), "y": round(y, 1),
                                 "w": round(bar_w, 1), "h": round(h, 1)})
        bars.append({"label": month.month.strftime("%Y-%m"), "x": round(x + bar_w / 2, 1),
                     "label_y": height - bottom + 16, "segments": segments,
                     "percent": month.percent_met, "top_y": round(y - 4, 1)})
    ticks = []
    for fraction in (0, 0.5, 1):
        value = round(peak * fraction)
        ticks.append({"value": value, "y": round(top + plot_h - plot_h * value / peak, 1)})
    return {"width": width, "height": height, "left": left, "axis_y": top + plot_h, "bars": bars,
            "ticks": ticks, "right": width - 10}
