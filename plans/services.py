"""Writes of plans, terms, calendars and subscriptions, with the contract rules of RULES 6.3."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.models import Organization, Tenant, User
from core.services import audit_record
from plans.dates import add_months, first_of_next_month, last_of_month
from plans.models import (
    WEEKDAY_KEYS,
    AddonKind,
    BillingMode,
    Calendar,
    CalendarDate,
    CalendarWindow,
    Plan,
    PlanTerms,
    Product,
    Subscription,
    SubscriptionAddon,
    SubscriptionChange,
    hhmm_validator,
)
from plans.selectors import plan_in_force, plan_terms_in_force, plan_terms_latest
from plans.terms import OVERRIDABLE
from sla.calendar import BusinessCalendar, InvalidCalendarSpec

_VERSION_FIELDS_SKIP = {"id", "tenant", "plan", "version", "effective_from", "created_at", "created_by",
                        "change_note"}


def _fmt(day: date) -> str:
    return date_format(day, "DATE_FORMAT")


# --- calendars --------------------------------------------------------------------------------


@transaction.atomic
def calendar_import_spec(*, tenant: Tenant, code: str, name: str, spec: dict,
                         actor: User | None = None) -> Calendar:
    """Create or replace a calendar from its JSON spec (the format ``sla.calendar`` reads)."""
    calendar, normalized = _calendar_replace(tenant=tenant, code=code, name=name, spec=spec)
    audit_record(tenant=tenant, actor=actor, action="calendar.imported", obj=calendar, summary=name,
                 data={"spec": normalized})
    return calendar


@transaction.atomic
def calendar_update(*, tenant: Tenant, calendar: Calendar, name: str, spec: dict,
                    date_notes: dict[str, str] | None = None, actor: User | None = None) -> Calendar:
    """Replace a calendar's name, time zone, holidays, weekly windows and extra dates; audited with
    the calendar before and after. Tickets keep the deadlines they already have."""
    if calendar.tenant_id != tenant.pk:
        raise ValidationError({"calendar": _("Unknown calendar.")})
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the calendar a name.")})
    before = {"name": calendar.name, **calendar.to_spec()}
    calendar, normalized = _calendar_replace(tenant=tenant, code=calendar.code, name=name, spec=spec,
                                             date_notes=date_notes)
    audit_record(tenant=tenant, actor=actor, action="calendar.changed", obj=calendar, summary=name,
                 data={"before": before, "after": {"name": name, **normalized}})
    return calendar


def _calendar_replace(*, tenant: Tenant, code: str, name: str, spec: dict,
                      date_notes: dict[str, str] | None = None) -> tuple[Calendar, dict]:
    try:
        normalized = BusinessCalendar.from_spec(spec).to_spec()
    except InvalidCalendarSpec as exc:
        raise ValidationError({"spec": str(exc)}) from exc
    # The business core accepts seconds (09:00:30); calendar rows store HH:MM, so refuse them here
    # rather than store a value the admin form rejects (and PostgreSQL truncates to an error).
    for day, windows in normalized["windows"].items():
        for start, end in windows:
            for value in (start, end):
                try:
                    hhmm_validator(value)
                except ValidationError as exc:
                    raise ValidationError({"spec": _("windows[%(day)s]: %(value)s is not a time in whole "
                                                     "minutes (HH:MM).") % {"day": day, "value": value}}) from exc
    calendar, _created = Calendar.objects.update_or_create(
        tenant=tenant, code=code,
        defaults={"name": name, "timezone": normalized["timezone"],
                  "holidays_country": normalized.get("holidays") or ""})
    calendar.windows.all().delete()
    calendar.dates.all().delete()
    CalendarWindow.objects.bulk_create(
        CalendarWindow(calendar=calendar, weekday=WEEKDAY_KEYS.index(day), start=start, end=end)
        for day, windows in normalized["windows"].items() for start, end in windows)
    notes = date_notes or {}
    CalendarDate.objects.bulk_create(
        [CalendarDate(calendar=calendar, date=date.fromisoformat(d), kind=kind, note=notes.get(d, "")[:200])
         for key, kind in (("closed_dates", CalendarDate.Kind.CLOSED), ("open_dates", CalendarDate.Kind.OPEN))
         for d in normalized.get(key, [])])
    return calendar, normalized


def calendar_validate(calendar: Calendar) -> None:
    """Raise ValidationError when the stored rows do not make a valid calendar."""
    try:
        BusinessCalendar.from_spec(calendar.to_spec())
    except InvalidCalendarSpec as exc:
        raise ValidationError(str(exc)) from exc


# --- plans and versioned terms ----------------------------------------------------------------


def _check_calendars(tenant: Tenant, values: dict[str, Any]) -> None:
    for name in ("service_calendar", "critical_calendar"):
        calendar = values.get(name)
        if calendar is not None and calendar.tenant_id != tenant.pk:
            raise ValidationError({name: _("Unknown calendar.")})


@transaction.atomic
def plan_create(*, tenant: Tenant, code: str, name: str, terms: dict[str, Any], effective_from: date,
                description: str = "", position: int = 0, actor: User | None = None) -> Plan:
    plan = Plan(tenant=tenant, code=code, name=name, description=description, position=position)
    plan.full_clean()
    plan.save()
    _check_calendars(tenant, terms)
    version = PlanTerms(tenant=tenant, plan=plan, version=1, effective_from=effective_from, created_by=actor,
                        change_note=_("First version"), **terms)
    version.full_clean()
    version.save()
    audit_record(tenant=tenant, actor=actor, action="plan.created", obj=plan, summary=name)
    return plan


@transaction.atomic
def plan_terms_update(*, tenant: Tenant, plan: Plan, effective_from: date, changes: dict[str, Any],
                      actor: User | None = None, note: str = "") -> PlanTerms:
    """Record changed terms as a new version from ``effective_from``; earlier versions stay as they were.

    Tickets keep the deadline fixed at their receipt; statements of past months keep their prices.
    """
    if plan.tenant_id != tenant.pk:
        raise ValidationError({"plan": _("Unknown plan.")})
    # Lock the plan so two admins saving at once get versions n+1 and n+2, not a unique-key error.
    Plan.objects.select_for_update().filter(pk=plan.pk).first()
    base = plan_terms_latest(tenant=tenant, plan=plan)
    if base is None:
        raise ValidationError({"plan": _("This plan has no terms yet.")})
    unknown = set(changes) - {f.name for f in PlanTerms._meta.concrete_fields} | (set(changes) & _VERSION_FIELDS_SKIP)
    if unknown:
        raise ValidationError({name: _("Not a plan term.") for name in sorted(unknown)})
    if effective_from < base.effective_from:
        # The new version copies the latest one: in force earlier, it would carry that version's
        # terms back in time, and be overridden by it again from its date on.
        raise ValidationError({"effective_from": _(
            "A new version cannot take effect before the latest one (version %(v)s from %(day)s).")
            % {"v": base.version, "day": _fmt(base.effective_from)}})
    _check_calendars(tenant, changes)
    changes = _typed_changes(changes)
    values = {f.name: getattr(base, f.name) for f in PlanTerms._meta.concrete_fields
              if f.name not in _VERSION_FIELDS_SKIP}
    values.update(changes)
    diff = {k: [str(getattr(base, k)), str(v)] for k, v in changes.items() if getattr(base, k) != v}
    if not diff:
        raise ValidationError(_("Nothing changed: the terms are the same as version %(v)s.") % {"v": base.version})
    version = PlanTerms(tenant=tenant, plan=plan, version=base.version + 1, effective_from=effective_from,
                        created_by=actor, change_note=note, **values)
    version.full_clean()
    version.save()
    audit_record(tenant=tenant, actor=actor, action="plan_terms.changed", obj=version,
                 summary=f"{plan.code} v{version.version} od {effective_from.isoformat()}",
                 data={"changes": diff, "effective_from": effective_from.isoformat()})
    return version


def _typed_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Changes as the fields' Python values, so "129.00" equals Decimal("129.00") (no empty versions)."""
    typed = {}
    for name, value in changes.items():
        field = PlanTerms._meta.get_field(name)
        if field.is_relation or value is None:
            typed[name] = value
            continue
        try:
            typed[name] = field.to_python(value)
        except ValidationError as exc:
            raise ValidationError({name: exc.messages}) from exc
    return typed


# --- subscriptions ----------------------------------------------------------------------------


def validate_overrides(overrides: dict[str, Any], *, tenant: Tenant) -> None:
    """Per-customer terms: known names, values of the field's type, choices and limits, and
    calendars given by the code of one of the tenant's own calendars."""
    if not isinstance(overrides, dict):
        raise ValidationError({"overrides": _("Give the per-customer terms as an object.")})
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise ValidationError({"overrides": _("These terms cannot be set per customer: %s") % ", ".join(unknown)})
    errors: list[str] = []
    coerced: dict[str, Any] = {}
    for name, raw in overrides.items():
        field = PlanTerms._meta.get_field(name)
        if raw is None:
            if not field.null:
                errors.append(_("%s cannot be empty.") % name)
            continue
        if field.is_relation:
            if not isinstance(raw, str) or not Calendar.objects.for_tenant(tenant).filter(code=raw).exists():
                errors.append(_("%(name)s: there is no calendar “%(code)s”.") % {"name": name, "code": raw})
            continue
        try:
            value = field.to_python(raw)
            field.validate(value, None)
            field.run_validators(value)
        except ValidationError as exc:
            errors.extend(f"{name}: {m}" for m in exc.messages)
        else:
            coerced[name] = value
    if not errors:
        # List-valued terms (channels, kinds of work, products) follow the rules of the plan's own terms.
        try:
            PlanTerms(**coerced).clean()
        except ValidationError as exc:
            errors.extend(f"{name}: {m}" for name, messages in exc.message_dict.items() if name in coerced
                          for m in messages)
    if errors:
        raise ValidationError({"overrides": errors})


def _minimum_term_end(subscription: Subscription, months: int) -> date | None:
    """Last day the customer is bound to (a 3-month term from 1 Jan ends on 31 Mar)."""
    if not months:
        return None
    return add_months(subscription.starts_on, months) - timedelta(days=1)


def _terms_of(subscription: Subscription) -> PlanTerms:
    terms = plan_terms_in_force(tenant=subscription.tenant, plan=subscription.plan, on=subscription.starts_on)
    if terms is None:
        raise ValidationError({"plan": _("The plan has no terms in force on %s.") % _fmt(subscription.starts_on)})
    return terms


def _override(subscription: Subscription, name: str, default: Any) -> Any:
    return _override_value(subscription.overrides or {}, name, default)


@transaction.atomic
def subscription_create(*, tenant: Tenant, organization: Organization, plan: Plan, accepted_on: date,
                        starts_on: date | None = None, overrides: dict | None = None,
                        addons: Iterable[dict] = (), actor: User | None = None) -> Subscription:
    """Put an organization on a plan from a date.

    Rules (RULES 6.3): a change of plan — including leaving the default plan — takes effect on the
    1st of the next month; plans that start in the next month (KJM OPIEKA) always do; the current
    subscription ends the day before, which its minimum term must allow (an upgrade to a plan of at
    least the same price is always allowed: the customer keeps paying at least as much).
    """
    if organization.tenant_id != tenant.pk or plan.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown organization or plan."))
    overrides = overrides or {}
    validate_overrides(overrides, tenant=tenant)
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    terms = plan_terms_in_force(tenant=tenant, plan=plan, on=starts_on or accepted_on)
    if terms is None:
        raise ValidationError({"plan": _("This plan has no terms in force yet.")})
    current = plan_in_force(tenant=tenant, organization=organization, at=accepted_on)
    is_change = current.plan is not None and current.plan.pk != plan.pk
    # Fees are per calendar month, so only package plans may start mid-month.
    month_bound = terms.billing_mode != BillingMode.PACKAGE
    earliest = first_of_next_month(accepted_on) if (terms.starts_next_month or is_change) else accepted_on
    if starts_on is None:
        starts_on = earliest if (not month_bound or earliest.day == 1) else first_of_next_month(earliest)
    errors: dict[str, list[str]] = {}
    if starts_on < earliest:
        if terms.starts_next_month:
            reason = _("%(plan)s starts in the calendar month after the order is accepted") % {"plan": plan.name}
        elif is_change:
            reason = _("a change of plan takes effect on the 1st of the next month")
        else:
            reason = _("a subscription cannot start before the order is accepted")
        errors.setdefault("starts_on", []).append(
            _("Too early: %(reason)s — the earliest start is %(day)s.") % {"reason": reason, "day": _fmt(earliest)})
    elif month_bound and starts_on.day != 1:
        errors.setdefault("starts_on", []).append(
            _("Subscriptions start on the 1st of a month: choose %(day)s.")
            % {"day": _fmt(first_of_next_month(starts_on))})
    if errors:
        raise ValidationError(errors)

    overlapping = (Subscription.objects.for_tenant(tenant).filter(organization=organization)
                   .exclude(ends_on__lt=starts_on).order_by("starts_on"))
    for other in overlapping:
        if other.starts_on >= starts_on:
            raise ValidationError({"starts_on": _("The organization already has a subscription from %(day)s.")
                                   % {"day": _fmt(other.starts_on)}})
        new_end = starts_on - timedelta(days=1)
        other_terms = _terms_of(other)
        bound_until = _minimum_term_end(other, _override(other, "minimum_term_months", other_terms.minimum_term_months))
        new_price = _override_value(overrides, "price_net", terms.price_net)
        old_price = _override(other, "price_net", other_terms.price_net)
        upgrade = new_price is not None and old_price is not None and new_price >= old_price
        if bound_until and new_end < bound_until and not upgrade:
            raise ValidationError({"starts_on": _(
                "The current plan %(plan)s has a minimum term until %(day)s; a change to a cheaper plan "
                "can start on %(next)s at the earliest.") % {
                    "plan": other.plan.name, "day": _fmt(bound_until), "next": _fmt(bound_until + timedelta(days=1))}})
        other.ends_on = new_end
        other.save(update_fields=["ends_on", "updated_at"])
        audit_record(tenant=tenant, actor=actor, action="subscription.ended", obj=other,
                     summary=f"{organization.name}: {other.plan.code} → {plan.code}",
                     data={"ends_on": new_end.isoformat()})

    subscription = Subscription(tenant=tenant, organization=organization, plan=plan, starts_on=starts_on,
                                accepted_on=accepted_on, overrides=overrides)
    subscription.full_clean()
    subscription.save()
    for addon in addons:
        subscription_addon_add(tenant=tenant, subscription=subscription, actor=actor, **addon)
    audit_record(tenant=tenant, actor=actor, action="subscription.created", obj=subscription,
                 summary=f"{organization.name}: {plan.code} od {starts_on.isoformat()}",
                 data={"overrides": overrides, "starts_on": starts_on.isoformat()})
    return subscription


def _override_value(overrides: dict, name: str, default: Any) -> Any:
    value = overrides.get(name)
    return default if value is None else PlanTerms._meta.get_field(name).to_python(value)


@transaction.atomic
def subscription_addon_add(*, tenant: Tenant, subscription: Subscription, kind: str,
                           calendar: Calendar | None = None, product: str = "", price_net=None,
                           actor: User | None = None, effective_from: date | None = None) -> SubscriptionAddon:
    """An add-on from ``effective_from`` (default: the subscription's first month). Adding one to a
    running subscription is a dated change: ``subscription_change``."""
    addon = _addon_new(tenant, subscription, {"kind": kind, "calendar": calendar, "product": product,
                                              "price_net": price_net},
                       effective_from or subscription.starts_on.replace(day=1))
    audit_record(tenant=tenant, actor=actor, action="subscription.addon_added", obj=subscription,
                 summary=f"{subscription.organization.name}: {kind}",
                 data={"addon": _addon_data(addon), "effective_from": addon.effective_from.isoformat()})
    return addon


def _addon_new(tenant: Tenant, subscription: Subscription, item: dict, effective_from: date) -> SubscriptionAddon:
    kind, calendar = item.get("kind"), item.get("calendar")
    if kind not in AddonKind.values:
        raise ValidationError({"kind": _("Unknown add-on.")})
    if calendar is not None and calendar.tenant_id != tenant.pk:
        raise ValidationError({"calendar": _("Unknown calendar.")})
    price_net = item.get("price_net")
    addon = SubscriptionAddon(tenant=tenant, subscription=subscription, kind=kind, calendar=calendar,
                              product=item.get("product") or "", effective_from=effective_from,
                              **({"price_net": price_net} if price_net is not None else {}))
    addon.full_clean()
    addon.save()
    return addon


def _addon_data(addon: SubscriptionAddon) -> dict:
    return {"kind": addon.kind, "calendar": addon.calendar.code if addon.calendar_id else None,
            "product": addon.product, "price_net": str(addon.price_net)}


def subscription_earliest_end(*, subscription: Subscription, notice_given_on: date) -> date:
    """The earliest last day: after the notice period and the minimum term, at a month's end."""
    terms = _terms_of(subscription)
    notice_days = _override(subscription, "notice_days", terms.notice_days)
    candidates = [notice_given_on + timedelta(days=notice_days), subscription.starts_on]
    bound_until = _minimum_term_end(subscription, _override(subscription, "minimum_term_months",
                                                            terms.minimum_term_months))
    if bound_until:
        candidates.append(bound_until)
    earliest = max(candidates)
    if terms.billing_mode == BillingMode.PACKAGE:
        return earliest
    return last_of_month(earliest)


@transaction.atomic
def subscription_cancel(*, tenant: Tenant, subscription: Subscription, notice_given_on: date,
                        ends_on: date | None = None, actor: User | None = None) -> Subscription:
    """End a subscription: not before its minimum term, not before the notice period has run.

    Monthly subscriptions end on the last day of a month (they are billed by whole months).
    """
    if subscription.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown subscription."))
    terms = _terms_of(subscription)
    earliest = subscription_earliest_end(subscription=subscription, notice_given_on=notice_given_on)
    ends_on = ends_on or earliest
    errors = []
    notice_days = _override(subscription, "notice_days", terms.notice_days)
    notice_end = notice_given_on + timedelta(days=notice_days)
    if ends_on < notice_end:
        errors.append(_("The notice period is %(days)s days: notice given on %(given)s allows an end on "
                        "%(day)s at the earliest.") % {"days": notice_days, "given": _fmt(notice_given_on),
                                                       "day": _fmt(earliest)})
    bound_until = _minimum_term_end(subscription, _override(subscription, "minimum_term_months",
                                                            terms.minimum_term_months))
    if bound_until and ends_on < bound_until:
        errors.append(_("The minimum term of %(plan)s runs until %(day)s.")
                      % {"plan": subscription.plan.name, "day": _fmt(bound_until)})
    if terms.billing_mode != BillingMode.PACKAGE and ends_on != last_of_month(ends_on):
        errors.append(_("A subscription ends on the last day of a month: choose %(day)s.")
                      % {"day": _fmt(last_of_month(ends_on))})
    if ends_on < subscription.starts_on:
        errors.append(_("The end cannot be before the start (%(day)s).") % {"day": _fmt(subscription.starts_on)})
    if errors:
        raise ValidationError({"ends_on": errors})
    subscription.notice_given_on = notice_given_on
    subscription.ends_on = ends_on
    subscription.save(update_fields=["notice_given_on", "ends_on", "updated_at"])
    audit_record(tenant=tenant, actor=actor, action="subscription.cancelled", obj=subscription,
                 summary=f"{subscription.organization.name}: {subscription.plan.code} do {ends_on.isoformat()}",
                 data={"notice_given_on": notice_given_on.isoformat(), "ends_on": ends_on.isoformat()})
    return subscription


# Months a change may no longer reach: billing registers "is a statement from this month on issued?"
# (plans sits below billing and cannot ask it directly).
_closed_month_checks: list[Callable[..., bool]] = []


def closed_month_check_register(check: Callable[..., bool]) -> None:
    """``check(tenant=, organization=, month=)`` → True when a month from ``month`` on is billed."""
    if check not in _closed_month_checks:
        _closed_month_checks.append(check)


def _default_effective_from(tenant: Tenant) -> date:
    """RULES 6.3 decision: changes take effect on the first day of the next month."""
    from django.utils import timezone
    from zoneinfo import ZoneInfo

    return first_of_next_month(timezone.now().astimezone(ZoneInfo(tenant.time_zone)).date())


def subscription_set_overrides(*, tenant: Tenant, subscription: Subscription, overrides: dict,
                               actor: User | None = None, effective_from: date | None = None,
                               seats: int | None = None, note: str = "") -> Subscription:
    """Agree new per-customer terms from ``effective_from`` (default: the 1st of next month)."""
    return subscription_change(tenant=tenant, subscription=subscription, overrides=overrides, actor=actor,
                               effective_from=effective_from, seats=seats, note=note)


@transaction.atomic
def subscription_change(*, tenant: Tenant, subscription: Subscription, overrides: dict | None = None,
                        addons: list[dict] | None = None, actor: User | None = None,
                        effective_from: date | None = None, seats: int | None = None,
                        note: str = "") -> Subscription:
    """A dated change of the contract from ``effective_from`` (default: the 1st of next month).

    ``overrides``: the per-customer terms from then on (None: unchanged). ``addons``: every add-on
    from then on, as ``{kind, calendar, product, price_net}`` (None: unchanged); one equal to an
    add-on in force then continues it, the others in force end the month before, new ones start.
    A ``SubscriptionChange`` records the overrides, seats and note (RULES 6.6 decision): the months
    before keep their terms and add-ons, so neither a month already billed nor an issued statement
    changes. ``subscription.overrides`` holds the latest agreed terms.
    """
    if subscription.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown subscription."))
    Subscription.objects.select_for_update().filter(pk=subscription.pk).first()
    if overrides is not None:
        validate_overrides(overrides, tenant=tenant)
    if seats is not None and (isinstance(seats, bool) or not isinstance(seats, int) or not 0 < seats <= 100_000):
        raise ValidationError({"seats": _("Give the number of seats as a positive whole number.")})
    effective_from = effective_from or _default_effective_from(tenant)
    _check_change_date(tenant, subscription, effective_from)
    before = subscription.overrides
    after = before if overrides is None else overrides
    changes = list(subscription.changes.order_by("effective_from"))
    change = next((c for c in changes if c.effective_from == effective_from), None)
    if change is None:
        change = SubscriptionChange(tenant=tenant, subscription=subscription, effective_from=effective_from,
                                    overrides_before=before or {})
    change.overrides, change.note, change.created_by = after, (note or "")[:300], actor
    if seats is not None:
        change.seats = seats
    elif change.pk is None:  # the seats agreed before still hold
        change.seats = next((c.seats for c in reversed(changes) if c.effective_from < effective_from), None)
    change.save()
    addons_before = addons_after = None
    if addons is not None:
        addons_before, addons_after = _addons_change(tenant, subscription, addons, effective_from)
    subscription.overrides = after
    subscription.save(update_fields=["overrides", "updated_at"])
    audit_record(tenant=tenant, actor=actor, action="subscription.overrides_changed", obj=subscription,
                 summary=f"{subscription.organization.name} od {effective_from.isoformat()}",
                 data={"before": before, "after": after, "addons_before": addons_before, "addons_after": addons_after,
                       "effective_from": effective_from.isoformat(), "seats": change.seats, "note": change.note})
    return subscription


def _check_change_date(tenant: Tenant, subscription: Subscription, effective_from: date) -> None:
    if effective_from.day != 1:
        raise ValidationError({"effective_from": _("A change takes effect on the first day of a month.")})
    if effective_from < subscription.starts_on.replace(day=1):
        raise ValidationError({"effective_from": _("The subscription starts on %(day)s: a change cannot take "
                                                   "effect before it.") % {"day": _fmt(subscription.starts_on)}})
    if subscription.ends_on is not None and effective_from > subscription.ends_on:
        raise ValidationError({"effective_from": _("The subscription ends on %(day)s: a change cannot take effect "
                                                   "after it.") % {"day": _fmt(subscription.ends_on)}})
    latest = subscription.changes.order_by("-effective_from").first()
    if latest is not None and effective_from < latest.effective_from:
        raise ValidationError({"effective_from": _("A later change is already agreed (from %(day)s): a change "
                                                   "cannot take effect before it.")
                               % {"day": _fmt(latest.effective_from)}})
    if any(check(tenant=tenant, organization=subscription.organization, month=effective_from)
           for check in _closed_month_checks):
        raise ValidationError({"effective_from": _("A statement from %(day)s on has been issued: a change cannot "
                                                   "reach a billed month.") % {"day": _fmt(effective_from)}})


def _addons_change(tenant: Tenant, subscription: Subscription, items: list[dict],
                   effective_from: date) -> tuple[list[dict], list[dict]]:
    """Make ``items`` the add-ons from ``effective_from`` on; returns them before and after."""
    rows = list(SubscriptionAddon.objects.filter(subscription=subscription).select_related("calendar"))
    current = [a for a in rows if a.applies_on(effective_from) or a.effective_from > effective_from]
    before = [_addon_data(a) for a in current if a.applies_on(effective_from)]
    kept: set[int] = set()
    for index, item in enumerate(items):
        calendar = item.get("calendar")
        match = next((a for a in current if a.pk not in kept and a.applies_on(effective_from)
                      and a.same_as(item.get("kind"), calendar.pk if calendar else None, item.get("product") or "",
                                    item.get("price_net"))), None)
        if match is not None:
            kept.add(match.pk)
            continue
        try:
            kept.add(_addon_new(tenant, subscription, item, effective_from).pk)
        except ValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"kind": exc.messages}
            raise ValidationError({f"addons[{index}].{name}": messages for name, messages in detail.items()}) from exc
    for addon in current:
        if addon.pk in kept:
            continue
        if addon.effective_from >= effective_from:
            addon.delete()  # it never applied to a month
        else:
            addon.ends_on = effective_from - timedelta(days=1)
            addon.save(update_fields=["ends_on"])
    after = [_addon_data(a) for a in SubscriptionAddon.objects.filter(subscription=subscription)
             .select_related("calendar") if a.applies_on(effective_from)]
    return before, after


# --- products ---------------------------------------------------------------------------------


@transaction.atomic
def product_save(*, tenant: Tenant, product: Product | None, code: str, name: str,
                 actor: User | None = None) -> Product:
    """Add a product or rename one; its code is what plans and add-ons name, so it stays once set."""
    if product is not None and product.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown product."))
    before = {"code": product.code, "name": product.name} if product is not None else None
    if product is None:
        if Product.objects.for_tenant(tenant).filter(code=code).exists():
            raise ValidationError({"code": _("A product with this code exists already.")})
        product = Product(tenant=tenant, code=code)
    product.name = name
    product.full_clean()
    product.save()
    audit_record(tenant=tenant, actor=actor, action="product.saved", obj=product, summary=name,
                 data={"before": before, "after": {"code": product.code, "name": name}})
    return product
