"""Paused clocks (sla.clock) against a brute-force reference that steps minute by minute.

Every instant in these tests is on a whole minute and every window boundary too, so counting the
minutes that are open and not paused is an exact, independent model of business time with pauses.
The start days sit on the DST changes of 2026 in Europe/Warsaw and around Polish holidays.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla import clock
from sla.calendar import DAY_KEYS, BusinessCalendar

WARSAW = ZoneInfo("Europe/Warsaw")
UTC = timezone.utc
MINUTE = timedelta(minutes=1)


def _calendar(windows: dict, holidays_: str | None = "PL") -> BusinessCalendar:
    return BusinessCalendar.from_spec({"timezone": "Europe/Warsaw", "windows": windows, "holidays": holidays_,
                                       "closed_dates": [], "open_dates": []})


CALENDARS = [
    _calendar({d: [["09:00", "15:00"]] for d in DAY_KEYS[:5]}),                  # e-mail plan, PL holidays
    _calendar({d: [["08:00", "16:00"]] for d in DAY_KEYS[:5]}),                  # standard
    _calendar({d: [["07:00", "22:00"]] for d in DAY_KEYS}, holidays_=None),      # KJM critical, every day
    _calendar({d: [["00:00", "24:00"]] for d in DAY_KEYS}, holidays_=None),      # non-stop, DST days 23/25 h
    _calendar({d: [["02:15", "03:30"], ["22:00", "01:45"]] for d in DAY_KEYS}),  # windows across the change
]
# Local midnights near the spring and autumn changes, All Saints, Independence Day, Christmas, New Year.
BASE_DAYS = [datetime(2026, 3, 27, tzinfo=WARSAW), datetime(2026, 10, 23, tzinfo=WARSAW),
             datetime(2026, 10, 30, tzinfo=WARSAW), datetime(2026, 11, 10, tzinfo=WARSAW),
             datetime(2026, 12, 23, tzinfo=WARSAW), datetime(2026, 12, 31, tzinfo=WARSAW)]


def _minute(base: datetime, offset: int) -> datetime:
    return base.astimezone(UTC) + offset * MINUTE


def _paused(pauses, t: datetime) -> bool:
    return any(s <= t and (e is None or t < e) for s, e in pauses)


def brute_due(cal: BusinessCalendar, start: datetime, budget_minutes: int, pauses, horizon: int):
    t, counted = start, 0
    for _ in range(horizon):
        if counted == budget_minutes:
            return t
        if cal.is_open(t) and not _paused(pauses, t):
            counted += 1
        t += MINUTE
    return t if counted == budget_minutes else None


def brute_elapsed(cal: BusinessCalendar, start: datetime, at: datetime, pauses) -> timedelta:
    t, counted = start, 0
    while t < at:
        if cal.is_open(t) and not _paused(pauses, t):
            counted += 1
        t += MINUTE
    return counted * MINUTE


@st.composite
def scenarios(draw):
    cal = draw(st.sampled_from(CALENDARS))
    base = draw(st.sampled_from(BASE_DAYS))
    start = _minute(base, draw(st.integers(0, 3 * 24 * 60)))
    budget = draw(st.integers(1, 14 * 60))
    pauses = []
    cursor = start - timedelta(hours=draw(st.integers(0, 3)))
    for _ in range(draw(st.integers(0, 4))):
        cursor += draw(st.integers(0, 36 * 60)) * MINUTE
        length = draw(st.none() | st.integers(0, 30 * 60))
        if length is None:
            pauses.append((cursor, None))
            break
        pauses.append((cursor, cursor + length * MINUTE))
        # Sometimes the next pause overlaps or touches this one (waiting for customer, then for a package).
        cursor += draw(st.integers(0, length)) * MINUTE
    return cal, start, budget, pauses


HORIZON = 10 * 24 * 60


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_due_time_matches_minute_stepping(scenario):
    cal, start, budget, pauses = scenario
    expected = brute_due(cal, start, budget, pauses, HORIZON)
    got = clock.due_at(cal, start, budget * MINUTE, pauses)
    if expected is None:
        # Not reached within the horizon: only an open-ended pause can stop the clock for good.
        assert got is None or got > start + HORIZON * MINUTE
    else:
        assert got == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 4 * 24 * 60))
def test_elapsed_matches_minute_stepping(scenario, later):
    cal, start, _budget, pauses = scenario
    at = start + later * MINUTE
    assert clock.elapsed(cal, start, at, pauses) == brute_elapsed(cal, start, at, pauses)


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_a_due_time_is_where_the_elapsed_time_reaches_the_budget(scenario):
    cal, start, budget, pauses = scenario
    due = clock.due_at(cal, start, budget * MINUTE, pauses)
    if due is not None:
        assert clock.elapsed(cal, start, due, pauses) == budget * MINUTE
        assert clock.elapsed(cal, start, due - MINUTE, pauses) < budget * MINUTE


def test_a_pause_moves_the_due_time_by_its_open_length_only():
    cal = CALENDARS[0]  # Mon–Fri 9–15, PL holidays
    start = datetime(2026, 11, 9, 9, 0, tzinfo=WARSAW)  # Monday
    assert clock.due_at(cal, start, timedelta(hours=8)) == datetime(2026, 11, 10, 11, 0, tzinfo=WARSAW)
    # waiting on the customer Monday 12:00 → Tuesday 10:00: 3 h + 1 h of open time stopped;
    # Wednesday 11 November is a holiday, so the two remaining hours fall on Thursday.
    pauses = [(datetime(2026, 11, 9, 12, 0, tzinfo=WARSAW), datetime(2026, 11, 10, 10, 0, tzinfo=WARSAW))]
    assert clock.due_at(cal, start, timedelta(hours=8), pauses) == datetime(2026, 11, 10, 15, 0, tzinfo=WARSAW)
    assert clock.due_at(cal, start, timedelta(hours=10), pauses) == datetime(2026, 11, 12, 11, 0, tzinfo=WARSAW)


def test_an_open_pause_leaves_the_due_time_unknown_unless_the_budget_ran_out_before_it():
    cal = CALENDARS[0]
    start = datetime(2026, 11, 9, 9, 0, tzinfo=WARSAW)
    pause = [(datetime(2026, 11, 9, 12, 0, tzinfo=WARSAW), None)]
    assert clock.due_at(cal, start, timedelta(hours=4), pause) is None
    assert clock.due_at(cal, start, timedelta(hours=3), pause) == datetime(2026, 11, 9, 12, 0, tzinfo=WARSAW)


def test_merge_joins_overlapping_and_touching_pauses():
    a = datetime(2026, 1, 5, 10, tzinfo=UTC)
    h = timedelta(hours=1)
    assert clock.merge_pauses([(a + 2 * h, a + 3 * h), (a, a + h), (a + h, a + 2 * h), (a + 5 * h, a + 5 * h)]) \
        == [(a, a + 3 * h)]
    assert clock.merge_pauses([(a, a + h), (a + h / 2, None), (a + 4 * h, a + 5 * h)]) == [(a, None)]
