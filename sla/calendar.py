"""Business-time arithmetic on a weekly calendar of open windows.

A pure core: no ORM, no settings, no clock. Callers pass aware datetimes and get aware UTC
datetimes back. A calendar is described by a JSON-able spec::

    {"timezone": "Europe/Warsaw",
     "windows": {"mon": [["09:00", "15:00"]], "tue": [...], ..., "sat": [], "sun": []},
     "holidays": "PL",                      # a `holidays` country code, or None
     "closed_dates": ["2026-08-14"],        # extra days off
     "open_dates": ["2026-12-24"]}          # days open despite a holiday / closed date

Semantics (RULES 4.2):

* Windows are local wall time in the calendar's zone; open time is real elapsed time, so a
  window that spans a DST change counts its real length (00:00-24:00 is 23 h on the spring
  day and 25 h on the autumn day).
* A window boundary is the first instant the wall clock reads it (or later). A time repeated
  when the clocks go back is therefore its first occurrence (fold=0), and a time skipped when
  they go forward is the end of the gap: in Europe/Warsaw 02:00-03:00 is open 2 h on the
  autumn day and not at all on the spring day, 02:30-05:00 opens at 03:00 on the spring day,
  and 00:00-02:30 on the autumn day closes at the first 02:30. Wall time maps to real time
  monotonically, so every window is one contiguous interval and adjacent windows stay adjacent.
* ``[s, e]`` with ``e > s`` is a same-day window; ``e == "24:00"`` ends at the following
  midnight; ``e < s`` is an overnight window ending at ``e`` on the next day. An overnight
  window belongs to the day it starts on: that day's date alone decides whether it applies.
* Holidays and ``closed_dates`` close every window starting on that date. ``open_dates``
  re-open such a date with its weekday's windows (on an ordinary working day they change
  nothing); an open date whose weekday has no windows at all (a working Saturday) borrows
  the windows of the first weekday, Monday to Sunday, that has any. Should a borrowed
  overnight window run into the next date's windows, the overlap counts once.
* The deadline ``add(start, d)`` is the instant at which ``d`` of open time has elapsed
  after ``start``. A budget that runs out exactly at a closing time gives that closing time;
  a zero budget at a closed instant gives the next opening (the clock starts there), so
  ``add(add(a, d1), d2) == add(a, d1 + d2)`` holds for every ``d2 > 0`` but not for ``d2 == 0``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = ["BusinessCalendar", "InvalidCalendarSpec", "DAY_KEYS"]

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPEC_KEYS = ("timezone", "windows", "holidays", "closed_dates", "open_dates")

_DAY = 86_400
_US = 1_000_000
_DAY_US = _DAY * _US
_ZERO = timedelta(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = _EPOCH.toordinal()
# An instant's local date is within a day of its UTC date (UTC offsets are under 24 h). The
# windows that may contain or follow it start on its local date, the day before (an overnight
# window still running) or, when the clock was set back across midnight, the day after.
_BACK = 2
_AHEAD = 3
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A calendar whose weekly pattern has windows cannot stay shut for longer than its explicit
# closed dates plus a few holidays; anything beyond this many empty days means a bug in the
# spec (say, every window falling into a DST gap), and we refuse rather than loop forever.
_IDLE_DAYS_LIMIT = 3_660


class InvalidCalendarSpec(ValueError):
    """The calendar spec cannot be used; the message names the offending key and value."""


class BusinessCalendar:
    """Open-time arithmetic over a weekly window pattern, holidays and extra dates.

    Build it with :meth:`from_spec`. Instances are immutable from the outside and cache the
    UTC intervals of every date they have looked at, so keep one per calendar and reuse it.
    """

    __slots__ = (
        "_tz",
        "_windows",
        "_holiday_country",
        "_closed",
        "_open",
        "_borrowed",
        "_has_windows",
        "_idle_limit",
        "_raw_days",
        "_days",
    )

    def __init__(
        self,
        *,
        tz: ZoneInfo,
        windows: tuple[tuple[tuple[int, int], ...], ...],
        holiday_country: str | None,
        closed_dates: frozenset[date],
        open_dates: frozenset[date],
    ) -> None:
        # windows[weekday] is a sorted tuple of (start, end) in seconds from that day's local
        # midnight; end is 86400 for "24:00" and above 86400 for an overnight window.
        self._tz = tz
        self._windows = windows
        self._holiday_country = holiday_country
        self._closed = frozenset(d.toordinal() for d in closed_dates)
        self._open = frozenset(d.toordinal() for d in open_dates)
        self._borrowed = next((w for w in windows if w), ())
        self._has_windows = bool(self._borrowed)
        self._idle_limit = _IDLE_DAYS_LIMIT + len(self._closed)
        self._raw_days: dict[int, tuple[tuple[int, int], ...]] = {}
        self._days: dict[int, tuple[tuple[tuple[int, int], ...], int]] = {}

    # ------------------------------------------------------------------ spec

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> BusinessCalendar:
        """Validate ``spec`` and build a calendar; raise :class:`InvalidCalendarSpec`."""
        if not isinstance(spec, dict):
            raise InvalidCalendarSpec(
                f"calendar spec must be a dict, got {type(spec).__name__}"
            )
        unknown = sorted(set(map(str, spec)) - set(SPEC_KEYS))
        if unknown:
            raise InvalidCalendarSpec(
                f"unknown key(s) {', '.join(map(repr, unknown))} in calendar spec; "
                f"expected {', '.join(SPEC_KEYS)}"
            )
        for key in ("timezone", "windows"):
            if key not in spec:
                raise InvalidCalendarSpec(f"calendar spec is missing the {key!r} key")

        tz = _parse_timezone(spec["timezone"])
        windows = _parse_windows(spec["windows"])
        country = _parse_holidays(spec.get("holidays"))
        closed = _parse_dates(spec.get("closed_dates", []), "closed_dates")
        opened = _parse_dates(spec.get("open_dates", []), "open_dates")
        both = sorted(closed & opened)
        if both:
            raise InvalidCalendarSpec(
                f"date {both[0].isoformat()} is listed in both closed_dates and open_dates"
            )
        return cls(
            tz=tz,
            windows=windows,
            holiday_country=country,
            closed_dates=closed,
            open_dates=opened,
        )

    def to_spec(self) -> dict[str, Any]:
        """The normalised spec: every day key, windows sorted, dates sorted and unique."""
        return {
            "timezone": self._tz.key,
            "windows": {
                key: [[_format_time(s), _format_end(e)] for s, e in self._windows[i]]
                for i, key in enumerate(DAY_KEYS)
            },
            "holidays": self._holiday_country,
            "closed_dates": [date.fromordinal(o).isoformat() for o in sorted(self._closed)],
            "open_dates": [date.fromordinal(o).isoformat() for o in sorted(self._open)],
        }

    @property
    def timezone(self) -> ZoneInfo:
        return self._tz

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self.to_spec() == other.to_spec()

    def __hash__(self) -> int:
        return hash(
            (self._tz.key, self._windows, self._holiday_country, self._closed, self._open)
        )

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self._tz.key} holidays={self._holiday_country}>"

    # ------------------------------------------------------------ arithmetic

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (aware, UTC) at which ``duration`` of open time has elapsed after
        ``start``. Zero duration gives ``start`` when open, else the next opening."""
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        # _to_us and _from_us inlined: this runs for every ticket and every SLA scan.
        try:
            since_epoch = start - _EPOCH
        except TypeError:
            raise _not_an_instant(start, "start") from None
        t = (since_epoch.days * _DAY + since_epoch.seconds) * _US + since_epoch.microseconds
        rem = (duration.days * _DAY + duration.seconds) * _US + duration.microseconds
        return _EPOCH + timedelta(0, 0, self._walk(t, rem))

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself (in UTC) if the calendar is open then, else the next opening."""
        t = _to_us(at, "at")
        return _from_us(self._walk(t, 0))

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` lies inside an open window (start inclusive, end exclusive)."""
        t = _to_us(at, "at")
        o = _utc_ordinal(t)
        for day in range(o - _BACK, o + _AHEAD):
            for s, e in self._day(day)[0]:
                if s <= t < e:
                    return True
        return False

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Open time from ``a`` to ``b``; negative when ``b`` is before ``a``."""
        ta = _to_us(a, "a")
        tb = _to_us(b, "b")
        if tb < ta:
            return -self.between(b, a)
        total = 0
        days = self._days
        for o in range(_utc_ordinal(ta) - _BACK, _utc_ordinal(tb) + _AHEAD):
            ivs, day_total = days.get(o) or self._day(o)
            if not ivs:
                continue
            if ivs[0][0] >= ta and ivs[-1][1] <= tb:
                total += day_total
                continue
            for s, e in ivs:
                if s < ta:
                    s = ta
                if e > tb:
                    e = tb
                if e > s:
                    total += e - s
        return timedelta(0, 0, total)

    def open_intervals(self, a: datetime, b: datetime) -> list[tuple[datetime, datetime]]:
        """The open stretches between ``a`` and ``b`` as sorted, disjoint ``(start, end)`` UTC
        pairs, clipped to ``[a, b)``; windows that touch (one ends where the next starts) are
        one stretch. Schedulers intersect these with other availability."""
        ta = _to_us(a, "a")
        tb = _to_us(b, "b")
        out: list[list[int]] = []
        for o in range(_utc_ordinal(ta) - _BACK, _utc_ordinal(tb) + _AHEAD):
            for s, e in (self._days.get(o) or self._day(o))[0]:
                s, e = max(s, ta), min(e, tb)
                if e <= s:
                    continue
                if out and out[-1][1] >= s:
                    out[-1][1] = max(out[-1][1], e)
                else:
                    out.append([s, e])
        return [(_from_us(s), _from_us(e)) for s, e in out]

    # -------------------------------------------------------------- internals

    def _walk(self, t: int, rem: int) -> int:
        """Consume ``rem`` microseconds of open time from instant ``t``."""
        if not self._has_windows:
            raise ValueError("the calendar has no open windows on any day of the week")
        days = self._days
        o = _utc_ordinal(t) - _BACK
        idle = 0
        while True:
            ivs, day_total = days.get(o) or self._day(o)
            if ivs and ivs[-1][1] > t:
                idle = 0
                if ivs[0][0] >= t and day_total < rem:
                    rem -= day_total
                else:
                    for s, e in ivs:
                        if e <= t:
                            continue
                        if s < t:
                            s = t
                        if e - s >= rem:
                            return s + rem
                        rem -= e - s
            else:
                idle += 1
                if idle > self._idle_limit:
                    raise ValueError(
                        f"the calendar has no open time for {idle} days after "
                        f"{_from_us(t).isoformat()}"
                    )
            o += 1

    def _day(self, o: int) -> tuple[tuple[tuple[int, int], ...], int]:
        """UTC intervals (microseconds since the epoch) opened by the date with ordinal
        ``o``, and their total length. Intervals are disjoint and sorted, and every interval
        of a date ends no later than the next date's first one starts."""
        entry = self._days.get(o)
        if entry is not None:
            return entry
        ivs = self._raw_day(o)
        prev = self._raw_day(o - 1)
        if ivs and prev and prev[-1][1] > ivs[0][0]:
            # Only a borrowed pattern can overlap its neighbour (the weekly pattern is
            # validated); count such open time once, on the earlier date.
            cut = prev[-1][1]
            ivs = tuple((max(s, cut), e) for s, e in ivs if e > cut)
        entry = (ivs, sum(e - s for s, e in ivs))
        self._days[o] = entry
        return entry

    def _raw_day(self, o: int) -> tuple[tuple[int, int], ...]:
        ivs = self._raw_days.get(o)
        if ivs is not None:
            return ivs
        pattern = self._pattern(o)
        if pattern:
            d = date.fromordinal(o)
            midnight = datetime(d.year, d.month, d.day)
            out = []
            for s, e in pattern:
                us = self._wall_to_us(midnight + timedelta(seconds=s))
                ue = self._wall_to_us(midnight + timedelta(seconds=e))
                # A window lying wholly inside a spring-forward gap never happens.
                if ue > us:
                    out.append((us, ue))
            ivs = tuple(out)
        else:
            ivs = ()
        self._raw_days[o] = ivs
        return ivs

    def _pattern(self, o: int) -> tuple[tuple[int, int], ...]:
        weekday = (o + 6) % 7  # date.fromordinal(1) is a Monday
        if o in self._open:
            return self._windows[weekday] or self._borrowed
        if o in self._closed or self._is_holiday(o):
            return ()
        return self._windows[weekday]

    def _is_holiday(self, o: int) -> bool:
        if self._holiday_country is None:
            return False
        return o in _holiday_ordinals(self._holiday_country, date.fromordinal(o).year)

    def _wall_to_us(self, wall: datetime) -> int:
        """The first instant at which the local wall clock reads ``wall`` or later.

        This maps wall time to real time monotonically, so a window stays one contiguous
        interval and adjacent windows stay adjacent:
        * a time repeated when clocks go back maps to its first occurrence (fold=0): a
          window covering the whole repeated hour is open through both passes, and one
          ending inside it closes at the first pass;
        * a time skipped when clocks go forward maps to the end of the gap (the transition
          instant): 02:30 on the spring day is 03:00 summer time, and a window wholly
          inside the gap is empty.
        """
        tz = self._tz
        u = _to_us(wall.replace(tzinfo=tz, fold=0), "wall") // _US
        if _wall_at(u, tz) == wall:
            return u * _US
        # Skipped time: fold=0 gives an instant after the transition and fold=1 one before
        # it; bisect (whole seconds; tz transitions are on whole seconds) for the transition.
        lo = _to_us(wall.replace(tzinfo=tz, fold=1), "wall") // _US
        hi = u
        while lo < hi:
            mid = (lo + hi) // 2
            if _wall_at(mid, tz) >= wall:
                hi = mid
            else:
                lo = mid + 1
        return hi * _US


# ---------------------------------------------------------------- helpers


def _to_us(dt: datetime, name: str) -> int:
    """Microseconds since the epoch of an aware datetime (exact, unlike timestamp())."""
    try:
        d = dt - _EPOCH
    except TypeError:
        # Subtracting an aware datetime fails for naive datetimes and for non-datetimes.
        raise _not_an_instant(dt, name) from None
    return (d.days * _DAY + d.seconds) * _US + d.microseconds


def _not_an_instant(value: Any, name: str) -> Exception:
    if not isinstance(value, datetime):
        return TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    return ValueError(
        f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}; "
        "attach the zone it was recorded in (e.g. tzinfo=ZoneInfo('Europe/Warsaw'))"
    )


def _utc_ordinal(us: int) -> int:
    return us // _DAY_US + _EPOCH_ORDINAL


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(0, 0, us)


@lru_cache(maxsize=256)
def _holiday_ordinals(country: str, year: int) -> frozenset[int]:
    """Public holidays of one country and year, computed on first use and shared."""
    return frozenset(d.toordinal() for d in holidays_lib.country_holidays(country, years=year))


def _wall_at(u: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(u, tz).replace(tzinfo=None)


def _parse_timezone(value: Any) -> ZoneInfo:
    if not isinstance(value, str) or not value:
        raise InvalidCalendarSpec(f"timezone must be an IANA zone name, got {value!r}")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidCalendarSpec(
            f"timezone {value!r} is not a known IANA zone name (e.g. 'Europe/Warsaw')"
        ) from exc


def _parse_time(value: Any, where: str, *, is_end: bool) -> int:
    match = _TIME_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidCalendarSpec(f"{where}: {value!r} is not a time in HH:MM form")
    h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
    if h == 24 and m == 0 and s == 0:
        if not is_end:
            raise InvalidCalendarSpec(
                f"{where}: a window cannot start at {value!r}; use '00:00' of the next day"
            )
        return _DAY
    if h > 23 or m > 59 or s > 59:
        raise InvalidCalendarSpec(f"{where}: {value!r} is not a valid time of day")
    return h * 3600 + m * 60 + s


def _parse_windows(value: Any) -> tuple[tuple[tuple[int, int], ...], ...]:
    if not isinstance(value, dict):
        raise InvalidCalendarSpec(
            f"windows must be a dict of day key -> list of [start, end], got {value!r}"
        )
    for key in value:
        if key not in DAY_KEYS:
            raise InvalidCalendarSpec(
                f"windows: unknown day key {key!r}; expected one of {', '.join(DAY_KEYS)}"
            )
    days: list[tuple[tuple[int, int], ...]] = []
    for key in DAY_KEYS:
        entries = value.get(key, [])
        if entries is None:
            entries = []
        if not isinstance(entries, (list, tuple)):
            raise InvalidCalendarSpec(
                f"windows[{key!r}] must be a list of [start, end] pairs, got {entries!r}"
            )
        parsed = []
        for i, pair in enumerate(entries):
            where = f"windows[{key!r}][{i}]"
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise InvalidCalendarSpec(
                    f"{where} must be a [start, end] pair like ['09:00', '15:00'], got {pair!r}"
                )
            start = _parse_time(pair[0], f"{where} start", is_end=False)
            end = _parse_time(pair[1], f"{where} end", is_end=True)
            if end == start:
                raise InvalidCalendarSpec(
                    f"{where} {list(pair)!r} is empty (start equals end); "
                    "a whole day is ['00:00', '24:00']"
                )
            if end < start:
                # Overnight: ends at `end` on the next day ("00:00" is the same as "24:00").
                end += _DAY
            parsed.append((start, end))
        parsed.sort()
        for (s1, e1), (s2, e2) in zip(parsed, parsed[1:], strict=False):
            if s2 < e1:
                raise InvalidCalendarSpec(
                    f"windows[{key!r}]: {_format_window(s1, e1)} overlaps "
                    f"{_format_window(s2, e2)}"
                )
        days.append(tuple(parsed))
    for i, key in enumerate(DAY_KEYS):
        if not days[i] or days[i][-1][1] <= _DAY:
            continue
        s, e = days[i][-1]
        nxt = (i + 1) % 7
        if days[nxt] and days[nxt][0][0] < e - _DAY:
            ns, ne = days[nxt][0]
            raise InvalidCalendarSpec(
                f"windows[{key!r}]: overnight {_format_window(s, e)} runs into "
                f"windows[{DAY_KEYS[nxt]!r}] {_format_window(ns, ne)}"
            )
    return tuple(days)


def _parse_holidays(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCalendarSpec(
            f"holidays must be a country code such as 'PL' or null, got {value!r}"
        )
    try:
        _holiday_ordinals(value, 2000)  # any year will do to check the country code
    except NotImplementedError as exc:
        raise InvalidCalendarSpec(
            f"holidays: {value!r} is not a country known to the holidays package "
            "(use an ISO 3166 code such as 'PL')"
        ) from exc
    return value


def _parse_dates(value: Any, key: str) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise InvalidCalendarSpec(
            f"{key} must be a list of YYYY-MM-DD strings, got {value!r}"
        )
    out = set()
    for item in value:
        if isinstance(item, str) and _DATE_RE.match(item):
            try:
                out.add(date.fromisoformat(item))
                continue
            except ValueError:
                pass
        raise InvalidCalendarSpec(f"{key}: {item!r} is not a date in YYYY-MM-DD form")
    return frozenset(out)


def _format_time(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}" if s else f"{h:02d}:{m:02d}"


def _format_end(end: int) -> str:
    if end == _DAY:
        return "24:00"
    return _format_time(end - _DAY if end > _DAY else end)


def _format_window(start: int, end: int) -> str:
    return f"{_format_time(start)}-{_format_end(end)}"
