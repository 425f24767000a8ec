"""The audit log of the tenant: who changed which setting, when, with the values before and after."""
from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.shortcuts import render

from console.access import tenant_admin_required
from core.models import AuditEvent


def _pretty(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)


def _compact(value) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _changed(before, after) -> dict | None:
    """What differs between two dicts, as {key: [before, after]} in compact text; None when not two dicts."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return None
    before, after = before or {}, after or {}
    return {key: [_compact(before.get(key)), _compact(after.get(key))]
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)}


@tenant_admin_required
def audit_log(request):
    events = AuditEvent.objects.for_tenant(request.tenant).select_related("actor").order_by("-at", "-id")
    action = request.GET.get("action", "").replace("\x00", "").strip()[:64]  # PostgreSQL stores no NUL
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    rows = []
    for event in page:
        data = event.data or {}
        before = data.get("before")
        after = data.get("after")
        changes = data.get("changes")
        rows.append({"event": event,
                     "before": _pretty(before) if before is not None else None,
                     "after": _pretty(after) if after is not None else None,
                     "changes": changes if isinstance(changes, dict) else _changed(before, after),
                     "other": _pretty({k: v for k, v in data.items() if k not in {"before", "after", "changes"}})
                     if set(data) - {"before", "after", "changes"} else None})
    return render(request, "console/audit_log.html", {"page": page, "rows": rows, "action": action,
                                                      "section": "audit"})
