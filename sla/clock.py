"""Business-time clocks that can be paused: the due time and the elapsed time of a target.

A pure core like ``sla.calendar``: no ORM, no settings, no clock. A target (reaction, next reply,
resolution) is a budget of open time counted from a start instant; the clock stops inside pause
intervals (the ticket waiting on the customer or for a package) and restarts when they end.

Pauses are ``(start, end)`` pairs of aware datetimes, ``end`` ``None`` for a pause still running.
They may overlap or touch (a ticket moving from one waiting state to another): they are merged.
An instant ``t`` is paused when ``start <= t < end``, the same half-open convention as the
calendar's windows. The due time is therefore recomputed exactly from the stored history, whatever
plan or terms were assigned in between.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sla.calendar import BusinessCalendar

__all__ = ["Pause", "merge_pauses", "due_at", "elapsed", "paused_at"]

Pause = tuple[datetime, "datetime | None"]
_ZERO = timedelta(0)


def merge_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    """Sorted, disjoint pauses; overlapping or touching ones become one, empty ones disappear."""
    merged: list[list] = []
    for start, end in sorted(pauses, key=lambda p: p[0]):
        if end is not None and end <= start:
            continue
        if merged and (merged[-1][1] is None or merged[-1][1] >= start):
            if merged[-1][1] is not None and (end is None or end > merged[-1][1]):
                merged[-1][1] = end
            continue
        merged.append([start, end])
    return [(s, e) for s, e in merged]


def paused_at(pauses: Iterable[Pause], at: datetime) -> bool:
    return any(s <= at and (e is None or at < e) for s, e in pauses)


def _running(start: datetime, pauses: list[Pause]):
    """The stretches ``[a, b)`` after ``start`` in which the clock runs; ``b`` None: for ever."""
    cursor = start
    for s, e in pauses:
        if e is not None and e <= cursor:
            continue
        if s > cursor:
            yield cursor, s
        if e is None:
            return
        cursor = max(cursor, e)
    yield cursor, None


def due_at(calendar: BusinessCalendar, start: datetime, budget: timedelta,
           pauses: Iterable[Pause] = ()) -> datetime | None:
    """The instant at which ``budget`` of unpaused open time has elapsed after ``start``.

    ``None`` while a pause without an end stops the clock before the budget is used up: the due
    time is unknown until the ticket leaves the waiting state.
    """
    if budget < _ZERO:
        raise ValueError(f"budget must not be negative, got {budget}")
    remaining = budget
    for a, b in _running(start, merge_pauses(pauses)):
        if b is None:
            return calendar.add(a, remaining)
        available = calendar.between(a, b)
        if remaining <= available and (remaining > _ZERO or calendar.next_open(a) < b):
            return calendar.add(a, remaining)
        remaining -= available
    return None


def elapsed(calendar: BusinessCalendar, start: datetime, at: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
    """Unpaused open time from ``start`` to ``at`` (zero when ``at`` is not after ``start``)."""
    total = _ZERO
    if at <= start:
        return total
    for a, b in _running(start, merge_pauses(pauses)):
        if a >= at:
            break
        total += calendar.between(a, at if b is None or b > at else b)
    return total
