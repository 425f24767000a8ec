"""Reads of availability, sessions and call-backs. Every selector takes the tenant."""
from __future__ import annotations

import json

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Func, Q, QuerySet

from appointments import slots as slot_core
from appointments.models import Absence, AgentSchedule, Appointment, BookingRules, Callback, Kind
from billing.rounding import amount_net, billed_minutes
from billing.selectors import organization_usage
from billing.services import rounding_rule
from core.models import Membership, Organization, Role, Tenant
from plans.selectors import plan_in_force
from plans.terms import Terms
from sla.policy import calendar_from_spec

PHONE_CHANNELS = {"phone", "landline", "manager_mobile"}


class EpochSeconds(Func):
    """A timestamp as whole seconds since the Unix epoch (sessions start and end on whole seconds)."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS bigint)",
                           **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection,
                           template="CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS integer)",
                           **extra)


def booking_rules(tenant: Tenant) -> BookingRules:
    """The tenant's rules, or the defaults (unsaved) when an admin has not set any."""
    return BookingRules.objects.for_tenant(tenant).first() or BookingRules(tenant=tenant)


def allowed_kinds(rules: BookingRules, terms: Terms | None) -> list[str]:
    """Kinds the plan may book: the tenant's list for the plan, else what its terms offer.

    Seed 000: every plan may *order* phone or remote help; plans without it in the package pay the
    hourly rate, so a plan with a rate may book both. A plan with neither a rate nor the channel
    (PREMIUM without a contract rate, say) books what its channels and package name.
    """
    if terms is None:
        return []
    listed = (rules.kinds_by_plan or {}).get(terms.plan_code)
    if listed is not None:
        return [k for k in Kind.values if k in listed]
    paid = terms.hourly_rate_net is not None
    kinds = []
    if (paid or terms.phone_support or terms.phone_consultations or "phone" in terms.included_kinds
            or PHONE_CHANNELS & set(terms.channels)):
        kinds.append(Kind.PHONE.value)
    if paid or "remote" in terms.channels or "remote" in terms.config_help_channels or "remote" in terms.included_kinds:
        kinds.append(Kind.REMOTE.value)
    return kinds


def bookable_agents(tenant: Tenant) -> list[Membership]:
    """Agents taking bookings (an agent without a schedule row takes them), with their schedules."""
    members = (Membership.objects.for_tenant(tenant).filter(role=Role.AGENT)
               .exclude(schedule__bookable=False).select_related("user", "schedule").order_by("id"))
    return list(members)


def _schedule(member: Membership) -> AgentSchedule | None:
    try:
        return member.schedule
    except AgentSchedule.DoesNotExist:
        return None


def _whole_second(at: datetime) -> datetime:
    return at.replace(microsecond=0)


def agent_open_intervals(*, member: Membership, service_calendar: dict, begin: datetime, end: datetime,
                         absences: list[Absence], _service=None, _by_windows=None) -> list[tuple[datetime, datetime]]:
    """The agent's working hours (their own windows, holidays as in the plan's calendar) within
    the plan's service hours, absences removed.

    ``_service`` (the plan's open stretches) and ``_by_windows`` (working hours already intersected,
    by their windows) let ``find_slots`` compute each once per search rather than once per agent:
    a team usually shares a few shapes of working hours."""
    service = _service if _service is not None else calendar_from_spec(service_calendar).open_intervals(begin, end)
    schedule = _schedule(member)
    if schedule is not None and schedule.windows:
        key = json.dumps(schedule.windows, sort_keys=True)
        working = None if _by_windows is None else _by_windows.get(key)
        if working is None:
            spec = {"timezone": service_calendar["timezone"], "windows": schedule.windows,
                    "holidays": service_calendar.get("holidays")}
            working = slot_core.intersect(service, calendar_from_spec(spec).open_intervals(begin, end))
            if _by_windows is not None:
                _by_windows[key] = working
        service = working
    blocked = [(_whole_second(a.starts_at), _whole_second(a.ends_at)) for a in absences if a.membership_id == member.pk]
    return slot_core.subtract(service, blocked) if blocked else service


@dataclass(frozen=True)
class SlotSearch:
    kind: str
    length: int
    not_before: datetime
    not_after: datetime
    slots: list[tuple[datetime, list[Membership]]]


def slot_bounds(rules: BookingRules, now: datetime) -> tuple[datetime, datetime]:
    start = _whole_second(now) + timedelta(minutes=rules.min_notice_minutes)
    return start, _whole_second(now) + timedelta(days=rules.horizon_days)


def find_slots(*, tenant: Tenant, organization: Organization, kind: str, length: int, now: datetime,
               agents: list[Membership] | None = None, days: int | None = None,
               ignore: Appointment | None = None) -> SlotSearch:
    """Free slots for ``organization``'s plan: each start with the agents free then, the account
    manager first when the plan has one (KJM OPIEKA)."""
    rules = booking_rules(tenant)
    terms = plan_in_force(tenant=tenant, organization=organization, at=now).terms
    begin, end = slot_bounds(rules, now)
    if days is not None:
        end = min(end, begin + timedelta(days=days))
    if terms is None or kind not in allowed_kinds(rules, terms) or length not in rules.lengths(kind):
        return SlotSearch(kind, length, begin, end, [])
    agents = bookable_agents(tenant) if agents is None else agents
    by_id = {a.pk: a for a in agents}
    absences = list(Absence.objects.for_tenant(tenant).filter(membership__in=by_id, starts_at__lt=end,
                                                              ends_at__gt=begin))
    busy: dict[int, list[tuple[int, int]]] = {pk: [] for pk in by_id}
    held = (Appointment.objects.for_tenant(tenant).filter(agent__in=by_id, status__in=Appointment.HOLDING)
            .filter(starts_at__lt=end + timedelta(minutes=rules.buffer_minutes),
                    ends_at__gt=begin - timedelta(minutes=rules.buffer_minutes)))
    if ignore is not None:
        held = held.exclude(pk=ignore.pk)
    # As whole seconds since the epoch, computed by the database: building 2 datetimes for each
    # session of a team's two months was most of a search's time.
    held = held.annotate(s=EpochSeconds("starts_at"), e=EpochSeconds("ends_at"))
    for agent_id, s, e in held.values_list("agent_id", "s", "e"):
        busy[agent_id].append((s, e))
    open_by_agent = {}
    service = calendar_from_spec(terms.service_calendar).open_intervals(begin, end)
    by_windows: dict[str, list] = {}
    for pk, member in by_id.items():
        open_by_agent[pk] = agent_open_intervals(member=member, service_calendar=terms.service_calendar,
                                                 begin=begin, end=end, absences=absences, _service=service,
                                                 _by_windows=by_windows)
    preference = [organization.account_manager_id] if terms.account_manager and organization.account_manager_id else []
    merged = slot_core.team_free_slots(
        open_by_agent=open_by_agent, busy_seconds_by_agent=busy, length=timedelta(minutes=length),
        step=timedelta(minutes=rules.step_minutes), buffer=timedelta(minutes=rules.buffer_minutes),
        not_before=begin, not_after=end, preference=preference)
    return SlotSearch(kind, length, begin, end, [(start, [by_id[pk] for pk in pks]) for start, pks in merged])


def slots_by_day(slots, zone: ZoneInfo) -> list[tuple[date, list]]:
    days: dict[date, list] = {}
    for start, agents in slots:
        days.setdefault(start.astimezone(zone).date(), []).append((start, agents))
    return list(days.items())


# --- what a session will cost -------------------------------------------------------------------


@dataclass(frozen=True)
class CostPreview:
    source: str  # "allowance", "package", "flat_fee", "rate", "none"
    billed_minutes: int
    covered_minutes: int
    billable_minutes: int
    amount_net: Decimal | None
    hourly_rate_net: Decimal | None
    left_minutes: int | None  # hours left this month / in the packages before the session
    unit_minutes: int
    minutes_added: int


def cost_preview(*, tenant: Tenant, organization: Organization, kind: str, minutes: int, at: datetime) -> CostPreview:
    """Whether a session of ``minutes`` draws on the plan's hours or is billed, and the price,
    rounded by the plan's rule exactly as ``time_entry_log`` will round it if it lasts that long."""
    terms = plan_in_force(tenant=tenant, organization=organization, at=at).terms
    if terms is None:
        return CostPreview("none", 0, 0, 0, None, None, None, 0, 0)
    rule = rounding_rule(terms)
    billed = billed_minutes(minutes, kind, rule)
    unit = dict(terms.rounding_units).get(kind, terms.rounding_default_unit)
    usage = organization_usage(tenant=tenant, organization=organization,
                               month=at.astimezone(ZoneInfo(tenant.time_zone)).date().replace(day=1))
    rate = terms.hourly_rate_net

    def preview(source, covered, left):
        billable = billed - covered
        if not billable:
            amount = Decimal("0.00")
        else:
            amount = amount_net(billable, rate) if rate is not None else None
        return CostPreview(source, billed, covered, billable, amount, rate, left, unit, terms.rounding_minutes_added)

    if terms.billing_mode == "package":
        left = sum(p.minutes_left for p in usage.packages if p.status == "active")
        return preview("package", min(billed, left), left)
    if terms.included_unlimited and kind in terms.included_kinds:
        return preview("flat_fee", billed, None)
    if kind in terms.included_kinds and terms.included_minutes > 0:
        return preview("allowance", min(billed, usage.remaining_minutes), usage.remaining_minutes)
    return preview("rate", 0, None)


# --- sessions and call-backs --------------------------------------------------------------------


def _appointments(tenant: Tenant) -> QuerySet[Appointment]:
    return (Appointment.objects.for_tenant(tenant)
            .select_related("ticket", "organization", "contact", "agent__user", "time_entry"))


def appointments_for_ticket(*, tenant: Tenant, ticket) -> list[Appointment]:
    return list(_appointments(tenant).filter(ticket=ticket).order_by("-starts_at", "-id"))


def ticket_page_appointments(*, tenant: Tenant, ticket, now: datetime,
                             limit: int = 5) -> tuple[list[Appointment], list[Appointment]]:
    """The ticket's sessions (newest first, as ``appointments_for_ticket``) and its organization's
    next ``limit`` booked or proposed ones (soonest first, any ticket), in one query: the ticket's
    rows or the ids of the organization's next ones."""
    wanted = Q(ticket=ticket)
    if ticket.organization_id:
        upcoming_ids = (Appointment.objects.for_tenant(tenant)
                        .filter(organization_id=ticket.organization_id, status__in=Appointment.HOLDING,
                                ends_at__gte=now)
                        .order_by("starts_at", "id").values("pk")[:limit])
        wanted |= Q(pk__in=upcoming_ids)
    # What the two panels show: the agent, the logged entry and the other tickets' references (their
    # tenant is the page's); in no order, as they are sorted here.
    rows = list(Appointment.objects.for_tenant(tenant).select_related("ticket", "agent__user", "time_entry")
                .filter(wanted).order_by())
    for row in rows:
        if row.ticket is not None:
            row.ticket.tenant = ticket.tenant
    for_ticket = sorted((a for a in rows if a.ticket_id == ticket.pk), key=lambda a: (a.starts_at, a.pk), reverse=True)
    # Every one of the next ``limit`` is among the rows; so are some of the ticket's that also qualify.
    upcoming = sorted((a for a in rows if ticket.organization_id and a.organization_id == ticket.organization_id
                       and a.status in Appointment.HOLDING and a.ends_at >= now),
                      key=lambda a: (a.starts_at, a.pk))[:limit]
    return for_ticket, upcoming


def appointment_for_contact(*, tenant: Tenant, contact, pk: int) -> Appointment:
    from django.http import Http404

    found = _appointments(tenant).filter(pk=pk, organization_id=contact.organization_id).first()
    if found is None:
        raise Http404
    return found


def appointment_for_agent(*, tenant: Tenant, pk: int) -> Appointment:
    from django.http import Http404

    found = _appointments(tenant).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def appointments_for_api(tenant: Tenant) -> QuerySet[Appointment]:
    return _appointments(tenant).order_by("id")


def agenda(*, tenant: Tenant, agent: Membership | None, begin: datetime, end: datetime) -> list[Appointment]:
    queryset = (_appointments(tenant).filter(starts_at__lt=end, ends_at__gt=begin)
                .exclude(status=Appointment.Status.CANCELLED).order_by("starts_at", "id"))
    if agent is not None:
        queryset = queryset.filter(agent=agent)
    return list(queryset)


def agent_feed_appointments(*, schedule: AgentSchedule, since: datetime) -> list[Appointment]:
    return list(Appointment.objects.for_tenant(schedule.tenant_id)
                .filter(agent_id=schedule.membership_id, ends_at__gte=since)
                .select_related("ticket", "organization", "contact").order_by("starts_at"))


def schedule_by_token(token: str) -> AgentSchedule | None:
    if not token or len(token) > 64:
        return None
    return AgentSchedule.objects.filter(feed_token=token).select_related("membership__user", "tenant").first()


def callbacks_waiting(tenant: Tenant) -> QuerySet[Callback]:
    """Ordered like the queue: critical first, then plan priority, then the time asked."""
    return (Callback.objects.for_tenant(tenant).filter(status=Callback.Status.WAITING)
            .select_related("ticket", "organization", "contact")
            .order_by("-critical", "-queue_priority", "requested_at", "id"))


def callbacks_for_ticket(*, tenant: Tenant, ticket) -> list[Callback]:
    return list(Callback.objects.for_tenant(tenant).filter(ticket=ticket).order_by("-requested_at"))


def overlapping(*, tenant: Tenant, agent_id: int, starts_at: datetime, ends_at: datetime, buffer: timedelta,
                ignore_pk: int | None = None) -> bool:
    queryset = (Appointment.objects.for_tenant(tenant)
                .filter(agent_id=agent_id, status__in=Appointment.HOLDING)
                .filter(Q(starts_at__lt=ends_at + buffer) & Q(ends_at__gt=starts_at - buffer)))
    if ignore_pk is not None:
        queryset = queryset.exclude(pk=ignore_pk)
    return queryset.exists()
