"""Writes behind the availability pages: an agent's working hours, absences, the tenant's booking rules.

Who may write is the views' business (an agent their own, a tenant admin anyone's); these check
that every object belongs to the tenant and that the values make sense."""
from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from appointments.models import Absence, AgentSchedule, BookingRules, Kind
from appointments.services import schedule_for
from core.models import Membership, Tenant
from sla.calendar import DAY_KEYS, BusinessCalendar, InvalidCalendarSpec

RULE_FIELDS = ("min_notice_minutes", "horizon_days", "buffer_minutes", "step_minutes", "phone_lengths",
               "remote_lengths", "kinds_by_plan", "late_cancel_hours", "late_cancel_counts")


def _own(tenant: Tenant, membership: Membership) -> None:
    if membership.tenant_id != tenant.pk:
        raise ValidationError({"membership": _("Choose a member of your own staff.")})


def windows_check(windows: dict) -> dict:
    """The weekly windows as a calendar reads them (day key → [[start, end], …]), or a ValidationError."""
    cleaned = {day: [list(pair) for pair in windows.get(day, [])] for day in DAY_KEYS}
    try:
        BusinessCalendar.from_spec({"timezone": "Europe/Warsaw", "windows": cleaned})
    except InvalidCalendarSpec as error:
        raise ValidationError({"windows": str(error)}) from None
    return {day: pairs for day, pairs in cleaned.items() if pairs}


@transaction.atomic
def schedule_update(*, tenant: Tenant, membership: Membership, windows: dict, bookable: bool) -> AgentSchedule:
    """Save the agent's working hours (empty: the plan's service hours) and whether they take bookings."""
    _own(tenant, membership)
    schedule = schedule_for(tenant=tenant, membership=membership)
    schedule.windows = windows_check(windows) if windows else {}
    schedule.bookable = bookable
    schedule.save(update_fields=["windows", "bookable", "updated_at"])
    return schedule


def absence_add(*, tenant: Tenant, membership: Membership, starts_at: datetime, ends_at: datetime,
                reason: str = "") -> Absence:
    _own(tenant, membership)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The absence must end after it starts.")})
    return Absence.objects.create(tenant=tenant, membership=membership, starts_at=starts_at.replace(microsecond=0),
                                  ends_at=ends_at.replace(microsecond=0), reason=reason[:200])


def absence_remove(*, tenant: Tenant, membership: Membership, pk: int) -> None:
    deleted, _rows = Absence.objects.for_tenant(tenant).filter(membership=membership, pk=pk).delete()
    if not deleted:
        raise ValidationError({"absence": _("This absence no longer exists.")})


def _lengths(values, kind: str) -> list[int]:
    allowed = {Kind.PHONE: (5, 120), Kind.REMOTE: (15, 480)}[kind]
    out = sorted({int(v) for v in values})
    if any(not allowed[0] <= v <= allowed[1] for v in out):
        raise ValidationError({f"{kind}_lengths": _("Lengths must be between %(low)d and %(high)d minutes.")
                               % {"low": allowed[0], "high": allowed[1]}})
    return out


@transaction.atomic
def rules_update(*, tenant: Tenant, values: dict) -> BookingRules:
    """Save the tenant's booking rules (the row is made on first save)."""
    rules, _created = BookingRules.objects.select_for_update().get_or_create(tenant=tenant)
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({field: _("Unknown setting.") for field in sorted(unknown)})
    values = dict(values)
    for kind in (Kind.PHONE, Kind.REMOTE):
        if f"{kind}_lengths" in values:
            values[f"{kind}_lengths"] = _lengths(values[f"{kind}_lengths"], kind)
    if "kinds_by_plan" in values:
        values["kinds_by_plan"] = {code: [k for k in Kind.values if k in kinds]
                                   for code, kinds in values["kinds_by_plan"].items()}
    for field, value in values.items():
        setattr(rules, field, value)
    rules.full_clean(exclude=["tenant"])
    rules.save()
    return rules
