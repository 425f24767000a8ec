"""Finding free slots: a pure core, plain values in and plain values out.

No ORM, no settings, no clock. The caller gathers an agent's open stretches (working hours
intersected with the plan's service hours, holidays and absences removed: see ``availability``)
and the sessions already held, and passes ``now``-derived bounds.

A slot is the half-open interval ``[start, start + length)``. ``start`` is free when

* it lies on the grid of ``step`` counted from the Unix epoch (in zones whose offset is a whole
  number of quarter hours, as Europe/Warsaw's, that is the wall-clock grid: 09:00, 09:15 …);
* ``not_before <= start`` and ``start + length <= not_after``;
* the whole slot lies inside one open stretch (touching stretches count as one);
* it keeps ``buffer`` clear of every busy interval on both sides:
  ``start + length + buffer <= busy_start`` or ``start >= busy_end + buffer``.

Everything is real elapsed time on aware instants, so a slot on a DST day has its real length:
a 60-minute session starting at 01:30 on the last Sunday of October ends at 02:30 *the first
time* the clock reads it, and no slot starts inside the hour skipped in March.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone

__all__ = ["free_slots", "intersect", "subtract", "team_free_slots", "team_slots"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
Interval = tuple[datetime, datetime]


def _seconds(value: datetime, name: str) -> int:
    try:
        aware = value.tzinfo is not None and value.utcoffset() is not None
        micro = value.microsecond
    except AttributeError:
        aware, micro = False, 0
    if not aware:
        raise TypeError(f"{name} must be an aware datetime, got {value!r}")
    if micro:
        raise ValueError(f"{name} must be a whole second, got {value.isoformat()}")
    return int(value.timestamp())


def _span(value: timedelta, name: str, *, positive: bool) -> int:
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a timedelta, got {type(value).__name__}")
    seconds = value.days * 86_400 + value.seconds
    if value.microseconds or seconds < 0 or (positive and seconds == 0):
        raise ValueError(f"{name} must be a {'positive' if positive else 'non-negative'} whole number of seconds")
    return seconds


def _merged(intervals: Iterable[tuple[int, int]]) -> list[list[int]]:
    out: list[list[int]] = []
    for s, e in sorted(intervals):
        if e <= s:
            continue
        if out and out[-1][1] >= s:
            if e > out[-1][1]:
                out[-1][1] = e
        else:
            out.append([s, e])
    return out


def _free(open_: list[list[int]], blocked: list[list[int]]) -> list[tuple[int, int]]:
    """``open_`` minus ``blocked``; both merged and sorted."""
    out: list[tuple[int, int]] = []
    j = 0
    for s, e in open_:
        while j < len(blocked) and blocked[j][1] <= s:
            j += 1
        k = j
        cursor = s
        while k < len(blocked) and blocked[k][0] < e:
            if blocked[k][0] > cursor:
                out.append((cursor, blocked[k][0]))
            cursor = max(cursor, blocked[k][1])
            k += 1
        if cursor < e:
            out.append((cursor, e))
    return out


def _ints(intervals: Iterable[Interval], name: str) -> list[tuple[int, int]]:
    return [(_seconds(s, f"{name} start"), _seconds(e, f"{name} end")) for s, e in intervals]


def _free_starts(open_: list[tuple[int, int]], busy: Iterable[tuple[int, int]], size: int, grid: int, gap: int,
                 lo: int, hi: int) -> list[int]:
    """``free_slots`` in whole seconds since the epoch (arguments already checked and converted)."""
    if hi - lo < size:
        return []
    open_ = _merged((max(s, lo), min(e, hi)) for s, e in open_)
    # A slot must end ``gap`` before a busy interval starts and start ``gap`` after it ends:
    # widen each busy interval by the buffer and the rule becomes plain non-overlap.
    blocked = _merged((s - gap, e + gap) for s, e in busy if e > s)
    starts: list[int] = []
    for s, e in _free(open_, blocked):
        first = -(-s // grid) * grid
        starts.extend(range(first, e - size + 1, grid))
    return starts


def free_slots(*, open_intervals: Iterable[Interval], busy: Iterable[Interval], length: timedelta,
               step: timedelta, not_before: datetime, not_after: datetime,
               buffer: timedelta = timedelta(0)) -> list[datetime]:
    """Start instants (aware, UTC, ascending) of the free slots; see the module docstring."""
    size, grid = _span(length, "length", positive=True), _span(step, "step", positive=True)
    gap = _span(buffer, "buffer", positive=False)
    lo, hi = _seconds(not_before, "not_before"), _seconds(not_after, "not_after")
    starts = _free_starts(_ints(open_intervals, "open"), _ints(busy, "busy"), size, grid, gap, lo, hi)
    return [_EPOCH + timedelta(seconds=t) for t in starts]


def _whole_seconds(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out = list(intervals)
    for pair in out:
        if type(pair[0]) is not int or type(pair[1]) is not int:
            raise TypeError(f"busy seconds must be whole seconds since the epoch, got {pair!r}")
    return out


def team_free_slots(*, open_by_agent: Mapping[Hashable, Sequence[Interval]],
                    busy_by_agent: Mapping[Hashable, Iterable[Interval]] | None = None, length: timedelta,
                    step: timedelta, not_before: datetime, not_after: datetime, buffer: timedelta = timedelta(0),
                    preference: Sequence[Hashable] = (),
                    busy_seconds_by_agent: Mapping[Hashable, Iterable[tuple[int, int]]] | None = None,
                    ) -> list[tuple[datetime, list[Hashable]]]:
    """``team_slots`` of every agent's ``free_slots`` (same result), computed in whole seconds and
    turning each distinct start into a datetime once: what a team's booking page asks for.

    The sessions held come as aware intervals (``busy_by_agent``) or, as a database can return them
    without building datetimes, as whole seconds since the epoch (``busy_seconds_by_agent``). Agents
    sharing the same list object of open stretches (the same working hours, no absence) have it
    converted once."""
    size, grid = _span(length, "length", positive=True), _span(step, "step", positive=True)
    gap = _span(buffer, "buffer", positive=False)
    lo, hi = _seconds(not_before, "not_before"), _seconds(not_after, "not_after")
    converted: dict[int, list[tuple[int, int]]] = {}
    per_agent = {}
    for key, open_ in open_by_agent.items():
        if id(open_) not in converted:
            converted[id(open_)] = _ints(open_, "open")
        if busy_seconds_by_agent is not None:
            busy = _whole_seconds(busy_seconds_by_agent.get(key, ()))
        else:
            busy = _ints((busy_by_agent or {}).get(key, ()), "busy")
        per_agent[key] = _free_starts(converted[id(open_)], busy, size, grid, gap, lo, hi)
    return [(_EPOCH + timedelta(seconds=t), keys) for t, keys in team_slots(per_agent, preference)]


def team_slots(per_agent: Mapping[Hashable, Sequence],
               preference: Sequence[Hashable] = ()) -> list[tuple[datetime, list[Hashable]]]:
    """Merge the agents' free starts: each start once, with the agents free then, preferred ones
    first (``preference`` order, e.g. the account manager), the rest in ``per_agent`` order."""
    by_start: dict[datetime, list[Hashable]] = {}
    for key, starts in per_agent.items():
        for start in starts:
            found = by_start.get(start)
            if found is None:
                by_start[start] = [key]
            else:
                found.append(key)
    preferred = [key for key in reversed(preference) if key in per_agent]
    if preferred:
        for keys in by_start.values():
            for key in preferred:
                if key in keys and keys[0] != key:
                    keys.remove(key)
                    keys.insert(0, key)
    return sorted(by_start.items())


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Instants open in both lists of intervals, merged and sorted."""
    left, right = _merged((_seconds(s, "a"), _seconds(e, "a")) for s, e in a), \
        _merged((_seconds(s, "b"), _seconds(e, "b")) for s, e in b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        s, e = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if s < e:
            out.append((_EPOCH + timedelta(seconds=s), _EPOCH + timedelta(seconds=e)))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Iterable[Interval], blocked: Iterable[Interval]) -> list[Interval]:
    """``a`` without the ``blocked`` intervals (absences), merged and sorted."""
    left = _merged((_seconds(s, "a"), _seconds(e, "a")) for s, e in a)
    cut = _merged((_seconds(s, "blocked"), _seconds(e, "blocked")) for s, e in blocked)
    return [(_EPOCH + timedelta(seconds=s), _EPOCH + timedelta(seconds=e)) for s, e in _free(left, cut)]
