"""Soak: mixed load for N minutes on gunicorn + a Celery worker + beat, then check nothing was lost.

On a dedicated PostgreSQL database (``helpdesk_bench_soak``, built like bench_queue.py: demo +
100 000 tickets) a ``soak`` tenant is added through the services: a 24/7 calendar, a plan with a
reaction time of a few minutes (the tenant's default plan), a customer organization and contact,
an agent and an API token. The demo tenants are not changed.

While gunicorn serves, Celery beat runs the SLA monitor every minute and a worker executes it,
this script creates tickets through the API at a steady rate (each POST with its own
Idempotency-Key), answers a share of them as staff before the deadline, and reads (API list,
agent queue). After the load it waits for the monitor to pass the last deadline and checks:

* every ticket answered 201 exists, and the tenant has no other tickets (nothing lost, nothing doubled);
* every ticket whose deadline passed without a reaction has exactly one breach SlaEvent, with
  ``at == due_at``; tickets answered in time have none; no ticket has two.

    PYTHONPATH=. .venv/bin/python bench/load/soak.py                 # 10 minutes
    PYTHONPATH=. .venv/bin/python bench/load/soak.py --minutes 2 --tickets 10000

Exit status 0 only when every check passes and no request failed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HOST, VENV_BIN, Processes, gunicorn_start, login, redis_flush, server_env  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_soak"
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"
SOAK_AGENT = "agent@soak.example.com"
TWENTY_FOUR_SEVEN = {"timezone": "UTC", "windows": {day: [["00:00", "24:00"]] for day in
                                                    ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}


def soak_tenant(reaction_minutes: int) -> dict:
    """The soak tenant, made through the services like an administrator would. Django is set up."""
    from core.services import api_token_create
    from core.models import Role, Tenant, User
    from core.services import contact_create, membership_set, organization_create
    from plans.services import calendar_import_spec, plan_create

    tenant = Tenant.objects.create(slug="soak", name="Soak", ticket_prefix="SOAK", domain="",
                                   support_email="pomoc@soak.example.com")
    user = User.objects.create_user(username=SOAK_AGENT, email=SOAK_AGENT, password="demo-haslo-2026",
                                    first_name="Agent", last_name="Soak")
    membership_set(tenant=tenant, user=user, role=Role.ADMIN)
    calendar = calendar_import_spec(tenant=tenant, code="24x7", name="24/7", spec=TWENTY_FOUR_SEVEN)
    plan = plan_create(tenant=tenant, code="soak", name="SOAK", effective_from=date(2025, 1, 1), terms={
        "billing_mode": "monthly", "price_net": "100.00", "minimum_term_months": 0, "included_minutes": 0,
        "included_kinds": [], "reaction_minutes": reaction_minutes, "email_scope": "all",
        "channels": ["email", "portal", "api"], "config_help_channels": ["email"], "hourly_rate_net": "150.00",
        "service_calendar": calendar})
    tenant.default_plan = plan
    tenant.save(update_fields=["default_plan"])
    organization = organization_create(tenant=tenant, name="Soak Sp. z o.o.")
    contact = contact_create(tenant=tenant, organization=organization, name="Klient Soak",
                             emails=["klient@soak.example.com"], can_file_tickets=True)
    _row, token = api_token_create(tenant=tenant, name="soak", role=Role.ADMIN, created_by=user)
    return {"tenant_id": tenant.pk, "contact_id": contact.pk, "token": token}


class Load:
    """Steady creation (and staff replies to a share) plus reads; every loop bounded in time and count."""

    def __init__(self, base: str, token: str, session: str, contact_id: int, *, rate: float, reads: float,
                 react_share: float, seconds: float):
        self.base, self.token, self.session, self.contact_id = base, token, session, contact_id
        self.rate, self.reads, self.react_share, self.seconds = rate, reads, react_share, seconds
        self.created: list[int] = []
        self.reacted: list[int] = []
        self.errors: list[str] = []
        self.latency: dict[str, list[float]] = {"create": [], "reply": [], "api list": [], "queue": []}
        self.lock = threading.Lock()
        self.rng = random.Random(7)

    def _call(self, kind: str, method: str, path: str, body: dict | None = None, *, api: bool = True):
        headers = {"Authorization": f"Bearer {self.token}"} if api else {"Cookie": f"sessionid={self.session}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.update({"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            payload, status = error.read(), error.code
        except OSError as error:
            with self.lock:
                self.errors.append(f"{method} {path}: {error}")
            return None
        with self.lock:
            self.latency[kind].append((time.perf_counter() - started) * 1000)
            if not 200 <= status < 300:
                self.errors.append(f"{method} {path}: HTTP {status} {payload[:200]!r}")
                return None
        return json.loads(payload) if payload and api else {}

    def creator(self) -> None:
        end = time.monotonic() + self.seconds
        limit = int(self.seconds * self.rate) + 1
        for n in range(limit):
            due = time.monotonic()
            if due >= end:
                break
            ticket = self._call("create", "POST", "/api/v1/tickets/", {
                "subject": f"Soak {n}", "body": "Paczki nie wychodzą z magazynu.", "contact": self.contact_id,
                "external_id": f"SOAK-{n}"})
            if ticket is not None:
                with self.lock:
                    self.created.append(ticket["id"])
                if self.rng.random() < self.react_share:
                    reply = self._call("reply", "POST", f"/api/v1/tickets/{ticket['id']}/messages/",
                                       {"body": "Sprawdzamy."})
                    if reply is not None:
                        with self.lock:
                            self.reacted.append(ticket["id"])
            time.sleep(max(0.0, due + 1 / self.rate - time.monotonic()))

    def reader(self) -> None:
        end = time.monotonic() + self.seconds
        for n in range(int(self.seconds * self.reads) + 1):
            due = time.monotonic()
            if due >= end:
                break
            if n % 2:
                self._call("api list", "GET", "/api/v1/tickets/?status=new")
            else:
                self._call("queue", "GET", "/agent/", api=False)
            time.sleep(max(0.0, due + 1 / self.reads - time.monotonic()))

    def run(self) -> None:
        threads = [threading.Thread(target=self.creator, daemon=True),
                   threading.Thread(target=self.reader, daemon=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=self.seconds + 120)


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0.0


def verify(tenant_id: int, load: Load, cutoff) -> list[str]:
    """The checks of the docstring; returns the failures (empty: all passed)."""
    from django.db.models import Count

    from monitor.models import SlaEvent
    from tickets.models import Ticket

    failures = []
    created = set(load.created)
    if len(created) != len(load.created):
        failures.append(f"the API returned the same id twice ({len(load.created) - len(created)} repeats)")
    stored = set(Ticket.objects.filter(tenant_id=tenant_id).values_list("pk", flat=True))
    lost = created - stored
    extra = stored - created
    if lost:
        failures.append(f"{len(lost)} tickets answered 201 are missing: {sorted(lost)[:10]}")
    if extra:
        failures.append(f"{len(extra)} tickets exist that no 201 reported: {sorted(extra)[:10]}")
    doubled = (SlaEvent.objects.filter(tenant_id=tenant_id, kind="breach").values("ticket_id")
               .annotate(n=Count("id")).filter(n__gt=1).count())
    if doubled:
        failures.append(f"{doubled} tickets have more than one breach event")
    breaches = {t: (at, rec) for t, at, rec in SlaEvent.objects.filter(tenant_id=tenant_id, kind="breach")
                .values_list("ticket_id", "at", "recorded_at")}
    due = list(Ticket.objects.filter(tenant_id=tenant_id, due_at__lte=cutoff)
               .values_list("pk", "due_at", "reacted_at"))
    should, wrong_at, missing, unexpected, delays = 0, 0, 0, 0, []
    for pk, due_at, reacted_at in due:
        if reacted_at is None or reacted_at > due_at:
            should += 1
            if pk not in breaches:
                missing += 1
            elif breaches[pk][0] != due_at:
                wrong_at += 1
            else:
                delays.append((breaches[pk][1] - due_at).total_seconds())
        elif pk in breaches:
            unexpected += 1
    early = sum(1 for at, rec in breaches.values() if rec < at)
    for count, text in ((missing, "deadlines passed without a breach event"),
                        (wrong_at, "breach events with at != due_at"),
                        (unexpected, "breach events on tickets answered in time"),
                        (early, "breach events recorded before the deadline")):
        if count:
            failures.append(f"{count} {text}")
    print(f"deadlines passed by the cutoff: {len(due)} ({should} unanswered -> {len(delays)} breach events with "
          f"at == due_at; {len(due) - should} answered in time -> {len(due) - should - unexpected} without one)")
    if delays:
        print(f"breach recorded after the deadline: p50 {statistics.median(delays):.0f} s, "
              f"max {max(delays):.0f} s (beat runs the scan every 60 s)")
    print(f"breach events in the tenant: {len(breaches)}, tickets: {len(stored)}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--tickets", type=int, default=100_000, help="background tickets (demo tenants)")
    parser.add_argument("--rate", type=float, default=2.0, help="tickets created per second")
    parser.add_argument("--reads", type=float, default=4.0, help="reads per second")
    parser.add_argument("--react-share", type=float, default=0.2, help="share of tickets answered at once")
    parser.add_argument("--reaction-minutes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8732)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_SOAK_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--broker-url", default=DEFAULT_BROKER)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    import bench_queue

    work = tempfile.mkdtemp(prefix="bench-soak-")
    bench_queue.pg_recreate(args.database_url)
    processes = Processes(f"{work}/logs")
    env = server_env(args.database_url, broker_url=args.broker_url, media_root=f"{work}/media")
    failures: list[str] = []
    try:
        bench_queue.django_setup(args.database_url)
        bench_queue.build(args.tickets)
        soak = soak_tenant(args.reaction_minutes)
        from django.db import connection
        from django.utils import timezone

        connection.close()
        redis_flush(args.broker_url)
        base = f"http://{HOST}:{args.port}"
        gunicorn_start(processes, env, port=args.port, workers=args.workers)
        processes.start("worker", [str(VENV_BIN / "celery"), "-A", "helpdesk", "worker", "-l", "INFO",
                                   "-c", "2", "-n", f"soak-{os.getpid()}@%h"], env)
        processes.start("beat", [str(VENV_BIN / "celery"), "-A", "helpdesk", "beat", "-l", "INFO",
                                 "-s", f"{work}/beat-schedule"], env)
        session = login(base, SOAK_AGENT)
        load = Load(base, soak["token"], session, soak["contact_id"], rate=args.rate, reads=args.reads,
                    react_share=args.react_share, seconds=args.minutes * 60)
        started = time.monotonic()
        print(f"soak: {args.minutes:g} min, {args.rate:g} tickets/s created, {args.reads:g} reads/s, "
              f"{args.react_share:.0%} answered at once, reaction time {args.reaction_minutes} min (24/7), "
              f"gunicorn {args.workers} workers + celery worker + beat, logs in {work}/logs", flush=True)
        load.run()
        cutoff = timezone.now()
        print(f"load done in {time.monotonic() - started:.0f} s: {len(load.created)} tickets created, "
              f"{len(load.reacted)} answered, {len(load.errors)} failed requests", flush=True)
        dead = processes.dead()
        if dead:
            failures.append(f"processes exited during the load: {dead}")
        # Wait for the monitor to pass the cutoff: no running SLA of the tenant is due by then.
        from tickets.models import Ticket

        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            pending = Ticket.objects.filter(tenant_id=soak["tenant_id"], sla_state="running",
                                            due_at__lte=cutoff).count()
            if not pending:
                break
            time.sleep(5)
        connection.close()
        failures += verify(soak["tenant_id"], load, cutoff)
        for kind, values in load.latency.items():
            if values:
                print(f"  {kind:9} {len(values):6d} requests  p50 {statistics.median(values):7.1f} ms  "
                      f"p99 {_p(values, 0.99):7.1f} ms  max {max(values):7.1f} ms")
        if load.errors:
            failures.append(f"{len(load.errors)} requests failed, first: {load.errors[:3]}")
    finally:
        processes.stop()
        redis_flush(args.broker_url)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up if the build failed.
            pass
        if not args.keep:
            bench_queue.pg_drop(args.database_url)
    if failures:
        print("SOAK FAILED:\n  " + "\n  ".join(failures))
        if any("processes" in f for f in failures):
            for name in ("gunicorn", "worker", "beat"):
                print(f"--- {name} ---\n{processes.log_tail(name)}")
        return 1
    print("SOAK OK: no ticket lost, exactly one breach event per missed deadline, at == due_at")
    return 0


if __name__ == "__main__":
    sys.exit(main())
