"""Writes of time accounting and hour packages (RULES 5, 6.1, 6.2).

How an entry is priced
----------------------
Every figure comes from the terms in force when the work started (``plan_in_force(at=started_at)``):

* billed minutes: the terms' rounding rule (``billing.rounding.billed_minutes``);
* after hours: ``not service_calendar.is_open(started_at)``; the after-hours surcharges (KJM PAKIET
  ×2, KJM OPIEKA price list) apply to an *emergency* handled after hours, since after hours only
  emergencies are worked (RULES 2) and an e-mail answered at 20:00 is not one;
* the pool:
  - a ticket marked *not covered* (out of scope): OVERAGE at the hourly rate, never from the plan;
  - a package plan (KJM PAKIET): PACKAGE, ``deducted = billed × after_hours_multiplier`` for an
    after-hours emergency, taken from the oldest valid package first; what no package covers is a
    debt taken from the next package bought (RULES 6.2 decision);
  - an unlimited plan (KJM OPIEKA): FLAT_FEE, except an after-hours emergency on a subscription
    without an hours add-on, which is OVERAGE at ``after_hours_rate_net``;
  - e-mail work on the other plans (seed 000): EMAIL_LIMIT; it never draws on the hours, and
    non-bug tickets count towards the month's guaranteed e-mail limit;
  - a kind in ``included_kinds`` on a plan with a monthly allowance: ALLOWANCE until the month's
    allowance is used, the rest OVERAGE at ``hourly_rate_net``;
  - anything else: OVERAGE at ``hourly_rate_net``.

An entry that crosses the end of the allowance stays one row: ``deducted_minutes`` came from the
allowance, ``overage_minutes`` are billed at ``rate_net`` and ``amount_net`` is their price; its
``pool`` is ALLOWANCE (it started inside the allowance). A row with ``pool=OVERAGE`` has
``deducted_minutes == 0``.

Consistency
-----------
Pools are derived data. Every write locks the organization row (``select_for_update``), applies the
change and recomputes the affected months (allowance, e-mail limit) and the organization's whole
package ledger from its rows in order, so parallel writers serialise on the lock and an edit or a
deletion of an old entry gives the same figures as if the history had been typed in right.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Package, TimeEntry
from billing.rounding import RoundingRule, amount_net, billed_minutes, deducted_minutes
from core import webhooks
from core.models import Membership, Organization, Tenant, User
from core.services import audit_record
from plans.dates import add_months, first_of_next_month
from plans.models import WorkKind
from plans.selectors import plan_in_force
from plans.terms import Terms
from sla.policy import calendar_from_spec

log = logging.getLogger(__name__)

Pool = TimeEntry.Pool
MAX_ENTRY_MINUTES = 24 * 60
ZERO = Decimal("0.00")


# --- time helpers --------------------------------------------------------------------------------


def local_date(tenant: Tenant, at: datetime) -> date:
    return at.astimezone(ZoneInfo(tenant.time_zone)).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_bounds(tenant: Tenant, month: date) -> tuple[datetime, datetime]:
    """The month as [begin, end) aware instants in the tenant's zone."""
    zone = ZoneInfo(tenant.time_zone)
    first = month_start(month)
    return (datetime.combine(first, datetime.min.time(), tzinfo=zone),
            datetime.combine(first_of_next_month(first), datetime.min.time(), tzinfo=zone))


def rounding_rule(terms: Terms) -> RoundingRule:
    return RoundingRule.from_terms(
        units=dict(terms.rounding_units), default_unit=terms.rounding_default_unit,
        minutes_added=terms.rounding_minutes_added, per_intervention=terms.rounding_per_intervention,
        after_hours_multiplier=terms.after_hours_multiplier)


class _TermsCache:
    """Terms in force per local day of one organization, so a month's recompute stays cheap."""

    def __init__(self, tenant: Tenant, organization: Organization):
        self.tenant, self.organization = tenant, organization
        self._by_day: dict[date, Terms | None] = {}

    def at(self, at: datetime | date) -> Terms | None:
        day = local_date(self.tenant, at) if isinstance(at, datetime) else at
        if day not in self._by_day:
            self._by_day[day] = plan_in_force(tenant=self.tenant, organization=self.organization, at=day).terms
        return self._by_day[day]


# --- pricing of one entry ------------------------------------------------------------------------


@dataclass
class _Priced:
    pool: str
    billed: int
    to_deduct: int  # minutes the pool must give (allowance/package/e-mail limit); before splitting
    rate: Decimal | None
    after_hours: bool


def _price(*, entry: TimeEntry, terms: Terms, not_covered: bool) -> _Priced:
    rule = rounding_rule(terms)
    billed = billed_minutes(entry.minutes, entry.kind, rule)
    computed = not calendar_from_spec(terms.service_calendar).is_open(entry.started_at)
    after_hours = computed if entry.after_hours_override is None else entry.after_hours_override
    surcharge = after_hours
    quote = entry.quote if entry.quote_id else None
    if quote is not None and quote.status == quote.Status.ACCEPTED:
        # Work under an accepted quote: at the quote's rate, or within its fixed price (0.00 here).
        return _Priced(Pool.OVERAGE, billed, 0, quote.rate_net, after_hours)
    if not_covered:
        return _Priced(Pool.OVERAGE, billed, 0, terms.hourly_rate_net, after_hours)
    if terms.billing_mode == "package":
        return _Priced(Pool.PACKAGE, billed, deducted_minutes(billed, rule, surcharge), terms.hourly_rate_net,
                       after_hours)
    if terms.included_unlimited and entry.kind in terms.included_kinds:
        if surcharge and not terms.hours_addon:
            return _Priced(Pool.OVERAGE, billed, 0, terms.after_hours_rate_net, after_hours)
        return _Priced(Pool.FLAT_FEE, billed, 0, None, after_hours)
    if entry.kind == WorkKind.EMAIL and terms.email_scope == "bugs" and not entry.counts_as_bug:
        # RULES 5 decision: e-mail support covering bugs only (COMMUNITY) bills other e-mail work at the rate.
        return _Priced(Pool.OVERAGE, billed, 0, terms.hourly_rate_net, after_hours)
    if entry.kind == WorkKind.EMAIL:
        return _Priced(Pool.EMAIL_LIMIT, billed, billed, None, after_hours)
    if entry.kind in terms.included_kinds and terms.included_minutes > 0:
        return _Priced(Pool.ALLOWANCE, billed, billed, terms.hourly_rate_net, after_hours)
    return _Priced(Pool.OVERAGE, billed, 0, terms.hourly_rate_net, after_hours)


def _apply(entry: TimeEntry, *, pool: str, billed: int, deducted: int, overage: int, rate: Decimal | None,
           after_hours: bool) -> bool:
    """Set the derived fields; True when something changed."""
    values = {
        "pool": pool, "billed_minutes": billed, "deducted_minutes": deducted, "overage_minutes": overage,
        "rate_net": rate if overage else None, "after_hours": after_hours,
        "amount_net": amount_net(overage, rate) if (overage and rate is not None) else ZERO,
    }
    changed = False
    for name, value in values.items():
        if getattr(entry, name) != value:
            setattr(entry, name, value)
            changed = True
    return changed


_DERIVED = ["pool", "billed_minutes", "deducted_minutes", "overage_minutes", "rate_net", "after_hours",
            "amount_net", "counts_as_bug"]


def _recompute_month(*, tenant: Tenant, organization: Organization, month: date, cache: _TermsCache) -> None:
    """Reprice every entry of the organization in ``month``, in the order the work was done."""
    begin, end = month_bounds(tenant, month)
    entries = list(TimeEntry.objects.for_tenant(tenant)
                   .filter(organization=organization, started_at__gte=begin, started_at__lt=end)
                   .select_related("ticket__category", "quote").order_by("started_at", "id"))
    allowance_used = 0
    changed = []
    for entry in entries:
        terms = cache.at(entry.started_at)
        if terms is None:  # no plan at all: keep the actual time, bill nothing automatically
            dirty = _apply(entry, pool=Pool.OVERAGE, billed=entry.minutes, deducted=0, overage=0, rate=None,
                           after_hours=False)
        else:
            ticket = entry.ticket
            is_bug = bool(ticket.category_id and ticket.category.is_bug)
            dirty = entry.counts_as_bug != is_bug
            entry.counts_as_bug = is_bug
            priced = _price(entry=entry, terms=terms, not_covered=ticket.coverage == ticket.Coverage.NOT_COVERED)
            deducted, overage = priced.to_deduct, 0
            pool = priced.pool
            if pool == Pool.ALLOWANCE:
                deducted = max(0, min(priced.billed, terms.included_minutes - allowance_used))
                allowance_used += deducted
                overage = priced.billed - deducted
                if deducted == 0:
                    pool = Pool.OVERAGE
            elif pool == Pool.OVERAGE:
                overage = priced.billed
            dirty = _apply(entry, pool=pool, billed=priced.billed, deducted=deducted, overage=overage,
                           rate=priced.rate, after_hours=priced.after_hours) or dirty
        if dirty:
            changed.append(entry)
    if changed:
        TimeEntry.objects.bulk_update(changed, _DERIVED)


def _recompute_packages(*, tenant: Tenant, organization: Organization, today: date | None = None) -> list[Package]:
    """Replay the organization's package ledger: purchases and PACKAGE entries in date order.

    A purchase counts from the start of its day, before the work of that day. An entry draws from
    the valid packages oldest first (purchase date, then id); what they cannot give is a debt, taken
    first from the next package bought. Returns the packages that became used up.
    """
    today = today or local_date(tenant, timezone.now())
    packages = list(Package.objects.for_tenant(tenant).filter(organization=organization)
                    .order_by("purchased_on", "id"))
    entries = list(TimeEntry.objects.for_tenant(tenant)
                   .filter(organization=organization, pool=Pool.PACKAGE).order_by("started_at", "id"))
    events: list[tuple[date, int, int, Any]] = [(p.purchased_on, 0, i, p) for i, p in enumerate(packages)]
    events += [(local_date(tenant, e.started_at), 1, i, e) for i, e in enumerate(entries)]
    events.sort(key=lambda event: event[:3])

    left = {p.pk: 0 for p in packages}
    debt_paid = {p.pk: 0 for p in packages}
    entry_package: dict[int, int | None] = {}
    entry_debt: dict[int, int] = {}
    debt = 0
    for day, kind, _index, obj in events:
        if kind == 0:
            paid = min(debt, obj.minutes)
            debt -= paid
            debt_paid[obj.pk] = paid
            left[obj.pk] = obj.minutes - paid
            continue
        need = obj.deducted_minutes
        first = None
        for package in packages:
            if need == 0:
                break
            if not (package.purchased_on <= day <= package.valid_until) or left[package.pk] <= 0:
                continue
            take = min(need, left[package.pk])
            left[package.pk] -= take
            need -= take
            first = first or package.pk
        entry_package[obj.pk] = first
        entry_debt[obj.pk] = need
        debt += need

    exhausted = []
    for package in packages:
        if left[package.pk] == 0:
            status = Package.Status.EXHAUSTED
        elif package.valid_until < today:
            status = Package.Status.EXPIRED
        else:
            status = Package.Status.ACTIVE
        if status == Package.Status.EXHAUSTED and package.status != status:
            exhausted.append(package)
        new_state = (left[package.pk], debt_paid[package.pk], status)
        if (package.minutes_left, package.debt_minutes, package.status) != new_state:
            package.minutes_left, package.debt_minutes, package.status = left[package.pk], debt_paid[package.pk], status
            if status != Package.Status.EXHAUSTED:
                package.notified_exhausted_at = None  # an edit gave minutes back: a later exhaustion is news again
            package.save(update_fields=["minutes_left", "debt_minutes", "status", "notified_exhausted_at",
                                        "updated_at"])
    for package in exhausted:
        # The moment the package runs out is the event, in the transaction that consumed it.
        _event(tenant.pk, "package.exhausted", package=package)
    changed = []
    for entry in entries:
        if (entry.package_id, entry.debt_minutes) != (entry_package[entry.pk], entry_debt[entry.pk]):
            entry.package_id, entry.debt_minutes = entry_package[entry.pk], entry_debt[entry.pk]
            changed.append(entry)
    if changed:
        TimeEntry.objects.bulk_update(changed, ["package", "debt_minutes"])
    return exhausted


def _clear_package_fields(tenant: Tenant, organization: Organization) -> None:
    # An entry repriced out of PACKAGE (an edit moved it to another plan's month) keeps no draw.
    (TimeEntry.objects.for_tenant(tenant).filter(organization=organization)
     .exclude(pool=Pool.PACKAGE).exclude(package=None, debt_minutes=0).update(package=None, debt_minutes=0))


def pools_recompute(*, tenant: Tenant, organization: Organization, months: Iterable[date]) -> None:
    """Recompute the given months and the package ledger. The caller holds the organization lock."""
    cache = _TermsCache(tenant, organization)
    for month in sorted({month_start(m) for m in months}):
        _recompute_month(tenant=tenant, organization=organization, month=month, cache=cache)
    _clear_package_fields(tenant, organization)
    _recompute_packages(tenant=tenant, organization=organization)


def _lock_organization(tenant: Tenant, organization_id: int | None) -> Organization:
    if organization_id is None:
        raise ValidationError({"ticket": _("Accept the ticket for an organization before logging time on it.")})
    organization = (Organization.objects.for_tenant(tenant).select_for_update()
                    .filter(pk=organization_id).first())
    if organization is None:
        raise ValidationError({"organization": _("Unknown organization.")})
    return organization


# --- validation ----------------------------------------------------------------------------------


def _validated_minutes(minutes: Any) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError({"minutes": _("Give the time as a whole number of minutes.")})
    if not 0 < minutes <= MAX_ENTRY_MINUTES:
        raise ValidationError({"minutes": _("Time must be between 1 minute and 24 hours.")})
    return minutes


def _validated_kind(kind: Any) -> str:
    if kind not in WorkKind.values:
        raise ValidationError({"kind": _("Unknown kind of work.")})
    return kind


def _validated_started_at(started_at: Any) -> datetime:
    if not isinstance(started_at, datetime) or timezone.is_naive(started_at):
        raise ValidationError({"started_at": _("Give the start as a date and time with a time zone.")})
    if started_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"started_at": _("Work cannot start in the future.")})
    return started_at


def month_is_closed(*, tenant: Tenant, organization: Organization, day: date | datetime) -> bool:
    """True when the statement of the month of ``day`` was issued: the month is billed and frozen."""
    from billing.models import Statement

    if isinstance(day, datetime):
        day = local_date(tenant, day)
    return Statement.objects.for_tenant(tenant).filter(organization=organization, month=month_start(day)).exists()


def _check_open_month(tenant: Tenant, organization: Organization, day: date | datetime, field: str) -> None:
    if month_is_closed(tenant=tenant, organization=organization, day=day):
        raise ValidationError({field: _("The statement of this month has been issued: the month is closed.")})


def _check_ticket_workable(tenant: Tenant, ticket, organization: Organization, started_at: datetime,
                           terms: Terms) -> None:
    """RULES 6.7: no time on a ticket waiting for a package, nor on a package plan without a package
    valid on the day of the work with minutes left (an intervention that needs more than is left
    still goes through: the rest is a debt, RULES 6.2)."""
    from billing.selectors import organization_has_valid_package

    waiting = ticket.status == "waiting_package"
    if waiting or (terms.billing_mode == "package"
                   and not organization_has_valid_package(tenant=tenant, organization=organization, at=started_at)):
        raise ValidationError({"ticket": _("The customer has no valid hour package: the ticket waits until a "
                                           "package is bought, and no time can be logged on it.")})


def _validated_override(override: Any, reason: Any) -> tuple[bool | None, str]:
    if override is not None and not isinstance(override, bool):
        raise ValidationError({"after_hours_override": _("Choose yes, no or empty (computed).")})
    reason = (reason or "").strip()[:300] if isinstance(reason, str) or reason is None else None
    if reason is None:
        raise ValidationError({"after_hours_reason": _("Give the reason as text.")})
    if override is not None and not reason:
        raise ValidationError({"after_hours_reason": _("Give the reason for overriding the after-hours rule.")})
    return override, (reason if override is not None else "")


def _entry_data(entry: TimeEntry) -> dict:
    return {"kind": entry.kind, "started_at": entry.started_at.isoformat(), "minutes": entry.minutes,
            "emergency": entry.emergency, "after_hours": entry.after_hours,
            "after_hours_override": entry.after_hours_override, "after_hours_reason": entry.after_hours_reason,
            "pool": entry.pool, "billed_minutes": entry.billed_minutes,
            "deducted_minutes": entry.deducted_minutes, "overage_minutes": entry.overage_minutes,
            "debt_minutes": entry.debt_minutes, "amount_net": str(entry.amount_net), "note": entry.note}


def _actor(agent: Membership | None, actor: User | None) -> User | None:
    return actor if actor is not None else (agent.user if agent is not None else None)


# --- time entries --------------------------------------------------------------------------------


@transaction.atomic
def time_entry_log(*, tenant: Tenant, ticket, agent: Membership | None, kind: str, started_at: datetime,
                   minutes: int, note: str = "", emergency: bool = False, actor: User | None = None,
                   after_hours_override: bool | None = None, after_hours_reason: str = "",
                   quote=None) -> TimeEntry:
    """Log work on a ticket and draw it from the right pool (see the module docstring)."""
    if ticket.tenant_id != tenant.pk:
        raise ValidationError({"ticket": _("Unknown ticket.")})
    if agent is not None and agent.tenant_id != tenant.pk:
        raise ValidationError({"agent": _("Choose a member of your own staff.")})
    kind = _validated_kind(kind)
    minutes = _validated_minutes(minutes)
    started_at = _validated_started_at(started_at)
    override, reason = _validated_override(after_hours_override, after_hours_reason)
    organization = _lock_organization(tenant, ticket.organization_id)
    terms = plan_in_force(tenant=tenant, organization=organization, at=started_at).terms
    if terms is None:
        raise ValidationError({"started_at": _("The organization has no plan in force on that day.")})
    _check_open_month(tenant, organization, started_at, "started_at")
    _check_ticket_workable(tenant, ticket, organization, started_at, terms)
    if quote is not None and (quote.tenant_id != tenant.pk or quote.ticket_id != ticket.pk
                              or quote.status != quote.Status.ACCEPTED):
        raise ValidationError({"quote": _("Choose an accepted quote of this ticket.")})

    entry = TimeEntry(tenant=tenant, ticket=ticket, organization=organization, agent=agent, kind=kind,
                      started_at=started_at, minutes=minutes, note=(note or "")[:300], emergency=bool(emergency),
                      after_hours_override=override, after_hours_reason=reason, quote=quote, pool=Pool.OVERAGE)
    entry.save()
    pools_recompute(tenant=tenant, organization=organization, months=[local_date(tenant, started_at)])
    entry.refresh_from_db()
    audit_record(tenant=tenant, actor=_actor(agent, actor), action="time_entry.created", obj=entry,
                 summary=f"{ticket.pk}: {kind} {minutes} min → {entry.pool} {entry.billed_minutes} min",
                 data=_entry_data(entry))
    _event(tenant.pk, "time_entry.created", time_entry=entry)
    return entry


def _event(tenant_id: int, event_type: str, *, time_entry: TimeEntry | None = None,
           package: Package | None = None) -> None:
    """A billing webhook event, written in the change's transaction with the API's representation."""
    endpoints = webhooks.subscribers(tenant_id, event_type)
    if not endpoints:
        return
    from billing.api import PackageSerializer, TimeEntrySerializer

    if time_entry is not None:
        data = {"time_entry": dict(TimeEntrySerializer(time_entry).data)}
    else:
        data = {"package": dict(PackageSerializer(package).data)}
    webhooks.emit(tenant_id, event_type, data, endpoints=endpoints)


_EDITABLE = {"kind", "started_at", "minutes", "note", "emergency", "agent", "after_hours_override",
             "after_hours_reason"}


@transaction.atomic
def time_entry_update(*, tenant: Tenant, entry: TimeEntry, actor: User | None = None, **changes: Any) -> TimeEntry:
    """Correct an entry; its old and new months and the package ledger are recomputed."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    if entry.tenant_id != tenant.pk:
        raise ValidationError({"entry": _("Unknown time entry.")})
    organization = _lock_organization(tenant, entry.organization_id)
    entry = TimeEntry.objects.for_tenant(tenant).get(pk=entry.pk)
    before = _entry_data(entry)
    old_month = local_date(tenant, entry.started_at)
    _check_open_month(tenant, organization, old_month, "started_at")
    if "after_hours_override" in changes or "after_hours_reason" in changes:
        entry.after_hours_override, entry.after_hours_reason = _validated_override(
            changes.get("after_hours_override", entry.after_hours_override),
            changes.get("after_hours_reason", entry.after_hours_reason))
    if "kind" in changes:
        entry.kind = _validated_kind(changes["kind"])
    if "minutes" in changes:
        entry.minutes = _validated_minutes(changes["minutes"])
    if "started_at" in changes:
        entry.started_at = _validated_started_at(changes["started_at"])
        if plan_in_force(tenant=tenant, organization=organization, at=entry.started_at).terms is None:
            raise ValidationError({"started_at": _("The organization has no plan in force on that day.")})
        _check_open_month(tenant, organization, entry.started_at, "started_at")
    if "note" in changes:
        entry.note = (changes["note"] or "")[:300]
    if "emergency" in changes:
        entry.emergency = bool(changes["emergency"])
    if "agent" in changes:
        agent = changes["agent"]
        if agent is not None and agent.tenant_id != tenant.pk:
            raise ValidationError({"agent": _("Choose a member of your own staff.")})
        entry.agent = agent
    entry.save()
    pools_recompute(tenant=tenant, organization=organization,
                    months=[old_month, local_date(tenant, entry.started_at)])
    entry.refresh_from_db()
    audit_record(tenant=tenant, actor=actor, action="time_entry.updated", obj=entry,
                 summary=f"{entry.ticket_id}: {entry.kind} {entry.minutes} min",
                 data={"before": before, "after": _entry_data(entry)})
    return entry


@transaction.atomic
def time_entry_delete(*, tenant: Tenant, entry: TimeEntry, actor: User | None = None) -> None:
    if entry.tenant_id != tenant.pk:
        raise ValidationError({"entry": _("Unknown time entry.")})
    organization = _lock_organization(tenant, entry.organization_id)
    entry = TimeEntry.objects.for_tenant(tenant).get(pk=entry.pk)
    month = local_date(tenant, entry.started_at)
    _check_open_month(tenant, organization, month, "started_at")
    audit_record(tenant=tenant, actor=actor, action="time_entry.deleted", obj=entry,
                 summary=f"{entry.ticket_id}: {entry.kind} {entry.minutes} min", data=_entry_data(entry))
    entry.delete()
    pools_recompute(tenant=tenant, organization=organization, months=[month])


# --- packages ------------------------------------------------------------------------------------


@transaction.atomic
def package_purchase(*, tenant: Tenant, organization: Organization, purchased_on: date, minutes: int | None = None,
                     price_net: Decimal | None = None, actor: User | None = None) -> Package:
    """Record a bought hour package (KJM PAKIET: 3 h valid 3 months, price from the terms).

    Valid ``package_validity_months`` from purchase: bought 5 January, valid until 4 April. An
    outstanding debt is taken from it first (RULES 6.2 decision).
    """
    if organization.tenant_id != tenant.pk:
        raise ValidationError({"organization": _("Unknown organization.")})
    if not isinstance(purchased_on, date) or isinstance(purchased_on, datetime):
        raise ValidationError({"purchased_on": _("Give the purchase date.")})
    organization = _lock_organization(tenant, organization.pk)
    terms = plan_in_force(tenant=tenant, organization=organization, at=purchased_on).terms
    if terms is None or not terms.package_minutes or not terms.package_validity_months:
        raise ValidationError({"organization": _("The organization's plan has no hour packages.")})
    if minutes is None:
        minutes = terms.package_minutes
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise ValidationError({"minutes": _("Give the package size as a positive number of minutes.")})
    if price_net is None:
        price_net = terms.price_net if terms.price_net is not None else ZERO
    if not isinstance(price_net, Decimal) or not price_net.is_finite() or price_net < 0:
        raise ValidationError({"price_net": _("Give the price as a non-negative amount.")})
    package = Package(tenant=tenant, organization=organization, minutes=minutes, minutes_left=minutes,
                      purchased_on=purchased_on,
                      valid_until=add_months(purchased_on, terms.package_validity_months) - timedelta(days=1),
                      price_net=price_net.quantize(Decimal("0.01")))
    _check_open_month(tenant, organization, purchased_on, "purchased_on")
    package.save()
    _recompute_packages(tenant=tenant, organization=organization)
    package.refresh_from_db()
    released = _release_waiting_tickets(tenant=tenant, organization=organization, actor=actor)
    audit_record(tenant=tenant, actor=actor, action="package.purchased", obj=package,
                 summary=f"{organization.name}: {minutes} min, {package.price_net} net, until {package.valid_until}",
                 data={"minutes": minutes, "price_net": str(package.price_net),
                       "valid_until": package.valid_until.isoformat(), "debt_minutes": package.debt_minutes,
                       "released_tickets": released})
    return package


def _release_waiting_tickets(*, tenant: Tenant, organization: Organization, actor: User | None) -> list[int]:
    """RULES 6.7: a valid package releases the organization's tickets waiting for one, oldest first.

    Each goes back to *new* through the ticket service (its status event is what the SLA clock
    listens to); returns their ids in the order released.
    """
    from billing.selectors import organization_has_valid_package
    from tickets.models import Ticket
    from tickets.services import ticket_set_status

    if not organization_has_valid_package(tenant=tenant, organization=organization, at=timezone.now()):
        return []
    waiting = list(Ticket.objects.for_tenant(tenant)
                   .filter(organization=organization, status=Ticket.Status.WAITING_PACKAGE)
                   .order_by("received_at", "id"))
    for ticket in waiting:
        ticket_set_status(tenant=tenant, ticket=ticket, status=Ticket.Status.NEW, actor=actor)
    return [ticket.pk for ticket in waiting]


@transaction.atomic
def package_expire_due(*, today: date, tenant: Tenant | None = None) -> list[Package]:
    """Mark active packages past their end date as expired; returns them (idempotent)."""
    queryset = Package.objects.select_for_update().filter(status=Package.Status.ACTIVE, valid_until__lt=today)
    if tenant is not None:
        queryset = queryset.filter(tenant=tenant)
    expired = list(queryset)
    for package in expired:
        package.status = Package.Status.EXPIRED
        package.save(update_fields=["status", "updated_at"])
        audit_record(tenant=package.tenant, actor=None, action="package.expired", obj=package,
                     summary=f"{package.organization_id}: {package.minutes_left} min unused",
                     data={"minutes_left": package.minutes_left, "valid_until": package.valid_until.isoformat()})
    return expired


# Notice kinds: the field that records each, once.
PACKAGE_EVENTS = {"expiring": "package.low", "expired": "package.expired", "exhausted": "package.exhausted"}
NOTICE_FIELDS = {"expiring": "notified_expiring_at", "expired": "notified_expired_at",
                 "exhausted": "notified_exhausted_at"}
EXPIRY_NOTICE_DAYS = 7


def package_notices_due(*, today: date) -> list[tuple[str, int]]:
    """(notice kind, package id) of every notice not sent yet."""
    due: list[tuple[str, int]] = []
    base = Package.objects.all()
    due += [("expiring", pk) for pk in base.filter(
        status=Package.Status.ACTIVE, notified_expiring_at=None, minutes_left__gt=0,
        valid_until__gte=today, valid_until__lte=today + timedelta(days=EXPIRY_NOTICE_DAYS),
    ).values_list("pk", flat=True)]
    due += [("expired", pk) for pk in base.filter(
        status=Package.Status.EXPIRED, notified_expired_at=None).values_list("pk", flat=True)]
    due += [("exhausted", pk) for pk in base.filter(
        status=Package.Status.EXHAUSTED, notified_exhausted_at=None).values_list("pk", flat=True)]
    return due


def package_notice_send(*, kind: str, package_id: int, send) -> bool:
    """Claim the notice and send it in one transaction: exactly one worker sends each notice.

    ``send(package, kind)`` does the sending; if it raises, the claim is rolled back and a retry
    sends it again.
    """
    field = NOTICE_FIELDS[kind]
    with transaction.atomic():
        claimed = Package.objects.filter(pk=package_id, **{f"{field}__isnull": True}).update(
            **{field: timezone.now()})
        if not claimed:
            return False
        package = Package.objects.select_related("tenant", "organization").get(pk=package_id)
        send(package, kind)
        # "expiring" (7 days before the end) is the webhook's package.low: the package is running out.
        # "exhausted" was emitted when the minutes ran out (``_recompute_packages``), not by this notice.
        if kind != "exhausted":
            _event(package.tenant_id, PACKAGE_EVENTS[kind], package=package)
        audit_record(tenant=package.tenant, actor=None, action=f"package.notice_{kind}", obj=package,
                     summary=f"{package.organization.name}: {kind}")
    return True


def months_with_entries(*, tenant: Tenant, organization: Organization) -> list[date]:
    return sorted({month_start(local_date(tenant, started_at)) for started_at in (
        TimeEntry.objects.for_tenant(tenant).filter(organization=organization).values_list("started_at", flat=True))})
