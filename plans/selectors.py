"""Reads of plans, terms and subscriptions. Every selector takes the tenant."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet

from core.models import Organization, Tenant
from plans.models import (AddonKind, Calendar, Plan, PlanTerms, Subscription, SubscriptionAddon, SubscriptionChange,
                          addons_on, overrides_on)
from plans.terms import OVERRIDABLE, Terms, terms_from_values

_TERMS_COPY_EXCLUDE = {"id", "tenant", "plan", "created_at", "created_by", "change_note",
                       "service_calendar", "critical_calendar"}


def calendars_for_tenant(tenant: Tenant) -> QuerySet[Calendar]:
    return Calendar.objects.for_tenant(tenant).prefetch_related("windows", "dates")


def plans_for_tenant(tenant: Tenant) -> QuerySet[Plan]:
    return Plan.objects.for_tenant(tenant).order_by("position", "name")


def plan_terms_history(*, tenant: Tenant, plan: Plan) -> QuerySet[PlanTerms]:
    return (PlanTerms.objects.for_tenant(tenant).filter(plan=plan)
            .select_related("created_by", "service_calendar", "critical_calendar")
            .order_by("-effective_from", "-version"))


def plan_terms_in_force(*, tenant: Tenant, plan: Plan, on: date) -> PlanTerms | None:
    return (PlanTerms.objects.for_tenant(tenant).filter(plan=plan, effective_from__lte=on)
            .select_related("plan", "service_calendar", "critical_calendar")
            .prefetch_related("service_calendar__windows", "service_calendar__dates",
                              "critical_calendar__windows", "critical_calendar__dates")
            .order_by("-effective_from", "-version").first())


def plan_terms_latest(*, tenant: Tenant, plan: Plan) -> PlanTerms | None:
    return PlanTerms.objects.for_tenant(tenant).filter(plan=plan).order_by("-version").first()


def terms_values(terms: PlanTerms) -> dict:
    """A PlanTerms row as plain values, calendars as specs."""
    values = {f.name: getattr(terms, f.name) for f in PlanTerms._meta.concrete_fields
              if f.name not in _TERMS_COPY_EXCLUDE}
    values["service_calendar"] = terms.service_calendar.to_spec()
    values["critical_calendar"] = terms.critical_calendar.to_spec() if terms.critical_calendar_id else None
    values["plan_code"] = terms.plan.code
    values["plan_name"] = terms.plan.name
    return values


def subscription_in_force(*, tenant: Tenant, organization: Organization, on: date) -> Subscription | None:
    return (Subscription.objects.for_tenant(tenant)
            .filter(organization=organization, starts_on__lte=on)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
            .select_related("plan")
            .prefetch_related(Prefetch("addons", queryset=SubscriptionAddon.objects.select_related("calendar")
                                       .prefetch_related("calendar__windows", "calendar__dates")),
                              Prefetch("changes", queryset=SubscriptionChange.objects.order_by("effective_from")))
            .order_by("-starts_on").first())


def subscriptions_for_organization(*, tenant: Tenant, organization: Organization) -> QuerySet[Subscription]:
    return (Subscription.objects.for_tenant(tenant).filter(organization=organization)
            .select_related("plan").prefetch_related("addons").order_by("-starts_on"))


@dataclass(frozen=True)
class PlanInForce:
    plan: Plan | None
    subscription: Subscription | None
    terms: Terms | None
    terms_row_id: int | None = None
    # The day asked for, and the first day from which the same subscription, terms row and
    # overrides were in force up to it (``None``: not known, e.g. the default plan): an answer for
    # any day between the two is this one, without asking again.
    on: date | None = None
    since: date | None = None


def plan_in_force(*, tenant: Tenant, organization: Organization | None, at: datetime | date) -> PlanInForce:
    """The plan, subscription and effective terms of an organization at a moment.

    Without a subscription in force the tenant's default plan applies (COMMUNITY for wysylki).
    The day is taken in the tenant's zone: a ticket at 00:30 on the 1st belongs to the new month.
    """
    on = at.astimezone(ZoneInfo(tenant.time_zone)).date() if isinstance(at, datetime) else at
    subscription = (subscription_in_force(tenant=tenant, organization=organization, on=on)
                    if organization is not None else None)
    plan = subscription.plan if subscription else _default_plan(tenant)
    if plan is None:
        return PlanInForce(plan=None, subscription=None, terms=None)
    row = plan_terms_in_force(tenant=tenant, plan=plan, on=on)
    if row is None:
        return PlanInForce(plan=plan, subscription=subscription, terms=None)
    values = terms_values(row)
    since = None
    if subscription is not None:
        values = apply_subscription(values, subscription, tenant=tenant, on=on)
        # Subscriptions of an organization never overlap (``subscription_create`` ends the one
        # before), so the one in force today was the one in force on every day since it started.
        changed = [c.effective_from for c in subscription.changes.all() if c.effective_from <= on]
        since = max([subscription.starts_on, row.effective_from, *changed])
    return PlanInForce(plan=plan, subscription=subscription, terms=terms_from_values(values), terms_row_id=row.pk,
                       on=on, since=since)


def plan_in_force_for_page(*, tenant: Tenant, organization: Organization | None, at: datetime) -> PlanInForce:
    """``plan_in_force`` for a page that shows it: the answer is cached between requests.

    The terms of an organization on a day change only when a plan, its terms, a calendar or a
    subscription does; every save or delete of those renews the tenant's page version
    (``core.page_cache``, ``PlansConfig.ready``), so a cached answer is never older than the rows it
    came from. Services that compute deadlines or money keep reading the rows (``plan_in_force``).
    """
    from core import page_cache

    on = at.astimezone(ZoneInfo(tenant.time_zone)).date()
    return page_cache.cached(
        tenant.pk, ("plan-in-force", organization.pk if organization is not None else "-", on.isoformat()),
        lambda: plan_in_force(tenant=tenant, organization=organization, at=on))


def holds_on(in_force: PlanInForce | None, day: date) -> bool:
    """Whether ``in_force`` (asked for another day) is also the answer for ``day``."""
    return (in_force is not None and in_force.since is not None and in_force.on is not None
            and in_force.since <= day <= in_force.on)


def _default_plan(tenant: Tenant) -> Plan | None:
    if tenant.default_plan_id is None:
        return None
    return Plan.objects.for_tenant(tenant).filter(pk=tenant.default_plan_id).first()


def apply_subscription(values: dict, subscription: Subscription, *, tenant: Tenant, on: date | None = None) -> dict:
    """Per-customer overrides in force on ``on`` (dated changes), then add-ons, on the plan's terms values."""
    values = dict(values)
    in_force = (overrides_on(subscription, list(subscription.changes.all()), on) if on is not None
                else subscription.overrides or {})
    overrides = {k: v for k, v in in_force.items() if k in OVERRIDABLE}
    calendar_codes = {k: overrides.pop(k) for k in ("service_calendar", "critical_calendar") if k in overrides}
    # Units per kind of work override the plan's kind by kind; the plan's other kinds stay.
    units = overrides.pop("rounding_units", None) or {}
    values.update(coerce_overrides(overrides))
    if units:
        values["rounding_units"] = {**(values.get("rounding_units") or {}), **units}
    for name, code in calendar_codes.items():
        calendar = calendars_for_tenant(tenant).filter(code=code).first() if code else None
        values[name] = calendar.to_spec() if calendar else None
    addons = addons_on(subscription.addons.all(), on)
    for addon in addons:
        if addon.kind == AddonKind.EXTENDED_HOURS:
            values["service_calendar"] = addon.calendar.to_spec()
        elif addon.kind == AddonKind.NIGHT:
            values["critical_calendar"] = addon.calendar.to_spec()
        elif addon.kind == AddonKind.NONSTOP:
            values["service_calendar"] = addon.calendar.to_spec()
            values["critical_calendar"] = addon.calendar.to_spec()
        elif addon.kind == AddonKind.EXTRA_PRODUCT and values.get("products"):
            values["products"] = [*values["products"], addon.product]
    values["hours_addon"] = any(a.kind != AddonKind.EXTRA_PRODUCT for a in addons)
    values["addons"] = tuple(a.kind for a in addons)
    return values


def coerce_overrides(overrides: dict) -> dict:
    """JSON override values to the Python types of the PlanTerms fields (raises ValidationError)."""
    result = {}
    for name, raw in overrides.items():
        model_field = PlanTerms._meta.get_field(name)
        result[name] = model_field.to_python(raw) if raw is not None else None
    return result
