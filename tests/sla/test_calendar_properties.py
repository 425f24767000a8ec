"""Property tests: BusinessCalendar against a brute-force reference over random calendars.

The reference knows nothing of the calendar's internals. It steps through time one UTC minute
at a time, reads the local wall clock at each minute and checks that reading against the
windows written in the spec. Wall-clock readings are taken as the clock's high-water mark:
during the hour repeated when clocks go back the clock has already shown 02:59:59, so the
second pass reads as that (a window boundary inside the repeated hour is reached at its first
occurrence; a boundary inside the spring gap is reached when the gap ends).
"""

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ZONES = ("Europe/Warsaw", "UTC", "America/New_York")
RANGE_START = datetime(2026, 1, 1, tzinfo=UTC)
RANGE_END = datetime(2028, 1, 1, tzinfo=UTC)
# Minutes of the day worth hitting often: midnight, both DST hours, common office hours.
INTERESTING_MINUTES = (
    0, 1, 59, 60, 90, 119, 120, 121, 150, 179, 180, 181, 240, 420, 540, 900, 1320, 1439, 1440,
)


def _transitions(zone):
    tz = ZoneInfo(zone)
    found = []
    t = RANGE_START
    offset = t.astimezone(tz).utcoffset()
    while t < RANGE_END:
        t += timedelta(hours=1)
        now = t.astimezone(tz).utcoffset()
        if now != offset:
            found.append(t)
            offset = now
    return found


DST_CHANGES = {zone: _transitions(zone) for zone in ZONES}


# ------------------------------------------------------------------ reference


@lru_cache(maxsize=None)
def _reference_holidays(code):
    if code is None:
        return frozenset()
    return frozenset(holidays.country_holidays(code, years=range(2025, 2030)))


def _minutes(text):
    h, m = text.split(":")
    return int(h) * 60 + int(m)


class Reference:
    """Open/closed by minute, straight from the spec."""

    def __init__(self, spec):
        self.spec = spec
        self.tz = ZoneInfo(spec["timezone"])
        self.holidays = _reference_holidays(spec.get("holidays"))
        self.closed = {date.fromisoformat(d) for d in spec.get("closed_dates", [])}
        self.opened = {date.fromisoformat(d) for d in spec.get("open_dates", [])}
        self._windows_of = {}

    def windows_starting_on(self, day):
        """Naive local [start, end) of every window that starts on `day`."""
        if day in self._windows_of:
            return self._windows_of[day]
        windows = self.spec["windows"].get(DAYS[day.weekday()], [])
        if day in self.opened:
            if not windows:
                windows = next((self.spec["windows"][k] for k in DAYS if self.spec["windows"].get(k)), [])
        elif day in self.closed or day in self.holidays:
            windows = []
        midnight = datetime(day.year, day.month, day.day)
        out = []
        for start_text, end_text in windows:
            start = _minutes(start_text)
            end = _minutes(end_text)
            if end <= start:  # overnight, or "00:00" meaning the next midnight
                end += 24 * 60
            out.append((midnight + timedelta(minutes=start), midnight + timedelta(minutes=end)))
        self._windows_of[day] = out
        return out

    def reading(self, instant):
        """The wall clock's high-water mark at `instant` (naive local time)."""
        local = instant.astimezone(self.tz)
        if local.fold == 0:
            return local.replace(tzinfo=None)
        first_repeat = instant
        while (first_repeat - MINUTE).astimezone(self.tz).fold == 1:
            first_repeat -= MINUTE
        return (first_repeat - timedelta(seconds=1)).astimezone(self.tz).replace(tzinfo=None)

    def is_open(self, instant):
        clock = self.reading(instant)
        for day in (clock.date() - timedelta(days=1), clock.date()):
            for start, end in self.windows_starting_on(day):
                if start <= clock < end:
                    return True
        return False

    def walk(self, start, budget_minutes, max_minutes):
        """Step from `start` (a whole UTC minute). Returns (deadline, open_before) where
        open_before[i] is the number of open minutes in [start, start + i minutes)."""
        open_before = [0]
        u = start
        while len(open_before) <= max_minutes:
            is_open = self.is_open(u)
            if budget_minutes == 0 and is_open:
                return u, open_before
            if is_open:
                open_before.append(open_before[-1] + 1)
                if open_before[-1] == budget_minutes:
                    return u + MINUTE, open_before
            else:
                open_before.append(open_before[-1])
            u += MINUTE
        return None, open_before


def _weekly_open_minutes(spec):
    total = 0
    for windows in spec["windows"].values():
        for s, e in windows:
            start, end = _minutes(s), _minutes(e)
            total += end - start if end > start else end + 24 * 60 - start
    return total


# ------------------------------------------------------------------ strategies


def _format(minute):
    return f"{minute // 60:02d}:{minute % 60:02d}"


minute_of_day = st.one_of(st.integers(0, 1440), st.sampled_from(INTERESTING_MINUTES))


@st.composite
def weekly_windows(draw):
    days = {}
    overnight_tail = {}
    for key in DAYS:
        count = draw(st.integers(0, 3))
        points = sorted(set(draw(st.lists(minute_of_day, min_size=2 * count, max_size=2 * count))))
        if len(points) % 2:
            points = points[:-1]
        days[key] = [[points[i], points[i + 1]] for i in range(0, len(points), 2)]
        if days[key] and draw(st.booleans()):
            overnight_tail[key] = draw(minute_of_day)
    for i, key in enumerate(DAYS):
        if key not in overnight_tail:
            continue
        # The day's last window runs on past midnight: it must end before it would start
        # again and before the next day's first window.
        last = days[key][-1]
        nxt = days[DAYS[(i + 1) % 7]]
        limit = min([overnight_tail[key], last[0] - 1] + ([nxt[0][0]] if nxt else []))
        last[1] = 1440 + limit if limit > 0 else 1440
    return {
        key: [[_format(s), _format(e % 1440) if e > 1440 else _format(e)] for s, e in windows]
        for key, windows in days.items()
    }


@st.composite
def start_instants(draw, zone):
    """A whole-minute UTC instant in 2026-2027, often within days of a DST change."""
    changes = DST_CHANGES[zone]
    if changes and draw(st.booleans()):
        base = draw(st.sampled_from(changes))
        offset = draw(st.integers(-3 * 24 * 60, 2 * 24 * 60))
        return base + timedelta(minutes=offset)
    total = int((RANGE_END - RANGE_START) / MINUTE) - 1
    return RANGE_START + timedelta(minutes=draw(st.integers(0, total)))


@st.composite
def calendars_and_starts(draw):
    zone = draw(st.sampled_from(ZONES))
    start = draw(start_instants(zone))
    local_day = start.astimezone(ZoneInfo(zone)).date()
    near = st.integers(-2, 21).map(lambda n: (local_day + timedelta(days=n)).isoformat())
    closed = set(draw(st.lists(near, max_size=6)))
    opened = set(draw(st.lists(near, max_size=4))) - closed
    spec = {
        "timezone": zone,
        "windows": draw(weekly_windows()),
        "holidays": draw(st.sampled_from(["PL", None])),
        "closed_dates": sorted(closed),
        "open_dates": sorted(opened),
    }
    return spec, start


def _budget_cap(spec, cap_minutes):
    """Keep durations within about three weeks of nominal open time, so that the minute
    stepping reference stays quick on sparse calendars."""
    return min(cap_minutes, 3 * _weekly_open_minutes(spec))


# ------------------------------------------------------------------ properties


@given(data=st.data(), case=calendars_and_starts())
def test_add_and_between_match_minute_stepping_reference(data, case):
    spec, start = case
    weekly = _weekly_open_minutes(spec)
    assume(weekly > 0)
    budget = data.draw(st.integers(0, _budget_cap(spec, 80 * 60)), label="budget minutes")
    note(f"spec={spec!r} start={start.isoformat()}")
    cal = BusinessCalendar.from_spec(spec)
    reference = Reference(spec)

    expected, open_before = reference.walk(start, budget, max_minutes=60 * 24 * 60)
    assume(expected is not None)  # shut for two months by closed dates and holidays

    assert cal.add(start, timedelta(minutes=budget)) == expected
    assert cal.between(start, expected) == timedelta(minutes=budget)

    i = data.draw(st.integers(0, len(open_before) - 1), label="between offset minutes")
    b = start + i * MINUTE
    assert cal.between(start, b) == timedelta(minutes=open_before[i])
    assert cal.between(b, start) == -timedelta(minutes=open_before[i])
    assert cal.is_open(b) == reference.is_open(b)
    next_opening, _ = reference.walk(b, 0, max_minutes=60 * 24 * 60)
    if next_opening is not None:
        assert cal.next_open(b) == next_opening


near_dst_minute = st.one_of(st.integers(0, 300), st.sampled_from(INTERESTING_MINUTES))


@st.composite
def dst_night_cases(draw):
    """Windows with boundaries around 00:00-05:00 every day, a start within a day and a half
    before a DST change: every combination of gap and repeated-hour boundaries."""
    zone = draw(st.sampled_from(("Europe/Warsaw", "America/New_York")))
    change = draw(st.sampled_from(DST_CHANGES[zone]))
    start = change - timedelta(minutes=draw(st.integers(0, 36 * 60)))
    windows = {}
    for key in DAYS:
        points = sorted(set(draw(st.lists(near_dst_minute, min_size=2, max_size=4))))
        if len(points) % 2:
            points = points[:-1]
        pairs = [[points[i], points[i + 1]] for i in range(0, len(points), 2)]
        earliest_evening = max([18 * 60] + [end for _, end in pairs])
        if earliest_evening < 1440 and draw(st.booleans()):
            # an evening window that may run on past midnight into these hours
            evening = draw(st.integers(earliest_evening, 1439))
            tail = min([draw(near_dst_minute), evening - 1] + ([pairs[0][0]] if pairs else []))
            pairs.append([evening, 1440 + tail if tail > 0 else 1440])
        windows[key] = pairs
    # an overnight tail must stay clear of the next day's first window
    for i, key in enumerate(DAYS):
        nxt = windows[DAYS[(i + 1) % 7]]
        if windows[key] and windows[key][-1][1] > 1440 and nxt:
            end = min(windows[key][-1][1], 1440 + nxt[0][0])
            windows[key][-1][1] = end
    spec = {
        "timezone": zone,
        "windows": {
            key: [[_format(s), _format(e - 1440) if e > 1440 else _format(e)] for s, e in pairs]
            for key, pairs in windows.items()
        },
        "holidays": None,
    }
    return spec, start


@given(data=st.data(), case=dst_night_cases())
def test_dst_nights_match_minute_stepping_reference(data, case):
    spec, start = case
    assume(_weekly_open_minutes(spec) > 0)
    budget = data.draw(st.integers(0, _budget_cap(spec, 12 * 60)), label="budget minutes")
    note(f"spec={spec!r} start={start.isoformat()}")
    cal = BusinessCalendar.from_spec(spec)
    reference = Reference(spec)

    expected, open_before = reference.walk(start, budget, max_minutes=30 * 24 * 60)
    assume(expected is not None)

    assert cal.add(start, timedelta(minutes=budget)) == expected
    i = data.draw(st.integers(0, len(open_before) - 1), label="between offset minutes")
    assert cal.between(start, start + i * MINUTE) == timedelta(minutes=open_before[i])
    assert cal.is_open(start + i * MINUTE) == reference.is_open(start + i * MINUTE)


second_durations = st.integers(0, 200 * 3600).map(lambda s: timedelta(seconds=s))


def _second_precision_start(draw, start):
    seconds = draw(st.integers(0, 59))
    microseconds = draw(st.sampled_from([0, 0, 1, 500_000]))
    return start + timedelta(seconds=seconds, microseconds=microseconds)


@given(data=st.data(), case=calendars_and_starts(), duration=second_durations)
def test_between_inverts_add(data, case, duration):
    spec, start = case
    assume(_weekly_open_minutes(spec) > 0)
    a = _second_precision_start(data.draw, start)
    cal = BusinessCalendar.from_spec(spec)

    due = cal.add(a, duration)

    assert due >= a
    assert due.tzinfo is UTC
    assert cal.between(a, due) == duration
    assert cal.add(a.astimezone(ZoneInfo("Asia/Kolkata")), duration) == due


@given(data=st.data(), case=calendars_and_starts(), d1=second_durations, d2=second_durations)
def test_add_is_monotonic(data, case, d1, d2):
    spec, start = case
    assume(_weekly_open_minutes(spec) > 0)
    a = _second_precision_start(data.draw, start)
    cal = BusinessCalendar.from_spec(spec)
    d1, d2 = sorted((d1, d2))

    assert cal.add(a, d1) <= cal.add(a, d2)


@given(data=st.data(), case=calendars_and_starts(), d1=second_durations, d2=second_durations)
def test_add_is_additive(data, case, d1, d2):
    spec, start = case
    assume(_weekly_open_minutes(spec) > 0)
    a = _second_precision_start(data.draw, start)
    cal = BusinessCalendar.from_spec(spec)

    first = cal.add(a, d1)
    if d2 > timedelta(0):
        assert cal.add(first, d2) == cal.add(a, d1 + d2)
    else:
        # A budget that ran out at a closing time stops there; restarting the clock from
        # that instant with nothing left waits for the next opening.
        assert cal.add(first, d2) == cal.next_open(first)


@given(data=st.data(), case=calendars_and_starts(), gaps=st.lists(second_durations, min_size=2, max_size=2))
def test_between_is_additive_over_consecutive_spans(data, case, gaps):
    spec, start = case
    a = _second_precision_start(data.draw, start)
    b = a + gaps[0]
    c = b + gaps[1]
    cal = BusinessCalendar.from_spec(spec)

    assert cal.between(a, b) + cal.between(b, c) == cal.between(a, c)
    assert timedelta(0) <= cal.between(a, c) <= c - a


@given(case=calendars_and_starts())
def test_spec_round_trips(case):
    spec, _ = case
    cal = BusinessCalendar.from_spec(spec)

    again = BusinessCalendar.from_spec(cal.to_spec())

    assert again == cal
    assert again.to_spec() == cal.to_spec()


@pytest.mark.parametrize("zone", ZONES)
def test_transition_table_covers_both_years(zone):
    # Guards the strategy above: the DST-heavy starts need the changes to exist.
    expected = 0 if zone == "UTC" else 4
    assert len(DST_CHANGES[zone]) == expected
