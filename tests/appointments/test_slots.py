"""The slot finder against a brute-force reference that steps minute by minute (no database)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from appointments.slots import free_slots, intersect, subtract, team_free_slots, team_slots
from sla.calendar import BusinessCalendar

WARSAW = ZoneInfo("Europe/Warsaw")
UTC = timezone.utc
MINUTE = timedelta(minutes=1)
# Last Sundays of March and October: the clocks go forward 02:00→03:00 and back 03:00→02:00.
DST_DAYS = [date(2026, 3, 29), date(2026, 10, 25), date(2025, 3, 30), date(2025, 10, 26)]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def calendar(windows: list[tuple[str, str]], holidays="PL") -> BusinessCalendar:
    return BusinessCalendar.from_spec({"timezone": "Europe/Warsaw", "holidays": holidays,
                                       "windows": {d: [list(w) for w in windows] for d in DAYS}})


def reference(cal: BusinessCalendar, busy, length, step, buffer, not_before, not_after):
    """Every minute from not_before: on the grid, inside bounds, open each minute, clear of busy ± buffer."""
    out = []
    t = not_before
    while t + length <= not_after:
        seconds = int((t - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
        if seconds % int(step.total_seconds()) == 0:
            minute, ok = t, True
            while minute < t + length:
                if not cal.is_open(minute):
                    ok = False
                    break
                minute += MINUTE
            if ok and all(t + length + buffer <= b0 or t >= b1 + buffer for b0, b1 in busy if b1 > b0):
                out.append(t)
        t += MINUTE
    return out


hhmm = st.integers(min_value=0, max_value=24 * 4 - 1).map(lambda q: f"{q // 4:02d}:{q % 4 * 15:02d}")


@st.composite
def scenario(draw):
    day = draw(st.sampled_from(DST_DAYS + [date(2026, 6, 3), date(2026, 12, 24)]))
    windows = []
    for _ in range(draw(st.integers(1, 3))):
        a, b = sorted(draw(st.lists(hhmm, min_size=2, max_size=2, unique=True)))
        windows.append((a, b))
    windows.sort()
    merged = []
    for a, b in windows:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    origin = datetime(day.year, day.month, day.day, tzinfo=WARSAW).astimezone(UTC) - timedelta(hours=2)
    span = timedelta(hours=30)
    minute = st.integers(0, int(span.total_seconds() // 60))
    busy = []
    for _ in range(draw(st.integers(0, 4))):
        s = origin + timedelta(minutes=draw(minute))
        busy.append((s, s + timedelta(minutes=draw(st.integers(0, 180)))))
    lo = origin + timedelta(minutes=draw(minute))
    hi = lo + timedelta(minutes=draw(st.integers(0, int(span.total_seconds() // 60))))
    return dict(cal=calendar(merged), busy=busy, lo=lo, hi=hi,
                length=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90]))),
                step=timedelta(minutes=draw(st.sampled_from([5, 15, 30]))),
                buffer=timedelta(minutes=draw(st.sampled_from([0, 5, 10, 15]))))


@given(scenario())
def test_free_slots_match_minute_stepping_reference(s):
    # given the open stretches of a calendar (DST days included), sessions held and bounds
    open_ = s["cal"].open_intervals(s["lo"], s["hi"])
    # when the slots are found
    got = free_slots(open_intervals=open_, busy=s["busy"], length=s["length"], step=s["step"],
                     buffer=s["buffer"], not_before=s["lo"], not_after=s["hi"])
    # then they are exactly those a minute-by-minute walk accepts
    assert got == reference(s["cal"], s["busy"], s["length"], s["step"], s["buffer"], s["lo"], s["hi"])


@given(st.lists(scenario(), min_size=1, max_size=4), st.integers(0, 3))
def test_team_free_slots_equal_merging_each_agents_slots(agents, preferred):
    # given several agents (each their own open stretches and sessions held) and common bounds
    lo, hi = agents[0]["lo"], agents[0]["hi"]
    length, step, buffer = agents[0]["length"], agents[0]["step"], agents[0]["buffer"]
    open_by_agent = {i: a["cal"].open_intervals(lo, hi) for i, a in enumerate(agents)}
    busy_by_agent = {i: a["busy"] for i, a in enumerate(agents)}
    preference = [preferred] if preferred < len(agents) else []
    # when the team's slots are found in one pass
    got = team_free_slots(open_by_agent=open_by_agent, busy_by_agent=busy_by_agent, length=length, step=step,
                          buffer=buffer, not_before=lo, not_after=hi, preference=preference)
    # then they equal each agent's free_slots merged by team_slots, and every start is one of theirs
    per_agent = {i: free_slots(open_intervals=open_by_agent[i], busy=busy_by_agent[i], length=length, step=step,
                               buffer=buffer, not_before=lo, not_after=hi) for i in open_by_agent}
    assert got == team_slots(per_agent, preference=preference)
    # and the same with the sessions held given as whole seconds, as the database returns them
    seconds = {i: [(int(a.timestamp()), int(b.timestamp())) for a, b in busy] for i, busy in busy_by_agent.items()}
    assert got == team_free_slots(open_by_agent=open_by_agent, busy_seconds_by_agent=seconds, length=length,
                                  step=step, buffer=buffer, not_before=lo, not_after=hi, preference=preference)
    for start, keys in got:
        assert all(start in per_agent[k] for k in keys)


@given(scenario())
def test_open_intervals_agree_with_is_open(s):
    open_ = s["cal"].open_intervals(s["lo"], s["hi"])
    t = s["lo"]
    while t < s["hi"]:
        inside = any(a <= t < b for a, b in open_)
        assert inside == s["cal"].is_open(t)
        t += timedelta(minutes=7)
    assert all(a < b for a, b in open_) and all(x[1] < y[0] for x, y in zip(open_, open_[1:], strict=False))


def test_spring_forward_day_has_no_slot_in_the_skipped_hour():
    # given a window 01:00-05:00 on 29 March 2026 (02:00-03:00 does not exist): 3 real hours
    cal = calendar([("01:00", "05:00")], holidays=None)
    lo = datetime(2026, 3, 28, 23, tzinfo=UTC)
    slots = free_slots(open_intervals=cal.open_intervals(lo, lo + timedelta(days=1)), busy=[],
                       length=timedelta(minutes=60), step=timedelta(minutes=60),
                       not_before=lo, not_after=lo + timedelta(days=1))
    assert [s.astimezone(WARSAW).strftime("%H:%M") for s in slots] == ["01:00", "03:00", "04:00"]


def test_fall_back_day_has_one_more_hour():
    # given 01:00-04:00 on 25 October 2026: 02:00-03:00 happens twice, 4 real hours
    cal = calendar([("01:00", "04:00")], holidays=None)
    lo = datetime(2026, 10, 24, 22, tzinfo=UTC)
    slots = free_slots(open_intervals=cal.open_intervals(lo, lo + timedelta(days=1)), busy=[],
                       length=timedelta(minutes=60), step=timedelta(minutes=60),
                       not_before=lo, not_after=lo + timedelta(days=1))
    assert [s.astimezone(WARSAW).strftime("%H:%M%z") for s in slots] == [
        "01:00+0200", "02:00+0200", "02:00+0100", "03:00+0100"]


def test_holiday_has_no_slots_and_buffer_keeps_sessions_apart():
    cal = calendar([("08:00", "16:00")])
    may_day = datetime(2026, 5, 1, tzinfo=WARSAW)
    assert cal.open_intervals(may_day, may_day + timedelta(days=1)) == []
    day = datetime(2026, 5, 4, tzinfo=WARSAW)
    busy = [(day.replace(hour=10), day.replace(hour=11))]
    slots = free_slots(open_intervals=cal.open_intervals(day, day + timedelta(days=1)), busy=busy,
                       length=timedelta(minutes=30), step=timedelta(minutes=15), buffer=timedelta(minutes=10),
                       not_before=day, not_after=day + timedelta(days=1))
    local = [s.astimezone(WARSAW).strftime("%H:%M") for s in slots]
    assert "09:15" in local and "09:30" not in local and "11:00" not in local and "11:15" in local


def test_intersect_subtract_and_team_merge():
    t = lambda h: datetime(2026, 5, 4, h, tzinfo=UTC)  # noqa: E731
    assert intersect([(t(8), t(12)), (t(13), t(16))], [(t(10), t(14))]) == [(t(10), t(12)), (t(13), t(14))]
    assert subtract([(t(8), t(16))], [(t(10), t(11))]) == [(t(8), t(10)), (t(11), t(16))]
    merged = team_slots({"a": [t(8), t(9)], "b": [t(9)], "m": [t(9)]}, preference=["m"])
    assert merged == [(t(8), ["a"]), (t(9), ["m", "a", "b"])]


def test_rejects_naive_and_float_inputs():
    with pytest.raises(TypeError):
        free_slots(open_intervals=[], busy=[], length=timedelta(minutes=30), step=timedelta(minutes=15),
                   not_before=datetime(2026, 1, 1), not_after=datetime(2026, 1, 2, tzinfo=UTC))
    with pytest.raises(ValueError):
        free_slots(open_intervals=[], busy=[], length=timedelta(0), step=timedelta(minutes=15),
                   not_before=datetime(2026, 1, 1, tzinfo=UTC), not_after=datetime(2026, 1, 2, tzinfo=UTC))


def test_team_busy_seconds_must_be_whole_seconds():
    lo = datetime(2026, 6, 3, 6, tzinfo=UTC)
    with pytest.raises(TypeError):
        team_free_slots(open_by_agent={1: [(lo, lo + timedelta(hours=4))]}, busy_seconds_by_agent={1: [(1.5, 2)]},
                        length=timedelta(minutes=30), step=timedelta(minutes=15), not_before=lo,
                        not_after=lo + timedelta(hours=4))
