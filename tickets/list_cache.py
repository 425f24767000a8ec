"""Ticket lists cached until their tenant's data changes: the agents' queue, the portal's list and the
API's list, read again only when something they show has changed.

What a list shows comes from two kinds of rows. Tickets, their messages, SLA pauses, agents' seen
markers and saved views, contacts' names change all day: database triggers count every committed
transaction that writes them in the tenant's ``ListVersion`` (migration 0015), whatever wrote
them — a service's ``save()``, a monitor's ``update()``, a bulk insert, raw SQL. The names and
terms around them (organizations, staff, categories, plans) change rarely and are cached already
under the tenant's page version (``core.page_cache``). A cached list's key holds both, and the
tenancy cache's version, so that any change to either puts it out of reach; the reader asks the
database for the count (one primary key read) on every request.

Correct without a lock: on PostgreSQL the count is written by a deferred trigger in the writing
transaction itself, so it becomes visible with the change, never before it. A reader that reads
the count and then the rows in separate statements may store rows newer than its count, never
older; the next reader of a newer count reads them again.

Inside a transaction that has not committed (PostgreSQL), the count does not yet include the
transaction's own writes: lists read there are not cached.

Lists that count down to deadlines pass the minute in their key (``minute``) and keep their entries
for two minutes (``MINUTE_TIMEOUT``): what they show of the time changes at most a minute late, and
the browser counts the deadlines down anyway.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone, translation

from core import cache_versions, page_cache, tenancy_cache

TIMEOUT = 5 * 60
MINUTE_TIMEOUT = 2 * 60  # an entry whose key holds the minute is of no use after it
_SQL = "SELECT version FROM tickets_listversion WHERE tenant_id = %s"
# The versions that lists being computed were read under: a part computed inside another (the queue's
# table inside its page) is cached under the same version, without reading it again.
_computing: ContextVar[dict[int, int] | None] = ContextVar("list_cache_computing", default=None)


def version(tenant_id: int) -> int | None:
    """The tenant's list version, or None when it cannot vouch for what this connection reads (an
    uncommitted transaction on PostgreSQL, whose own writes it does not count yet)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [tenant_id])
        row = cursor.fetchone()
    return row[0] if row else 0


def minute(now: datetime) -> int:
    return int(now.timestamp() // 60)


def cached(tenant_id: int, kind: str, key_parts: tuple, compute: Callable[[], Any], *,
           timeout: int = TIMEOUT) -> Any:
    """``compute()``'s answer for this tenant's lists as they are now, cached under ``kind`` and
    ``key_parts`` (with the active language and time zone, which every list's text depends on)."""
    outer = _computing.get() or {}
    current = outer.get(tenant_id)
    if current is None:
        current = version(tenant_id)
    if current is None:
        return compute()
    parts = (*key_parts, translation.get_language(), timezone.get_current_timezone_name())
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    key = (f"list:{kind}:{tenancy_cache.version()}:{page_cache.version(tenant_id)}:{tenant_id}:{current}:"
           f"{digest}")

    def computing() -> Any:
        token = _computing.set({**outer, tenant_id: current})
        try:
            return compute()
        finally:
            _computing.reset(token)

    return cache_versions.get_or_compute(key, computing, timeout)
