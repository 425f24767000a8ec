"""What mail intake reads for every message but rarely changes, kept for a few seconds.

A batch (an IMAP poll, the LMTP server's stream, the benchmark) files hundreds of messages for the
same few organizations: the plan terms in force, the tenant's own addresses and its form/robot
addresses are read once per ``ttl`` instead of once per message. A terms edit reaches mail intake
at most ``ttl`` seconds late; a ticket's deadline is fixed from the terms at its receipt either way.
"""
from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from plans.selectors import plan_in_force
from tickets.models import Mailbox

DEFAULT_TTL = 30.0


class IntakeCache:
    def __init__(self, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[tuple, tuple[float, Any]] = {}
        self.hits = 0
        self.misses = 0

    def _get(self, key: tuple, load: Callable[[], Any]) -> Any:
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            self.hits += 1
            return entry[1]
        self.misses += 1
        value = load()
        self._entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def plan_in_force(self, *, tenant, organization, at: datetime | date):
        """``plans.selectors.plan_in_force``, per organization and local day."""
        on = at.astimezone(ZoneInfo(tenant.time_zone)).date() if isinstance(at, datetime) else at
        key = ("terms", tenant.pk, organization.pk if organization is not None else None, on)
        return self._get(key, lambda: plan_in_force(tenant=tenant, organization=organization, at=at))

    def mailboxes(self, tenant) -> list[tuple[str, set[str], int]]:
        """``(address, robot addresses, id)`` of each of the tenant's mailboxes."""
        def load():
            return [(m.username.strip().lower(), m.robots(), m.pk)
                    for m in Mailbox.objects.for_tenant(tenant).only("username", "robot_addresses")]
        return self._get(("mailboxes", tenant.pk), load)


def uncached() -> IntakeCache:
    """A cache that keeps nothing: one message on its own (the MTA pipe) reads everything fresh."""
    return IntakeCache(ttl=0.0)
