"""Reads of pools and packages that other apps need (the SLA policy's inputs among them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from billing.models import Package, Statement, TimeEntry
from core.models import Organization, Tenant
from plans.terms import Terms
from plans.dates import first_of_next_month


def _local_date(tenant: Tenant, at: datetime):
    return at.astimezone(ZoneInfo(tenant.time_zone)).date()


def email_guarantee_used_minutes(*, tenant: Tenant, organization: Organization | None, at: datetime) -> int:
    """Minutes of guaranteed e-mail support on non-bug tickets in the calendar month of ``at``."""
    if organization is None:
        return 0
    day = _local_date(tenant, at)
    start = day.replace(day=1)
    zone = ZoneInfo(tenant.time_zone)
    begin = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(first_of_next_month(start), datetime.min.time(), tzinfo=zone)
    used = (TimeEntry.objects.for_tenant(tenant)
            .filter(organization=organization, pool=TimeEntry.Pool.EMAIL_LIMIT, counts_as_bug=False,
                    started_at__gte=begin, started_at__lt=end)
            .aggregate(total=Sum("billed_minutes"))["total"])
    return used or 0


def organization_has_valid_package(*, tenant: Tenant, organization: Organization | None, at: datetime) -> bool:
    """A package with minutes left and within its validity on the day of ``at`` (by its dates, not its
    status: the status is relative to today, and ``at`` may be a day in the past)."""
    if organization is None:
        return False
    day = _local_date(tenant, at)
    return (Package.objects.for_tenant(tenant)
            .filter(organization=organization, minutes_left__gt=0, purchased_on__lte=day, valid_until__gte=day)
            .exists())


def billed_from(*, tenant: Tenant, organization: Organization, month: date) -> bool:
    """True when a statement of ``month`` or a later month was issued: those months are billed."""
    return Statement.objects.for_tenant(tenant).filter(organization=organization,
                                                       month__gte=month.replace(day=1)).exists()


# --- usage of an organization in a month (API: organizations/{id}/usage?month=YYYY-MM) ------------

@dataclass(frozen=True)
class PackageUsage:
    id: int
    minutes: int
    minutes_left: int
    debt_minutes: int
    purchased_on: date
    valid_until: date
    status: str


@dataclass(frozen=True)
class UsageAlert:
    code: str  # allowance_80, allowance_100, email_limit_80, email_limit_100, package_80, package_100
    message: str
    package_id: int | None = None


@dataclass(frozen=True)
class Usage:
    month: date
    plan_code: str | None
    included_minutes: int
    included_unlimited: bool
    used_minutes: int
    remaining_minutes: int
    overage_minutes: int
    overage_net: Decimal
    email_limit_minutes: int | None
    email_used_minutes: int
    package_debt_minutes: int
    packages: list[PackageUsage] = field(default_factory=list)
    alerts: list[UsageAlert] = field(default_factory=list)


def _percent_alert(kind: str, used: int, limit: int | None, message_80: str, message_100: str,
                   package_id: int | None = None) -> UsageAlert | None:
    if not limit:
        return None
    if used >= limit:
        return UsageAlert(f"{kind}_100", message_100, package_id)
    if used * 100 >= limit * 80:
        return UsageAlert(f"{kind}_80", message_80, package_id)
    return None


def organization_usage(*, tenant: Tenant, organization: Organization, month: date, in_force=None) -> Usage:
    """The month's allowance, overage, e-mail limit and packages of an organization.

    ``included/used/remaining_minutes`` are the monthly allowance (seed 000 START/STANDARD);
    packages (KJM PAKIET) are listed with their balances: those valid at some time in the month and
    every one still active. Alerts fire at 80 % and 100 % of the allowance, the e-mail limit and
    each package valid in the month.

    ``in_force``: the caller's ``plan_in_force`` for this organization on another day, used instead of
    asking again when it also holds on the month's first day (``plans.selectors.holds_on``).
    """
    from billing.services import month_bounds
    from plans.dates import last_of_month
    from plans.selectors import holds_on, plan_in_force

    first = month.replace(day=1)
    last = last_of_month(first)
    begin, end = month_bounds(tenant, first)
    if not holds_on(in_force, first):
        in_force = plan_in_force(tenant=tenant, organization=organization, at=first)
    terms = in_force.terms
    billable = billable_groups(tenant=tenant, organization=organization, month=first, terms=terms)
    # One pass over the organization's entries: the month's sums and the package debt of all time.
    in_month = Q(started_at__gte=begin, started_at__lt=end)
    sums = TimeEntry.objects.for_tenant(tenant).filter(organization=organization).aggregate(
        allowance=Sum("deducted_minutes", filter=in_month & Q(pool=TimeEntry.Pool.ALLOWANCE)),
        email=Sum("billed_minutes", filter=in_month & Q(pool=TimeEntry.Pool.EMAIL_LIMIT, counts_as_bug=False)),
        debt=Sum("debt_minutes", filter=Q(pool=TimeEntry.Pool.PACKAGE)),
    )
    included = terms.included_minutes if terms else 0
    used = sums["allowance"] or 0
    email_limit = terms.email_limit_minutes if terms else None
    email_used = sums["email"] or 0

    # All the organization's packages in one read: the debt they paid off counts from every one.
    every_package = list(Package.objects.for_tenant(tenant).filter(organization=organization)
                         .order_by("purchased_on", "id"))
    packages = [p for p in every_package
                if (p.purchased_on <= last and p.valid_until >= first) or p.status == Package.Status.ACTIVE]
    outstanding_debt = (sums["debt"] or 0) - sum(p.debt_minutes for p in every_package)

    alerts: list[UsageAlert] = []
    if terms and not terms.included_unlimited:
        alert = _percent_alert("allowance", used, included,
                               _("80 % of this month's included hours are used."),
                               _("This month's included hours are used up; further work is billed."))
        if alert:
            alerts.append(alert)
    alert = _percent_alert("email_limit", email_used, email_limit,
                           _("80 % of this month's guaranteed e-mail support is used."),
                           _("This month's guaranteed e-mail support is used up; non-bug tickets have no "
                             "guaranteed reaction time."))
    if alert:
        alerts.append(alert)
    for package in packages:
        if package.purchased_on > last or package.valid_until < first:
            continue
        alert = _percent_alert("package", package.minutes - package.minutes_left, package.minutes,
                               _("80 % of an hour package is used."), _("An hour package is used up."),
                               package_id=package.pk)
        if alert:
            alerts.append(alert)
    return Usage(
        month=first, plan_code=terms.plan_code if terms else None, included_minutes=included,
        included_unlimited=bool(terms and terms.included_unlimited), used_minutes=used,
        remaining_minutes=max(0, included - used), overage_minutes=sum(g.minutes for g in billable),
        overage_net=sum((g.net for g in billable), Decimal("0.00")), email_limit_minutes=email_limit,
        email_used_minutes=email_used, package_debt_minutes=max(0, outstanding_debt),
        packages=[PackageUsage(id=p.pk, minutes=p.minutes, minutes_left=p.minutes_left, debt_minutes=p.debt_minutes,
                               purchased_on=p.purchased_on, valid_until=p.valid_until, status=p.status)
                  for p in packages],
        alerts=alerts,
    )


@dataclass(frozen=True)
class BillableGroup:
    """Billable minutes of one month sharing (after hours, kind, rate): one statement line.

    The one place where billable time becomes money (docs/billing.md, "Rounding"): the group's
    minutes (rounded as a total when the plan does not round per intervention) × rate ÷ 60,
    rounded once, half up, to the grosz. The statement's time lines and the usage's
    ``overage_net`` are both these groups, so they agree to the grosz. ``rate`` None: work the plan
    has no price for (out of scope, to be quoted): listed with its hours at 0.00.
    """

    after_hours: bool
    kind: str
    rate: Decimal | None
    minutes: int
    net: Decimal
    quote_id: int | None = None  # work under an accepted quote (its rate, or within its fixed price)


def billable_groups(*, tenant: Tenant, organization: Organization, month: date,
                    terms: Terms | None | bool = False) -> list[BillableGroup]:
    """The month's groups; ``terms``: the terms in force on the 1st, when the caller has them."""
    from billing.rounding import amount_net, round_total
    from billing.services import month_bounds, rounding_rule
    from plans.selectors import plan_in_force

    first = month.replace(day=1)
    begin, end = month_bounds(tenant, first)
    groups: dict[tuple[bool, str, Decimal | None, int | None], int] = {}
    entries = (TimeEntry.objects.for_tenant(tenant)
               .filter(organization=organization, started_at__gte=begin, started_at__lt=end, overage_minutes__gt=0)
               .order_by("started_at", "id")
               .values_list("after_hours", "kind", "rate_net", "overage_minutes", "quote_id"))
    if terms is False:
        terms = plan_in_force(tenant=tenant, organization=organization, at=first).terms
    # After hours is its own line where it has its own price (KJM OPIEKA's price list rate).
    surcharge_rate = terms.after_hours_rate_net if terms is not None else None
    for after_hours, kind, rate, minutes, quote_id in entries:
        key = (bool(after_hours) and surcharge_rate is not None and rate == surcharge_rate and quote_id is None,
               kind, rate, quote_id)
        groups[key] = groups.get(key, 0) + minutes
    result = []
    for (after_hours, kind, rate, quote_id), minutes in sorted(
            groups.items(), key=lambda g: (g[0][3] or 0, g[0][0], g[0][1], g[0][2] is None, g[0][2] or 0)):
        if terms is not None and not terms.rounding_per_intervention:
            minutes = round_total(minutes, kind, rounding_rule(terms))
        net = amount_net(minutes, rate) if rate is not None else Decimal("0.00")
        result.append(BillableGroup(after_hours, kind, rate, minutes, net, quote_id))
    return result


def time_entries_for_month(*, tenant: Tenant, month: date, organization: Organization | None = None):
    """Entries of a month with everything the accounting export prints (no N+1)."""
    from billing.services import month_bounds

    begin, end = month_bounds(tenant, month)
    queryset = (TimeEntry.objects.for_tenant(tenant).filter(started_at__gte=begin, started_at__lt=end)
                .select_related("organization", "ticket__tenant", "agent__user", "package")
                .order_by("organization__name", "started_at", "id"))
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    return queryset


def statements_for_tenant(*, tenant: Tenant):
    return Statement.objects.for_tenant(tenant).select_related("organization").order_by("-month", "organization__name")


def time_entries_for_ticket(*, tenant: Tenant, ticket) -> list[TimeEntry]:
    """Work logged on one ticket, oldest first, with the agent (the ticket page's time card)."""
    return list(TimeEntry.objects.for_tenant(tenant).filter(ticket=ticket)
                .select_related("agent__user").order_by("started_at", "id"))
