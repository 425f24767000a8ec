"""Slot search: one agent over 60 days and a team of 20 agents, the pure core end to end.

What one booking page computes, minus the four database reads: the plan's service hours as open
stretches (``BusinessCalendar.open_intervals``, Polish holidays), intersected with each agent's own
working hours, absences removed, then ``free_slots`` around the sessions already held (three a
working day, 10-minute buffers) and ``team_slots`` merging the agents. "cold" builds new calendars
for every search (nothing cached); "warm" reuses them, as the process-wide calendar cache does.

    PYTHONPATH=. .venv/bin/python bench/bench_slots.py [--rounds 200] [--days 60] [--team 20]

Fails when a p50 is above its target (one agent 30 ms, the team 100 ms).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from appointments.slots import free_slots, intersect, subtract, team_slots  # noqa: E402
from sla.calendar import BusinessCalendar  # noqa: E402

WARSAW = ZoneInfo("Europe/Warsaw")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
SERVICE = {"timezone": "Europe/Warsaw", "holidays": "PL",
           "windows": {d: ([["07:00", "17:00"]] if d in WEEKDAYS else []) for d in WEEKDAYS + ("sat", "sun")}}
TARGETS_MS = {"one agent": 30.0, "team": 100.0}


def agent_spec(i: int) -> dict:
    start = ["07:00", "08:00", "09:00"][i % 3]
    end = ["15:00", "16:00", "17:00"][i % 3]
    return {"timezone": "Europe/Warsaw", "holidays": "PL",
            "windows": {d: ([[start, "12:00"], ["12:30", end]] if d in WEEKDAYS else [])
                        for d in WEEKDAYS + ("sat", "sun")}}


def busy_for(rng: random.Random, begin: datetime, days: int):
    busy = []
    for day in range(days):
        local = (begin + timedelta(days=day)).astimezone(WARSAW).replace(hour=0, minute=0, second=0)
        for _ in range(3):
            start = local.replace(hour=rng.randint(8, 15), minute=rng.choice([0, 15, 30, 45]))
            busy.append((start, start + timedelta(minutes=rng.choice([30, 60, 90]))))
    absences = [(begin + timedelta(days=10), begin + timedelta(days=12))]
    return busy, absences


def search(agents, begin, end, *, cold: bool, calendars):
    service_cal = BusinessCalendar.from_spec(SERVICE) if cold else calendars["service"]
    service = service_cal.open_intervals(begin, end)
    per_agent = {}
    for i, (spec, busy, absences) in enumerate(agents):
        own = BusinessCalendar.from_spec(spec) if cold else calendars[i]
        open_ = subtract(intersect(service, own.open_intervals(begin, end)), absences)
        per_agent[i] = free_slots(open_intervals=open_, busy=busy, length=timedelta(minutes=60),
                                  step=timedelta(minutes=15), buffer=timedelta(minutes=10),
                                  not_before=begin, not_after=end)
    return team_slots(per_agent, preference=[0])


def measure(label, agents, begin, end, rounds, cold):
    calendars = {"service": BusinessCalendar.from_spec(SERVICE)}
    calendars.update({i: BusinessCalendar.from_spec(a[0]) for i, a in enumerate(agents)})
    search(agents, begin, end, cold=cold, calendars=calendars)  # warm-up
    times, slots = [], 0
    for _ in range(rounds):
        t0 = time.perf_counter()
        slots = len(search(agents, begin, end, cold=cold, calendars=calendars))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    print(f"{label:<28} {'cold' if cold else 'warm'}  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
          f"max {times[-1]:7.2f} ms  ({slots} distinct starts)")
    return p50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--team", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(20260504)
    begin = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)  # spans the spring DST change and Easter
    end = begin + timedelta(days=args.days)
    team = [(agent_spec(i), *busy_for(rng, begin, args.days)) for i in range(args.team)]
    failed = False
    for label, agents, target in (("one agent, %d days" % args.days, team[:1], TARGETS_MS["one agent"]),
                                  ("team of %d, %d days" % (args.team, args.days), team, TARGETS_MS["team"])):
        for cold in (True, False):
            p50 = measure(label, agents, begin, end, args.rounds, cold)
            if p50 > target:
                print(f"  above the {target:.0f} ms target")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
