"""Unread markers: which tickets have customer activity an agent has not seen yet.

A ticket is unread for an agent when the customer wrote a public message after the agent last opened
the ticket's page, or when the agent marked it unread. A ticket the agent never opened counts from
the day the agent joined the team, so a new colleague's queue is not all bold with years of history.
Opening the page marks it read (``ticket_seen``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from core.models import Membership
from tickets.models import Message, Ticket, TicketSeen


def ticket_seen(*, ticket: Ticket, membership: Membership) -> None:
    """The agent opened the ticket: read now (a mark as unread is cleared).

    A ticket read with ``unread_annotations`` that the agent opened before and that has nothing new
    for them is left as it is: reading it again changes nothing, and the page costs no write (three
    statements) on every visit. A customer message written after the ticket was read stays unread
    until the next visit."""
    if ticket.tenant_id != membership.tenant_id:
        return
    if getattr(ticket, "unread_seen_at", None) is not None and not is_unread(ticket, membership):
        return
    # One statement (INSERT … ON CONFLICT DO UPDATE), whether the agent opened it before or not.
    TicketSeen.objects.bulk_create(
        [TicketSeen(tenant_id=ticket.tenant_id, membership=membership, ticket=ticket, seen_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["membership", "ticket"],
        update_fields=["seen_at", "marked_unread"],
    )


def ticket_mark_unread(*, ticket: Ticket, membership: Membership) -> None:
    if ticket.tenant_id != membership.tenant_id:
        return
    TicketSeen.objects.bulk_create(
        [
            TicketSeen(
                tenant_id=ticket.tenant_id,
                membership=membership,
                ticket=ticket,
                seen_at=membership.created_at,
                marked_unread=True,
            )
        ],
        update_conflicts=True,
        unique_fields=["membership", "ticket"],
        update_fields=["marked_unread"],
    )


def unread_annotations(membership: Membership) -> dict[str, Subquery]:
    """What decides whether a ticket is unread for the agent, as annotations of a ticket query (the
    queue reads them with its page's rows: ``is_unread``)."""
    seen = TicketSeen.objects.filter(ticket=OuterRef("pk"), membership=membership)
    last_customer = (
        Message.objects.filter(ticket=OuterRef("pk"), from_staff=False, internal=False)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return {"unread_last_customer": Subquery(last_customer), "unread_seen_at": Subquery(seen.values("seen_at")[:1]),
            "unread_marked": Subquery(seen.values("marked_unread")[:1])}


def _unread(membership: Membership, last_customer_at, seen_at, marked) -> bool:
    return bool(marked) or (last_customer_at is not None and last_customer_at > (seen_at or membership.created_at))


def is_unread(ticket: Ticket, membership: Membership) -> bool:
    """A ticket read with ``unread_annotations``."""
    return _unread(membership, ticket.unread_last_customer, ticket.unread_seen_at, ticket.unread_marked)


def unread_ids(*, membership: Membership, ticket_ids: Iterable[int]) -> set[int]:
    """Which of ``ticket_ids`` (a page of a list) are unread for the agent: one query for the page."""
    ticket_ids = list(ticket_ids)
    if not ticket_ids:
        return set()
    rows = (
        Ticket.objects.filter(tenant_id=membership.tenant_id, pk__in=ticket_ids)
        .annotate(**unread_annotations(membership))
        .values_list("pk", "unread_last_customer", "unread_seen_at", "unread_marked")
    )
    return {pk for pk, *values in rows if _unread(membership, *values)}
