"""Benchmark: reaction deadlines per second, sla.calendar vs the businesstimedelta package.

    .venv/bin/python bench/bench_calendar.py [--cases N] [--seed S]

Builds the demo catalogue's calendars, draws a fixed seeded mix of tickets (receipt instants
over 2026-2027, budgets of 2/4/8/12 h), computes every deadline with BusinessCalendar.add and
the same deadlines with businesstimedelta (WorkDayRule + HolidayRule on the same Polish
holidays). businesstimedelta expresses one plain window a day on chosen weekdays, with or
without a holiday rule, which covers the whole catalogue; it cannot express several windows
a day, closed or open dates, or a window ending at 24:00.

Prints both rates (CPU time of this process, so other load on the machine does not skew the
ratio), the speed-up, and every disagreement with its cause. A second, untimed part checks
two calendars beyond the catalogue where the two are known to part ways (an overnight shift,
and a window over the hours the clocks change) and explains the differences.
Exit status 1 when the speed-up is below 30x.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import businesstimedelta  # noqa: E402
import holidays  # noqa: E402
import pytz  # noqa: E402

from sla.calendar import BusinessCalendar  # noqa: E402

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = WEEKDAYS + ("sat", "sun")
BUDGETS_HOURS = (2, 4, 8, 12)
RANGE_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
RANGE_SECONDS = int((datetime(2028, 1, 1, tzinfo=timezone.utc) - RANGE_START).total_seconds())
WARSAW = "Europe/Warsaw"
MIN_SPEEDUP = 30

# CPU time of this process.
clock = time.process_time


class Case:
    """One calendar in both libraries: a single window [start, end) on `days`."""

    def __init__(self, label, days, start, end, holidays_country):
        self.label = label
        self.days = days
        self.start = start
        self.end = end
        self.holidays_country = holidays_country

    @property
    def spec(self):
        return {
            "timezone": WARSAW,
            "windows": {day: [[self.start, self.end]] for day in self.days},
            "holidays": self.holidays_country,
            "closed_dates": [],
            "open_dates": [],
        }

    def ours(self):
        return BusinessCalendar.from_spec(self.spec)

    def theirs(self, pl):
        tz = pytz.timezone(WARSAW)
        workday = businesstimedelta.WorkDayRule(
            start_time=_time(self.start),
            end_time=_time(self.end),
            working_days=[ALL_DAYS.index(day) for day in self.days],
            tz=tz,
        )
        rules = [workday]
        if self.holidays_country:
            rules.append(businesstimedelta.HolidayRule(pl, tz=tz))
        return businesstimedelta.Rules(rules)


def _time(text):
    hours, minutes = map(int, text.split(":"))
    return clock_time(hours, minutes)


CATALOGUE = [
    Case("wysylki/COMMUNITY", WEEKDAYS, "10:00", "13:00", "PL"),
    Case("wysylki/EMAIL", WEEKDAYS, "09:00", "15:00", "PL"),
    Case("wysylki/START", WEEKDAYS, "08:00", "16:00", "PL"),
    Case("wysylki/STANDARD", WEEKDAYS, "07:00", "17:00", "PL"),
    Case("kjm/working hours", WEEKDAYS, "07:00", "16:00", "PL"),
    Case("kjm/critical", ALL_DAYS, "07:00", "22:00", None),
]
BEYOND_CATALOGUE = [
    Case("night shift Mon-Fri 22-07, PL", WEEKDAYS, "22:00", "07:00", "PL"),
    Case("every day 02:00-05:00", ALL_DAYS, "02:00", "05:00", None),
]


def catalogue_mix(n, seed):
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        calendar = rng.randrange(len(CATALOGUE))
        received = RANGE_START + timedelta(seconds=rng.randrange(RANGE_SECONDS))
        cases.append((calendar, received, timedelta(hours=rng.choice(BUDGETS_HOURS))))
    return cases


def edge_mix(n, seed, calendars, anchors):
    """Receipts within days of a DST change, Christmas or Easter."""
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        received = rng.choice(anchors) + timedelta(seconds=rng.randrange(-4 * 86400, 2 * 86400))
        cases.append((rng.randrange(len(calendars)), received, timedelta(hours=rng.choice(BUDGETS_HOURS))))
    return cases


def run_ours(calendars, cases):
    started = clock()
    results = [calendars[i].add(received, budget) for i, received, budget in cases]
    return results, clock() - started


def run_theirs(rules, cases):
    started = clock()
    results = [
        received + businesstimedelta.BusinessTimeDelta(rules[i], timedelta=budget)
        for i, received, budget in cases
    ]
    return results, clock() - started


def dst_changes():
    tz = ZoneInfo(WARSAW)
    changes = []
    t = RANGE_START
    offset = t.astimezone(tz).utcoffset()
    while t < RANGE_START + timedelta(seconds=RANGE_SECONDS):
        t += timedelta(hours=1)
        if t.astimezone(tz).utcoffset() != offset:
            offset = t.astimezone(tz).utcoffset()
            changes.append(t)
    return changes


def explain(case, ours_calendar, received, ours, theirs, changes, pl):
    """The cause of a disagreement, from the calendar's shape and what the span contains."""
    tz = ZoneInfo(WARSAW)
    local = received.astimezone(tz)
    overnight = _time(case.end) < _time(case.start)
    end = max(ours, theirs)
    if overnight and ours_calendar.is_open(received):
        return ("received inside an overnight window: businesstimedelta's WorkDayRule skips the "
                "rest of it and starts at the next window (it keeps the receipt's own date only "
                "before the window's start time, and never the window begun the day before)")
    if any(received - timedelta(days=1) <= change <= end for change in changes):
        changed_hour = (_time("02:00"), _time("03:00"))
        if changed_hour[0] <= _time(case.start) <= changed_hour[1] or (
            changed_hour[0] <= _time(case.end) <= changed_hour[1]
        ):
            return ("window boundary in the hour the clocks change: businesstimedelta localizes it "
                    "with pytz is_dst=False (on the autumn day 02:00 is its second occurrence, "
                    "sla.calendar takes the first, so the window has its real 4 h, not 3 h)")
        return "DST change in the span"
    day, last = (local - timedelta(days=1)).date(), end.astimezone(tz).date()
    while day <= last:
        if day in pl:
            if overnight:
                return ("overnight window next to a holiday: businesstimedelta closes the "
                        "holiday's calendar day 00:00-24:00, RULES 4.2 closes the windows that "
                        "start on it")
            return f"holiday in the span ({pl.get(day)})"
        day += timedelta(days=1)
    return "other"


def report_disagreements(cases, calendars, specs, ours_results, theirs_results, changes, pl):
    causes = Counter()
    examples = {}
    for (i, received, budget), ours, theirs in zip(cases, ours_results, theirs_results, strict=True):
        if ours != theirs:
            cause = explain(specs[i], calendars[i], received, ours, theirs, changes, pl)
            causes[cause] += 1
            examples.setdefault(cause, (specs[i].label, received, budget, ours, theirs))
    print(f"disagreements: {sum(causes.values())} of {len(cases)}")
    tz = ZoneInfo(WARSAW)
    for cause, count in causes.most_common():
        label, received, budget, ours, theirs = examples[cause]
        print(f"  {count:6}  {cause}")
        print(f"          e.g. {label}, received {received.astimezone(tz).isoformat()}, "
              f"budget {budget}: sla.calendar {ours.astimezone(tz).isoformat()}, "
              f"businesstimedelta {theirs.astimezone(tz).isoformat()}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args(argv)

    pl = holidays.country_holidays("PL", years=range(2025, 2030))
    changes = dst_changes()
    cases = catalogue_mix(args.cases, args.seed)
    print(f"catalogue: {len(cases)} deadlines on {len(CATALOGUE)} calendars (seed {args.seed}), "
          f"receipts over 2026-2027, budgets {'/'.join(map(str, BUDGETS_HOURS))} h")
    for i, case in enumerate(CATALOGUE):
        print(f"  {case.label:20} {', '.join(case.days[::len(case.days) - 1])} "
              f"{case.start}-{case.end} holidays={case.holidays_country}: "
              f"{sum(1 for c in cases if c[0] == i)} cases")

    fresh = [case.ours() for case in CATALOGUE]
    ours_results, ours_fresh = run_ours(fresh, cases)
    _, ours_warm = run_ours(fresh, cases)
    theirs_results, theirs_time = run_theirs([case.theirs(pl) for case in CATALOGUE], cases)
    fresh_rate, warm_rate, theirs_rate = (len(cases) / t for t in (ours_fresh, ours_warm, theirs_time))
    print(f"sla.calendar, fresh calendars  : {fresh_rate:10,.0f} deadlines per CPU second")
    print(f"sla.calendar, warm day caches  : {warm_rate:10,.0f} deadlines per CPU second")
    print(f"businesstimedelta              : {theirs_rate:10,.0f} deadlines per CPU second")
    speedup = fresh_rate / theirs_rate
    print(f"speed-up: {speedup:.1f}x from fresh calendars, {warm_rate / theirs_rate:.1f}x warm "
          f"(required: {MIN_SPEEDUP}x)")
    report_disagreements(cases, fresh, CATALOGUE, ours_results, theirs_results, changes, pl)

    anchors = changes + [
        datetime(2026, 12, 24, tzinfo=timezone.utc),
        datetime(2027, 12, 24, tzinfo=timezone.utc),
        datetime(2026, 4, 5, tzinfo=timezone.utc),
        datetime(2027, 3, 28, tzinfo=timezone.utc),
    ]
    edge = edge_mix(4000, args.seed, BEYOND_CATALOGUE, anchors)
    print()
    print(f"beyond the catalogue (untimed): {len(edge)} deadlines received within days of a DST "
          "change, Christmas or Easter")
    for case in BEYOND_CATALOGUE:
        print(f"  {case.label}")
    ours_calendars = [case.ours() for case in BEYOND_CATALOGUE]
    ours_results, _ = run_ours(ours_calendars, edge)
    theirs_results, _ = run_theirs([case.theirs(pl) for case in BEYOND_CATALOGUE], edge)
    report_disagreements(edge, ours_calendars, BEYOND_CATALOGUE, ours_results, theirs_results, changes, pl)
    return 0 if speedup >= MIN_SPEEDUP else 1


if __name__ == "__main__":
    sys.exit(main())
