"""What a new version of a plan's terms changes: a readable diff, the organizations it reaches and
example reaction deadlines under the old and the new terms (computed by the SLA engine)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.models import Organization, Tenant
from console.terms_form import LIST_CHOICES, NOT_TERMS, term_fields
from plans.models import Calendar, Plan, PlanTerms, Product, Subscription, WorkKind
from plans.selectors import terms_values
from plans.terms import terms_from_values
from sla import policy


@dataclass(frozen=True)
class Change:
    name: str
    label: str
    before: str
    after: str


def display(field, value: Any, *, tenant_id: int | None = None) -> str:
    """A term's value as a person reads it (choices by label, yes/no, minutes, calendars by name)."""
    if value is None or value == "" and not field.choices:
        return "—"
    if field.is_relation:
        calendar = value if isinstance(value, Calendar) else Calendar.objects.filter(pk=value).first()
        return calendar.name if calendar else "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value)) or "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return number_format(value, decimal_pos=2)
    if field.name in LIST_CHOICES:
        labels = dict(LIST_CHOICES[field.name])
        return ", ".join(str(labels.get(v, v)) for v in value) or "—"
    if field.name == "products":
        names = dict(Product.objects.filter(tenant_id=tenant_id, code__in=value).values_list("code", "name")) \
            if tenant_id else {}
        return ", ".join(names.get(code, code) for code in value) or _("all products")
    if field.name == "rounding_units":
        labels = dict(WorkKind.choices)
        return ", ".join(f"{labels.get(k, k)}: {v} min" for k, v in sorted(value.items())) or "—"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _value(version: PlanTerms, field) -> Any:
    return getattr(version, field.attname)


def terms_diff(before: PlanTerms | None, after: PlanTerms) -> list[Change]:
    """The terms that differ between two versions, in the model's order (every term when ``before`` is None)."""
    changes = []
    for field in term_fields():
        new = _value(after, field)
        old = _value(before, field) if before is not None else None
        if before is not None and _normal(old) == _normal(new):
            continue
        changes.append(Change(field.name, str(field.verbose_name),
                              display(field, old, tenant_id=after.tenant_id) if before is not None else "—",
                              display(field, new, tenant_id=after.tenant_id)))
    return changes


def _normal(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(value, key=str)
    return value


def history(versions: list[PlanTerms]) -> list[tuple[PlanTerms, list[Change]]]:
    """Every version with what it changed against the version before it (by number)."""
    ordered = sorted(versions, key=lambda v: v.version)
    rows, previous = [], None
    for version in ordered:
        rows.append((version, terms_diff(previous, version)))
        previous = version
    return list(reversed(rows))


def fingerprint(values: dict) -> str:
    """A digest of the submitted terms: the saved version must be the one previewed."""
    text = json.dumps({k: (v.pk if hasattr(v, "pk") else v) for k, v in sorted(values.items())},
                      default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Affected:
    organization: Organization
    own_terms: tuple[str, ...]  # changed terms this organization has its own value for


def affected_organizations(*, tenant: Tenant, plan: Plan, effective_from: date,
                           changed: list[str]) -> tuple[list[Affected], bool]:
    """Organizations on the plan on or after ``effective_from``, and whether it is the default plan
    (then every organization without a subscription is on it too)."""
    subscriptions = (Subscription.objects.for_tenant(tenant).filter(plan=plan)
                     .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=effective_from))
                     .select_related("organization").order_by("organization__name", "starts_on"))
    found: dict[int, Affected] = {}
    for subscription in subscriptions:
        own = tuple(n for n in changed if n in (subscription.overrides or {}))
        previous = found.get(subscription.organization_id)
        own = tuple(sorted(set(own) | set(previous.own_terms))) if previous else own
        found[subscription.organization_id] = Affected(subscription.organization, own)
    return list(found.values()), tenant.default_plan_id == plan.pk


@dataclass(frozen=True)
class Example:
    received: datetime
    critical: bool
    before: policy.Deadline | None
    after: policy.Deadline

    @property
    def changed(self) -> bool:
        return (self.before is None or self.before.due_at != self.after.due_at
                or self.before.reason != self.after.reason)


def example_moments(effective_from: date, zone: ZoneInfo) -> list[datetime]:
    """Receipt times to show: a weekday morning and late afternoon, a Friday afternoon, a Saturday."""
    day = effective_from
    while day.weekday() >= 5:
        day += timedelta(days=1)
    friday = effective_from + timedelta(days=(4 - effective_from.weekday()) % 7)
    saturday = effective_from + timedelta(days=(5 - effective_from.weekday()) % 7)
    return [datetime.combine(day, time(10, 0), zone), datetime.combine(day, time(16, 30), zone),
            datetime.combine(friday, time(15, 0), zone), datetime.combine(saturday, time(10, 0), zone)]


def example_deadlines(*, tenant: Tenant, before: PlanTerms | None, after: PlanTerms,
                      effective_from: date) -> list[Example]:
    old = terms_from_values(terms_values(before)) if before is not None else None
    new = terms_from_values(terms_values(after))
    critical_too = bool(new.critical_reaction_minutes or (old and old.critical_reaction_minutes))
    examples = []
    for received in example_moments(effective_from, ZoneInfo(tenant.time_zone)):
        for critical in (False, True) if critical_too else (False,):
            facts = policy.TicketFacts(received_at=received, channel="portal", critical=critical, is_bug=True)
            examples.append(Example(received, critical, policy.reaction_deadline(old, facts) if old else None,
                                    policy.reaction_deadline(new, facts)))
    return examples


__all__ = ["NOT_TERMS", "Change", "terms_diff", "history", "affected_organizations", "example_deadlines",
           "fingerprint"]
