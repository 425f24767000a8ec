"""Who else has a ticket open, and who is typing on it: the agent page polls every few seconds.

Each poll records the agent's own presence (and whether they typed since the last poll) and returns
the others seen in the last ``SEEN_SECONDS``; typing counts for ``TYPING_SECONDS``. No external
service: one upsert and one read per poll.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from core.models import Membership
from tickets.models import Ticket, TicketPresence

POLL_SECONDS = 5
SEEN_SECONDS = 20
TYPING_SECONDS = 12


@dataclass(frozen=True)
class Other:
    name: str
    typing: bool


def presence_touch(*, ticket: Ticket, membership: Membership, typing: bool, now: datetime | None = None) -> None:
    now = now or timezone.now()
    defaults = {"tenant_id": ticket.tenant_id, "seen_at": now}
    if typing:
        defaults["typing_at"] = now
    TicketPresence.objects.update_or_create(ticket=ticket, membership=membership, defaults=defaults)


def others(*, ticket: Ticket, membership: Membership, now: datetime | None = None) -> list[Other]:
    now = now or timezone.now()
    rows = (TicketPresence.objects.for_tenant(ticket.tenant_id)
            .filter(ticket=ticket, seen_at__gte=now - timedelta(seconds=SEEN_SECONDS))
            .exclude(membership=membership).select_related("membership__user").order_by("membership__user__first_name"))
    typing_since = now - timedelta(seconds=TYPING_SECONDS)
    return [Other(name=row.membership.user.get_full_name() or row.membership.user.get_username(),
                  typing=row.typing_at is not None and row.typing_at >= typing_since) for row in rows]
