"""The agent queue's query string: read into ``QueueFilters`` (anything invalid filters nothing) and
written back in one normal form, which is what a saved view stores."""

from __future__ import annotations

from datetime import date

from django.http import QueryDict

from tickets.models import Ticket
from tickets.selectors import SORTS, QueueFilters

FLAGS = ("mine", "unassigned", "critical", "breached", "waiting")


def _int_or_none(value: str | None) -> int | None:
    """A row id from the query string; anything else (text, 0, 25 digits) filters nothing."""
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= 2**63 - 1 else None


def _date_or_none(value: str | None) -> date | None:
    """A day from the query string (YYYY-MM-DD); anything else filters nothing."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2999 else None


def filters_from_query(query) -> QueueFilters:
    flag = lambda name: query.get(name) == "1"  # noqa: E731
    statuses = query.getlist("status")
    return QueueFilters(
        mine=flag("mine"),
        unassigned=flag("unassigned"),
        critical=flag("critical"),
        breached=flag("breached"),
        waiting=flag("waiting"),
        organization=_int_or_none(query.get("organization")),
        plan=_int_or_none(query.get("plan")),
        statuses=[s for s in statuses if s in Ticket.Status.values],
        search=query.get("q", "").strip()[:100],
        all_statuses="all" in statuses,
        assignee=_int_or_none(query.get("assignee")),
        product=_int_or_none(query.get("product")),
        category=_int_or_none(query.get("category")),
        channel=query.get("channel", "") if query.get("channel") in Ticket.Channel.values else "",
        sla_state=query.get("sla", "") if query.get("sla") in Ticket.SlaState.values else "",
        received_from=_date_or_none(query.get("from")),
        received_to=_date_or_none(query.get("to")),
        sort=query.get("sort", "") if query.get("sort") in (*SORTS, "queue") else "",
    )


def filters_to_query(filters: QueueFilters) -> str:
    """The query string of ``filters`` in a fixed order, without empty fields; parsing it gives the
    same filters back."""
    query = QueryDict(mutable=True)
    if filters.search:
        query["q"] = filters.search
    statuses = (["all"] if filters.all_statuses else []) + list(dict.fromkeys(filters.statuses))
    if statuses:
        query.setlist("status", statuses)
    for name in FLAGS:
        if getattr(filters, name):
            query[name] = "1"
    for name, value in (
        ("organization", filters.organization),
        ("plan", filters.plan),
        ("assignee", filters.assignee),
        ("product", filters.product),
        ("category", filters.category),
        ("channel", filters.channel),
        ("sla", filters.sla_state),
        ("from", filters.received_from),
        ("to", filters.received_to),
        ("sort", filters.sort),
    ):
        if value:
            query[name] = value.isoformat() if isinstance(value, date) else str(value)
    return query.urlencode()


def normalise_query(text: str) -> str:
    """Any query string, as the queue would read it, in the normal form (page and size left out)."""
    return filters_to_query(filters_from_query(QueryDict(text or "")))
