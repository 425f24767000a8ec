"""The slot picker shared by the customer's booking page, rescheduling and an agent's proposal."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone

from appointments import selectors
from appointments.models import Kind
from plans.selectors import plan_in_force

DAYS_SHOWN = 7  # the coming week: five working days, enough to choose without scrolling forever


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def picker(request, *, organization, kind: str | None = None, length: int | None = None, agents=None,
           ignore=None, fixed_kind: bool = False) -> dict:
    """Kinds and lengths the plan may book, the free slots by day and what the session costs."""
    tenant, now = request.tenant, timezone.now()
    rules = selectors.booking_rules(tenant)
    terms = plan_in_force(tenant=tenant, organization=organization, at=now).terms
    kinds = selectors.allowed_kinds(rules, terms)
    if kind is None:
        kind = request.GET.get("kind") or request.POST.get("kind") or (kinds[-1] if kinds else Kind.REMOTE)
    if kind not in kinds:
        kind = kinds[-1] if kinds else None
    lengths = rules.lengths(kind) if kind else []
    if length is None:
        length = _int(request.GET.get("length") or request.POST.get("length"), None)
    if length not in lengths:
        length = lengths[len(lengths) // 2] if lengths else None
    context = {"kinds": [(k, Kind(k).label) for k in kinds], "kind": kind, "lengths": lengths, "length": length,
               "terms": terms, "fixed_kind": fixed_kind, "days": [], "preview": None, "rules": rules}
    if kind and length:
        search = selectors.find_slots(tenant=tenant, organization=organization, kind=kind, length=length, now=now,
                                      agents=agents, days=DAYS_SHOWN, ignore=ignore)
        context["days"] = selectors.slots_by_day(search.slots, ZoneInfo(tenant.time_zone))
        context["preview"] = selectors.cost_preview(tenant=tenant, organization=organization, kind=kind,
                                                    minutes=length, at=now)
    return context
