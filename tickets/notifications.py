"""In-app notifications of agents, written in the transaction of their cause.

- ``assigned``: someone else assigned the ticket to the agent (``tickets.services.ticket_assign``);
- ``mentioned``: an internal note names the agent. Mention syntax: ``@`` followed by the local part of
  the agent's e-mail address (``@anna.kowalska`` for anna.kowalska@firma.pl) or by the agent's full
  name (``@Anna Kowalska``), case-insensitive; the ``@`` must not follow a letter or digit (so an
  e-mail address in the text is no mention) and the name must end at a non-word character;
- ``customer_reply``: the customer wrote on a ticket assigned to the agent;
- ``sla_warning`` / ``sla_breach``: the SLA monitor recorded a warning or a breach of a ticket assigned
  to the agent (``sla_events_recorded``, called by the monitor with the events it inserted, once each).

Nobody is notified of their own action.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from core.models import Membership, User
from tickets.models import Message, Notification, Ticket

Kind = Notification.Kind
BELL_CAP = 99
_WORD = re.compile(r"\w", re.UNICODE)


def _notify(ticket: Ticket, recipient_ids: Iterable[int], kind: str, actor: User | None, target: str = "") -> int:
    rows = [
        Notification(
            tenant_id=ticket.tenant_id,
            recipient_id=pk,
            kind=kind,
            ticket_id=ticket.pk,
            actor=actor if actor is not None and actor.is_authenticated else None,
            target=target,
        )
        for pk in dict.fromkeys(recipient_ids)
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def assigned(*, ticket: Ticket, assignee: Membership | None, actor: User | None) -> None:
    if assignee is not None and (actor is None or assignee.user_id != actor.pk):
        _notify(ticket, [assignee.pk], Kind.ASSIGNED, actor)


def mentioned_members(text: str, members: Iterable[tuple[int, str, str]]) -> set[int]:
    """Ids of the members ``(id, e-mail, full name)`` that ``text`` mentions (see the module's doc)."""
    folded = text.casefold()
    found = set()
    for pk, email, full_name in members:
        names = [n.casefold() for n in (email.partition("@")[0] if email else "", " ".join(full_name.split())) if n]
        for name in names:
            start = 0
            while (at := folded.find("@" + name, start)) != -1:
                start = at + 1
                before = folded[at - 1] if at else " "
                end = at + 1 + len(name)
                after = folded[end : end + 2]
                # "@anna." ends a sentence; "@anna.nowak" names someone else.
                continues = bool(after) and (
                    _WORD.match(after[0]) or (after[0] in ".-+" and len(after) > 1 and _WORD.match(after[1]))
                )
                if not _WORD.match(before) and not continues:
                    found.add(pk)
                    break
    return found


def message_added(*, ticket: Ticket, message: Message, actor: User | None) -> None:
    """A note's mentions; a customer's reply on an assigned ticket."""
    if message.internal and "@" in message.body:
        members = (
            Membership.objects.for_tenant(ticket.tenant_id)
            .filter(user__is_active=True)
            .values_list("pk", "user__email", "user__first_name", "user__last_name", "user_id")
        )
        candidates = [
            (pk, email, f"{first} {last}")
            for pk, email, first, last, user_id in members
            if actor is None or user_id != actor.pk
        ]
        mentioned = mentioned_members(message.body, candidates)
        if mentioned:
            _notify(ticket, sorted(mentioned), Kind.MENTIONED, actor)
    elif not message.from_staff and not message.internal and ticket.assignee_id:
        _notify(ticket, [ticket.assignee_id], Kind.CUSTOMER_REPLY, None)


def sla_events_recorded(*, kind: str, target: str, ticket_ids: Iterable[int]) -> int:
    """The monitor recorded SLA warnings (``kind`` "warning") or breaches ("breach") of these tickets,
    each for the first time: their assignees hear of it."""
    notification_kind = {"warning": Kind.SLA_WARNING, "breach": Kind.SLA_BREACH}.get(kind)
    if notification_kind is None:
        return 0
    rows = Ticket.objects.filter(pk__in=list(ticket_ids), assignee__isnull=False).values_list(
        "pk", "tenant_id", "assignee_id"
    )
    made = [
        Notification(tenant_id=tenant_id, recipient_id=assignee_id, kind=notification_kind, ticket_id=pk, target=target)
        for pk, tenant_id, assignee_id in rows
    ]
    Notification.objects.bulk_create(made)
    return len(made)


# --- reads and marks -----------------------------------------------------------------------------


def unread_count(*, membership: Membership) -> int:
    """Unread notifications, counted up to ``BELL_CAP`` + 1 (one query through the partial index)."""
    return Notification.objects.filter(recipient=membership, read_at__isnull=True).values("pk")[: BELL_CAP + 1].count()


def for_member(*, membership: Membership) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(tenant_id=membership.tenant_id, recipient=membership)
        .select_related("ticket__tenant", "actor")
        .order_by("-created_at", "-id")
    )


def mark_read(*, membership: Membership, pk: int, at: datetime | None = None) -> bool:
    """Mark one of the agent's notifications read; False when it is not theirs (or does not exist)."""
    found = Notification.objects.filter(tenant_id=membership.tenant_id, recipient=membership, pk=pk)
    if not found.exists():
        return False
    found.filter(read_at__isnull=True).update(read_at=at or timezone.now())
    return True


def mark_all_read(*, membership: Membership, at: datetime | None = None) -> int:
    return Notification.objects.filter(
        tenant_id=membership.tenant_id, recipient=membership, read_at__isnull=True
    ).update(read_at=at or timezone.now())
