import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest

from sla.calendar import DAY_KEYS, BusinessCalendar, InvalidCalendarSpec

WARSAW = ZoneInfo("Europe/Warsaw")
UTC = timezone.utc
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def calendar(windows, *, holidays_=None, tz="Europe/Warsaw", closed=(), opened=()):
    return BusinessCalendar.from_spec(
        {
            "timezone": tz,
            "windows": windows,
            "holidays": holidays_,
            "closed_dates": list(closed),
            "open_dates": list(opened),
        }
    )


def weekdays(start, end, **kwargs):
    return calendar({d: [[start, end]] for d in WEEKDAYS}, **kwargs)


def every_day(*windows, **kwargs):
    return calendar({d: [list(w) for w in windows] for d in DAY_KEYS}, **kwargs)


def at(text):
    """An aware datetime from ISO text with an explicit offset."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


def wall(y, m, d, h=0, mi=0, s=0, us=0, fold=0):
    return datetime(y, m, d, h, mi, s, us, tzinfo=WARSAW, fold=fold)


def local_day(iso):
    """[midnight, next midnight) of a Warsaw calendar date, as aware datetimes."""
    d = date.fromisoformat(iso)
    nxt = d + timedelta(days=1)
    return wall(d.year, d.month, d.day), wall(nxt.year, nxt.month, nxt.day)


EMAIL = weekdays("09:00", "15:00", holidays_="PL")
KJM_CRITICAL = every_day(("07:00", "22:00"))
NON_STOP = every_day(("00:00", "24:00"))

H = timedelta(hours=1)


# ------------------------------------------------------------ worked examples


@pytest.mark.parametrize(
    ("cal", "received", "budget", "due"),
    [
        (EMAIL, "2026-11-23T14:00+01:00", 12 * H, "2026-11-25T14:00+01:00"),
        (EMAIL, "2026-11-27T16:30+01:00", 12 * H, "2026-12-01T15:00+01:00"),
        # 24 (Wigilia), 25 and 26 December are closed.
        (EMAIL, "2026-12-23T14:00+01:00", 12 * H, "2026-12-29T14:00+01:00"),
        # 30 min on Saturday, then the clocks go forward overnight: 07:00 CEST + 1 h 30 min.
        (KJM_CRITICAL, "2026-03-28T21:30+01:00", 2 * H, "2026-03-29T08:30+02:00"),
        # The same across the autumn change.
        (KJM_CRITICAL, "2026-10-24T21:30+02:00", 2 * H, "2026-10-25T08:30+01:00"),
    ],
)
def test_worked_examples(cal, received, budget, due):
    result = cal.add(at(received), budget)

    assert result == at(due)
    assert result.tzinfo is UTC
    assert cal.between(at(received), result) == budget


def test_rules_example_counts_one_six_and_five_hours():
    monday, tuesday, wednesday = (local_day(d) for d in ("2026-11-23", "2026-11-24", "2026-11-25"))

    assert EMAIL.between(wall(2026, 11, 23, 14), monday[1]) == 1 * H
    assert EMAIL.between(*tuesday) == 6 * H
    assert EMAIL.between(wednesday[0], wall(2026, 11, 25, 14)) == 5 * H


def test_holidays_do_not_close_a_calendar_without_holiday_source():
    # Christmas Day 2026 is a Friday; the critical calendar stays open.
    assert KJM_CRITICAL.is_open(wall(2026, 12, 25, 10))
    assert KJM_CRITICAL.between(*local_day("2026-12-25")) == 15 * H


# -------------------------------------------------------------------- DST


@pytest.mark.parametrize(
    ("day", "length"),
    [
        ("2026-03-29", 23 * H),
        ("2026-10-25", 25 * H),
        ("2027-03-28", 23 * H),
        ("2027-10-31", 25 * H),
        ("2026-03-28", 24 * H),
        ("2026-10-26", 24 * H),
    ],
)
def test_full_day_window_counts_real_length_of_the_day(day, length):
    start, end = local_day(day)

    assert NON_STOP.between(start, end) == length
    assert NON_STOP.add(start, length) == end
    assert NON_STOP.add(start, 5 * H) == start.astimezone(UTC) + 5 * H


@pytest.mark.parametrize(
    ("day", "length"),
    [
        ("2026-03-29", timedelta(0)),  # 02:00-03:00 never shows on the clock
        ("2026-10-25", 2 * H),  # shows twice: 02:00-03:00 CEST and 02:00-03:00 CET
        ("2027-03-28", timedelta(0)),
        ("2027-10-31", 2 * H),
        ("2026-06-14", 1 * H),
    ],
)
def test_window_over_the_changed_hour(day, length):
    cal = every_day(("02:00", "03:00"))

    assert cal.between(*local_day(day)) == length


@pytest.mark.parametrize(
    ("day", "length"),
    [("2026-03-29", 2 * H), ("2026-10-25", 4 * H), ("2027-03-28", 2 * H), ("2027-10-31", 4 * H)],
)
def test_window_spanning_the_change_counts_real_time(day, length):
    cal = every_day(("01:00", "04:00"))

    assert cal.between(*local_day(day)) == length


def test_window_starting_in_the_spring_gap_opens_when_the_gap_ends():
    cal = every_day(("02:30", "05:00"))

    opening = cal.next_open(wall(2026, 3, 29, 0))

    assert opening == at("2026-03-29T03:00+02:00")
    assert cal.between(*local_day("2026-03-29")) == 2 * H
    assert not cal.is_open(at("2026-03-29T00:59:59+00:00"))
    assert cal.is_open(at("2026-03-29T01:00:00+00:00"))


def test_window_ending_in_the_spring_gap_closes_when_the_gap_ends():
    cal = every_day(("00:00", "02:30"))

    # 00:00 CET to 03:00 CEST: two real hours.
    assert cal.between(*local_day("2026-03-29")) == 2 * H
    assert cal.add(wall(2026, 3, 29, 1, 30), 30 * timedelta(minutes=1)) == at("2026-03-29T03:00+02:00")


def test_ambiguous_boundaries_use_the_first_occurrence():
    ends_in_fold = every_day(("00:00", "02:30"))
    starts_in_fold = every_day(("02:30", "08:00"))
    second_pass = wall(2026, 10, 25, 2, 10, fold=1)  # 01:10 UTC
    assert second_pass.astimezone(UTC) == at("2026-10-25T01:10+00:00")

    # Closes at the first 02:30 (CEST) and stays closed through the repeated hour.
    assert ends_in_fold.between(*local_day("2026-10-25")) == timedelta(hours=2, minutes=30)
    assert not ends_in_fold.is_open(second_pass)
    assert ends_in_fold.is_open(wall(2026, 10, 25, 2, 10, fold=0))
    # Opens at the first 02:30 and runs continuously to 08:00 CET: 6 h 30 min real time.
    assert starts_in_fold.between(*local_day("2026-10-25")) == timedelta(hours=6, minutes=30)
    assert starts_in_fold.is_open(second_pass)
    assert starts_in_fold.next_open(wall(2026, 10, 25, 1)) == at("2026-10-25T02:30+02:00")


@pytest.mark.parametrize(("night", "length"), [("2026-03-28", 8 * H), ("2026-10-24", 10 * H)])
def test_overnight_window_across_dst_counts_real_time(night, length):
    cal = every_day(("22:00", "07:00"))
    d = date.fromisoformat(night)
    start = wall(d.year, d.month, d.day, 22)

    assert cal.add(start, length) == wall(d.year, d.month, d.day + 1, 7).astimezone(UTC)
    assert cal.between(start, start + timedelta(days=1)) == length


# --------------------------------------------------------------- holidays


def test_polish_holidays_include_christmas_eve_from_2025():
    assert date(2025, 12, 24) in holidays.country_holidays("PL", years=2025)
    assert date(2024, 12, 24) not in holidays.country_holidays("PL", years=2024)


@pytest.mark.parametrize(
    ("holiday", "next_opening"),
    [
        ("2026-12-24", "2026-12-28T09:00+01:00"),  # Thu; 25, 26 Dec and the weekend follow
        ("2026-04-06", "2026-04-07T09:00+02:00"),  # Easter Monday 2026
        ("2027-03-29", "2027-03-30T09:00+02:00"),  # Easter Monday 2027, day after DST change
        ("2027-11-01", "2027-11-02T09:00+01:00"),  # All Saints' Day, a Monday
        ("2026-11-11", "2026-11-12T09:00+01:00"),  # Independence Day, a Wednesday
        ("2027-11-11", "2027-11-12T09:00+01:00"),  # a Thursday
    ],
)
def test_holidays_close_the_day(holiday, next_opening):
    d = date.fromisoformat(holiday)
    morning = wall(d.year, d.month, d.day, 10)

    assert not EMAIL.is_open(morning)
    assert EMAIL.between(*local_day(holiday)) == timedelta(0)
    assert EMAIL.next_open(morning) == at(next_opening)


def test_same_calendar_without_holidays_is_open_on_them():
    plain = weekdays("09:00", "15:00")

    assert plain.is_open(wall(2026, 12, 24, 10))
    assert plain.is_open(wall(2026, 4, 6, 10))


def test_closed_dates_close_a_working_day():
    cal = weekdays("09:00", "15:00", holidays_="PL", closed=["2026-08-14"])

    assert not cal.is_open(wall(2026, 8, 14, 10))
    # Thu 13 Aug 14:00: 1 h Thursday, Friday closed, 15 Aug is Saturday, then Monday.
    assert cal.add(wall(2026, 8, 13, 14), 2 * H) == at("2026-08-17T10:00+02:00")


def test_open_date_reopens_a_holiday_with_its_weekday_windows():
    cal = weekdays("09:00", "15:00", holidays_="PL", opened=["2026-12-24"])

    assert cal.is_open(wall(2026, 12, 24, 10))
    assert cal.between(*local_day("2026-12-24")) == 6 * H
    assert cal.add(wall(2026, 12, 23, 14), 12 * H) == at("2026-12-28T14:00+01:00")


def test_open_date_on_a_day_without_windows_borrows_the_first_weekday_with_windows():
    cal = calendar(
        {"tue": [["10:00", "12:00"]], "wed": [["08:00", "16:00"]]},
        opened=["2026-12-05"],  # a Saturday
    )

    assert cal.between(*local_day("2026-12-05")) == 2 * H
    assert cal.next_open(wall(2026, 12, 5, 0)) == at("2026-12-05T10:00+01:00")
    assert cal.between(*local_day("2026-12-12")) == timedelta(0)


def test_open_date_on_an_ordinary_working_day_changes_nothing():
    cal = weekdays("09:00", "15:00", holidays_="PL", opened=["2026-12-02"])

    assert cal.between(*local_day("2026-12-02")) == 6 * H


def test_borrowed_overnight_window_is_counted_once_when_it_overlaps_the_next_day():
    # Monday's pattern ends its overnight window at 07:00 Tuesday; borrowed for Sunday it
    # runs into Monday's own 06:00-08:00 window, and the overlap counts once.
    cal = calendar({"mon": [["06:00", "08:00"], ["22:00", "07:00"]]}, opened=["2026-12-06"])

    start = wall(2026, 12, 6, 0)
    end = wall(2026, 12, 7, 12)

    # Sun 06:00-08:00, Sun 22:00 - Mon 08:00.
    assert cal.between(start, end) == 12 * H
    assert cal.add(start, 12 * H) == at("2026-12-07T08:00+01:00")


# ---------------------------------------------------------- window shapes


def test_window_ending_at_midnight():
    cal = calendar({"fri": [["18:00", "24:00"]]})

    assert cal.add(wall(2026, 12, 4, 23), 1 * H) == at("2026-12-05T00:00+01:00")
    assert cal.add(wall(2026, 12, 4, 23), 2 * H) == at("2026-12-11T19:00+01:00")
    assert cal.is_open(wall(2026, 12, 4, 23, 59, 59, 999999))
    assert not cal.is_open(wall(2026, 12, 5, 0))


def test_overnight_window_belongs_to_its_start_day():
    cal = calendar({"mon": [["22:00", "07:00"]]})

    assert cal.is_open(wall(2026, 12, 7, 22))
    assert cal.is_open(wall(2026, 12, 8, 6, 59, 59))
    assert not cal.is_open(wall(2026, 12, 8, 7))
    assert not cal.is_open(wall(2026, 12, 7, 21, 59, 59))
    assert cal.between(wall(2026, 12, 7), wall(2026, 12, 14)) == 9 * H
    assert cal.add(wall(2026, 12, 8, 3), 5 * H) == at("2026-12-14T23:00+01:00")


def test_overnight_window_friday_into_saturday():
    cal = calendar({"fri": [["20:00", "02:00"]]})

    assert cal.add(wall(2026, 12, 4, 21), 4 * H) == at("2026-12-05T01:00+01:00")
    assert cal.add(wall(2026, 12, 4, 21), 5 * H) == at("2026-12-05T02:00+01:00")
    assert cal.add(wall(2026, 12, 4, 21), 6 * H) == at("2026-12-11T21:00+01:00")
    assert cal.is_open(wall(2026, 12, 5, 1, 30))
    assert cal.between(wall(2026, 12, 4), wall(2026, 12, 6)) == 6 * H


def test_overnight_window_is_decided_by_its_start_date():
    cal = every_day(("22:00", "06:00"), holidays_="PL")

    # 23 Dec night runs into Wigilia: open, the holiday is the next day.
    assert cal.is_open(wall(2026, 12, 24, 3))
    # 24 Dec night starts on a holiday: closed, although 25 Dec is the day it runs into.
    assert not cal.is_open(wall(2026, 12, 24, 23))
    assert not cal.is_open(wall(2026, 12, 25, 3))
    # 26 Dec is the last holiday; the night of the 27th is the next one open.
    assert cal.next_open(wall(2026, 12, 24, 7)) == at("2026-12-27T22:00+01:00")
    assert cal.between(wall(2026, 12, 23, 12), wall(2026, 12, 28)) == 10 * H


def test_several_windows_per_day():
    cal = calendar({"mon": [["13:00", "17:00"], ["08:00", "12:00"]]})

    assert cal.add(wall(2026, 12, 7, 11), 2 * H) == at("2026-12-07T14:00+01:00")
    assert cal.add(wall(2026, 12, 7, 11), 1 * H) == at("2026-12-07T12:00+01:00")
    assert not cal.is_open(wall(2026, 12, 7, 12, 30))
    assert cal.next_open(wall(2026, 12, 7, 12, 30)) == at("2026-12-07T13:00+01:00")
    assert cal.between(*local_day("2026-12-07")) == 8 * H


def test_adjacent_windows_are_continuous():
    cal = calendar({"mon": [["08:00", "12:00"], ["12:00", "16:00"]]})

    assert cal.is_open(wall(2026, 12, 7, 12))
    assert cal.add(wall(2026, 12, 7, 11), 2 * H) == at("2026-12-07T13:00+01:00")


# ----------------------------------------------------------- zero, long, precise


def test_zero_duration_at_an_open_instant_is_that_instant():
    start = wall(2026, 11, 23, 10, 15, 30, 123)

    assert EMAIL.add(start, timedelta(0)) == start
    assert EMAIL.add(start, timedelta(0)).tzinfo is UTC


@pytest.mark.parametrize(
    ("received", "opening"),
    [
        ("2026-11-23T08:00+01:00", "2026-11-23T09:00+01:00"),
        ("2026-11-23T15:00+01:00", "2026-11-24T09:00+01:00"),  # closing time is closed
        ("2026-11-28T12:00+01:00", "2026-11-30T09:00+01:00"),
    ],
)
def test_zero_duration_at_a_closed_instant_is_the_next_opening(received, opening):
    assert EMAIL.add(at(received), timedelta(0)) == at(opening)
    assert EMAIL.next_open(at(received)) == at(opening)


def test_budget_running_out_at_closing_time_gives_closing_time():
    assert EMAIL.add(at("2026-11-23T14:00+01:00"), 1 * H) == at("2026-11-23T15:00+01:00")
    # ...and a zero budget from there moves on to the next opening.
    assert EMAIL.add(at("2026-11-23T15:00+01:00"), timedelta(0)) == at("2026-11-24T09:00+01:00")


def _independent_workday_deadline(start_day, hours_per_day, opening_hour, budget_hours, open_day):
    """Count whole open days from start_day (inclusive, receipt before opening)."""
    day = start_day
    left = budget_hours
    while True:
        if open_day(day):
            if left <= hours_per_day:
                return datetime(day.year, day.month, day.day, opening_hour, tzinfo=WARSAW) + timedelta(
                    hours=left
                )
            left -= hours_per_day
        day += timedelta(days=1)


def test_500_hours_on_the_email_calendar():
    pl = holidays.country_holidays("PL", years=range(2026, 2028))

    def open_day(d):
        return d.weekday() < 5 and d not in pl

    expected = _independent_workday_deadline(date(2026, 1, 2), 6, 9, 500, open_day)

    result = EMAIL.add(wall(2026, 1, 2, 7), 500 * H)

    assert result == expected
    assert EMAIL.between(wall(2026, 1, 2, 7), expected) == 500 * H


def test_500_hours_on_the_critical_calendar_over_dst():
    expected = _independent_workday_deadline(date(2026, 3, 1), 15, 7, 500, lambda d: True)

    assert KJM_CRITICAL.add(wall(2026, 3, 1, 6), 500 * H) == expected


def test_500_hours_non_stop_is_500_real_hours():
    start = at("2026-03-20T10:00+01:00")

    assert NON_STOP.add(start, 500 * H) == start + 500 * H
    assert NON_STOP.add(start, 500 * H) == at("2026-04-10T07:00+02:00")


def test_seconds_precision():
    start = wall(2026, 11, 23, 9, 0, 17)

    assert EMAIL.add(start, timedelta(hours=1, seconds=43)) == at("2026-11-23T10:01:00+01:00")
    assert EMAIL.add(wall(2026, 11, 23, 14, 59, 59), timedelta(seconds=2)) == at(
        "2026-11-24T09:00:01+01:00"
    )
    assert EMAIL.add(wall(2026, 11, 23, 14, 59, 59, 500000), timedelta(microseconds=750000)) == at(
        "2026-11-24T09:00:00.250000+01:00"
    )
    assert EMAIL.between(start, at("2026-11-23T10:01:00+01:00")) == timedelta(hours=1, seconds=43)


# ---------------------------------------------------------------- between


@pytest.mark.parametrize(
    ("cal", "a", "b", "expected"),
    [
        (EMAIL, "2026-11-23T14:00+01:00", "2026-11-25T14:00+01:00", 12 * H),
        (EMAIL, "2026-11-27T16:30+01:00", "2026-12-01T15:00+01:00", 12 * H),
        (EMAIL, "2026-12-23T14:00+01:00", "2026-12-29T14:00+01:00", 12 * H),
        (EMAIL, "2026-11-28T10:00+01:00", "2026-11-29T10:00+01:00", timedelta(0)),
        (KJM_CRITICAL, "2026-03-28T21:30+01:00", "2026-03-29T08:30+02:00", 2 * H),
        (KJM_CRITICAL, "2026-03-28T00:00+01:00", "2026-03-30T00:00+02:00", 30 * H),
    ],
)
def test_between(cal, a, b, expected):
    assert cal.between(at(a), at(b)) == expected
    assert cal.between(at(b), at(a)) == -expected
    assert cal.between(at(a), at(a)) == timedelta(0)


# --------------------------------------------------------- is_open, next_open


def test_is_open_at_boundaries():
    assert EMAIL.is_open(wall(2026, 11, 23, 9))
    assert EMAIL.is_open(wall(2026, 11, 23, 14, 59, 59, 999999))
    assert not EMAIL.is_open(wall(2026, 11, 23, 15))
    assert not EMAIL.is_open(wall(2026, 11, 23, 8, 59, 59, 999999))
    assert not EMAIL.is_open(wall(2026, 11, 28, 10))  # Saturday


def test_next_open():
    assert EMAIL.next_open(wall(2026, 11, 23, 10)) == at("2026-11-23T09:00:00+00:00")
    assert EMAIL.next_open(wall(2026, 11, 27, 16, 30)) == at("2026-11-30T09:00+01:00")
    assert EMAIL.next_open(wall(2026, 12, 23, 16)) == at("2026-12-28T09:00+01:00")
    assert EMAIL.next_open(wall(2026, 11, 23, 10)).tzinfo is UTC


# ------------------------------------------------------------ input zones


@pytest.mark.parametrize(
    "received",
    ["2026-11-23T14:00+01:00", "2026-11-23T13:00+00:00", "2026-11-23T18:00+05:00"],
)
def test_input_zone_does_not_matter(received):
    due = at("2026-11-25T14:00+01:00")

    assert EMAIL.add(at(received), 12 * H) == due
    assert EMAIL.add(at(received).astimezone(ZoneInfo("America/New_York")), 12 * H) == due
    assert EMAIL.between(at(received), due.astimezone(ZoneInfo("Asia/Tokyo"))) == 12 * H
    assert EMAIL.is_open(at(received))
    assert EMAIL.next_open(at(received)) == at(received)


def test_naive_datetimes_are_rejected():
    naive = datetime(2026, 11, 23, 14)
    aware = wall(2026, 11, 23, 14)

    with pytest.raises(ValueError, match="timezone-aware"):
        EMAIL.add(naive, H)
    with pytest.raises(ValueError, match="timezone-aware"):
        EMAIL.between(naive, aware)
    with pytest.raises(ValueError, match="timezone-aware"):
        EMAIL.between(aware, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        EMAIL.next_open(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        EMAIL.is_open(naive)


def test_negative_duration_is_rejected():
    with pytest.raises(ValueError, match="negative"):
        EMAIL.add(wall(2026, 11, 23, 14), -H)


def test_calendar_without_windows_has_no_open_time():
    cal = calendar({})

    assert not cal.is_open(wall(2026, 11, 23, 10))
    assert cal.between(wall(2026, 1, 1), wall(2027, 1, 1)) == timedelta(0)
    with pytest.raises(ValueError, match="no open windows"):
        cal.add(wall(2026, 11, 23, 10), H)


# ------------------------------------------------------------ invalid specs


def _spec(**changes):
    spec = {
        "timezone": "Europe/Warsaw",
        "windows": {"mon": [["09:00", "15:00"]]},
        "holidays": "PL",
        "closed_dates": [],
        "open_dates": [],
    }
    spec.update(changes)
    return spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (["not", "a", "dict"], "must be a dict"),
        ({"windows": {}}, "missing the 'timezone' key"),
        ({"timezone": "UTC"}, "missing the 'windows' key"),
        (_spec(weekends=[]), "unknown key(s) 'weekends'"),
        (_spec(timezone="Europe/Atlantis"), "'Europe/Atlantis' is not a known IANA zone"),
        (_spec(timezone="../etc/passwd"), "'../etc/passwd' is not a known IANA zone"),
        (_spec(timezone=""), "timezone must be an IANA zone name"),
        (_spec(timezone=None), "timezone must be an IANA zone name"),
        (_spec(windows=[["09:00", "15:00"]]), "windows must be a dict"),
        (_spec(windows={"monday": [["09:00", "15:00"]]}), "unknown day key 'monday'"),
        (_spec(windows={"mon": ["09:00", "15:00"]}), "windows['mon'][0] must be a [start, end] pair"),
        (_spec(windows={"mon": [["09:00", "12:00", "15:00"]]}), "must be a [start, end] pair"),
        (_spec(windows={"mon": "09:00-15:00"}), "windows['mon'] must be a list"),
        (_spec(windows={"mon": [["9:00", "15:00"]]}), "windows['mon'][0] start: '9:00' is not a time"),
        (_spec(windows={"mon": [["09:00", "15.00"]]}), "windows['mon'][0] end: '15.00' is not a time"),
        (_spec(windows={"mon": [["09:00", 15]]}), "windows['mon'][0] end: 15 is not a time"),
        (_spec(windows={"tue": [["25:00", "26:00"]]}), "windows['tue'][0] start: '25:00' is not a valid"),
        (_spec(windows={"tue": [["09:60", "10:00"]]}), "'09:60' is not a valid time"),
        (_spec(windows={"tue": [["09:00", "24:01"]]}), "'24:01' is not a valid time"),
        (_spec(windows={"wed": [["24:00", "02:00"]]}), "cannot start at '24:00'"),
        (_spec(windows={"thu": [["09:00", "09:00"]]}), "windows['thu'][0] ['09:00', '09:00'] is empty"),
        (_spec(windows={"thu": [["00:00", "00:00"]]}), "is empty"),
        (
            _spec(windows={"fri": [["09:00", "12:00"], ["11:00", "15:00"]]}),
            "windows['fri']: 09:00-12:00 overlaps 11:00-15:00",
        ),
        (
            _spec(windows={"fri": [["20:00", "02:00"], ["21:00", "23:00"]]}),
            "windows['fri']: 20:00-02:00 overlaps 21:00-23:00",
        ),
        (
            _spec(windows={"mon": [["22:00", "07:00"]], "tue": [["06:00", "10:00"]]}),
            "windows['mon']: overnight 22:00-07:00 runs into windows['tue'] 06:00-10:00",
        ),
        (
            _spec(windows={"sun": [["23:00", "01:00"]], "mon": [["00:30", "10:00"]]}),
            "windows['sun']: overnight 23:00-01:00 runs into windows['mon'] 00:30-10:00",
        ),
        (_spec(holidays="XX"), "holidays: 'XX' is not a country"),
        (_spec(holidays="pl"), "holidays: 'pl' is not a country"),
        (_spec(holidays=True), "holidays must be a country code"),
        (_spec(closed_dates=["2026-02-30"]), "closed_dates: '2026-02-30' is not a date"),
        (_spec(closed_dates=["20260214"]), "closed_dates: '20260214' is not a date"),
        (_spec(open_dates=["14.02.2026"]), "open_dates: '14.02.2026' is not a date"),
        (_spec(open_dates="2026-02-14"), "open_dates must be a list"),
        (
            _spec(closed_dates=["2026-12-24"], open_dates=["2026-12-24"]),
            "2026-12-24 is listed in both closed_dates and open_dates",
        ),
    ],
)
def test_invalid_specs_are_explained(spec, message):
    with pytest.raises(InvalidCalendarSpec) as excinfo:
        BusinessCalendar.from_spec(spec)

    assert message in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


# ------------------------------------------------------------- round trip


def test_to_spec_is_normalised():
    cal = BusinessCalendar.from_spec(
        {
            "timezone": "Europe/Warsaw",
            "windows": {
                "mon": [["13:00", "17:00"], ["08:00", "12:00:30"]],
                "fri": [["22:00", "00:00"]],
                "sat": [["20:00", "02:00"]],
            },
            "closed_dates": ["2026-08-14", "2026-05-04", "2026-08-14"],
        }
    )

    assert cal.to_spec() == {
        "timezone": "Europe/Warsaw",
        "windows": {
            "mon": [["08:00", "12:00:30"], ["13:00", "17:00"]],
            "tue": [],
            "wed": [],
            "thu": [],
            "fri": [["22:00", "24:00"]],
            "sat": [["20:00", "02:00"]],
            "sun": [],
        },
        "holidays": None,
        "closed_dates": ["2026-05-04", "2026-08-14"],
        "open_dates": [],
    }


@pytest.mark.parametrize("cal", [EMAIL, KJM_CRITICAL, NON_STOP])
def test_spec_round_trip(cal):
    spec = cal.to_spec()
    again = BusinessCalendar.from_spec(json.loads(json.dumps(spec)))

    assert again == cal
    assert hash(again) == hash(cal)
    assert again.to_spec() == spec
    assert again.add(wall(2026, 12, 23, 14), 12 * H) == cal.add(wall(2026, 12, 23, 14), 12 * H)


def test_round_trip_keeps_extra_dates():
    cal = weekdays("09:00", "15:00", holidays_="PL", closed=["2026-08-14"], opened=["2026-12-24"])

    assert BusinessCalendar.from_spec(cal.to_spec()) == cal
    assert cal.to_spec()["closed_dates"] == ["2026-08-14"]
    assert cal.to_spec()["open_dates"] == ["2026-12-24"]
