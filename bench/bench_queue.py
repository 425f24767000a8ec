"""Agent queue and customer portal list at 100 000 tickets, on SQLite and on PostgreSQL.

For each backend a fresh database is built (SQLite: a temporary file; PostgreSQL: a dedicated
database, ``helpdesk_bench_queue`` by default, dropped at the end unless ``--keep``): migrations,
``seed_demo``, then the tickets spread over both demo tenants with a seeded, realistic mix of
statuses, critical flags, plan priorities, deadlines (NULL included), organizations, contacts and
assignees, bulk-inserted (COPY on PostgreSQL, executemany on SQLite).

Then each page variant is requested through Django's test Client (in process: server time only,
no network) — warm-up first, then N timed requests — and its SQL query count is captured. Every
page is computed, as after a change (``--cached``: the cached pages, ``tickets.list_cache``). On
PostgreSQL the EXPLAIN ANALYZE of the queue's page query and count query is printed.

    PYTHONPATH=. .venv/bin/python bench/bench_queue.py                  # both backends, 100 000 tickets
    PYTHONPATH=. .venv/bin/python bench/bench_queue.py --backend postgres --requests 200

The builder (``build``) is reused by ``bench/load``. Every backend runs in a child process of its
own (Django settings are per process).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("BENCH_QUEUE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench_queue")
AGENT = "agent@wysylki.example.com"
CUSTOMER = "ola@megalogistyka.example.com"
PASSWORD = "demo-haslo-2026"
P95_LIMIT_MS = 150.0

QUEUE_VARIANTS = [
    ("queue default", "/agent/"),
    ("queue ?mine=1", "/agent/?mine=1"),
    ("queue ?unassigned=1", "/agent/?unassigned=1"),
    ("queue ?critical=1", "/agent/?critical=1"),
    ("queue ?breached=1", "/agent/?breached=1"),
    ("queue ?waiting=1", "/agent/?waiting=1"),
    ("queue ?status=closed", "/agent/?status=closed"),
    ("queue ?status=closed&page=200", "/agent/?status=closed&page=200"),
    ("queue ?page=2", "/agent/?page=2"),
    ("queue ?q=drukarka", "/agent/?q=drukarka"),
]
PORTAL_VARIANTS = [
    ("portal default", "/portal/"),
    ("portal ?state=open", "/portal/?state=open"),
    ("portal ?page=2", "/portal/?page=2"),
]

# Share of the tickets per status (the rest are closed); most history is closed, as in production.
STATUS_MIX = [("triage", 0.03), ("new", 0.06), ("open", 0.09), ("waiting_customer", 0.05),
              ("waiting_package", 0.02), ("resolved", 0.15), ("closed", 0.60)]
ACTIVE = {"triage", "new", "open", "waiting_customer", "waiting_package"}
SUBJECTS = ["Drukarka etykiet nie drukuje", "Błąd przy imporcie zamówień", "Pytanie o fakturę",
            "Nie działa logowanie", "Przesyłka bez numeru", "Integracja z kurierem zwraca błąd",
            "Prośba o konfigurację", "Raport miesięczny pusty", "Zmiana adresu nadawcy",
            "Aktualizacja wersji"]


# --- databases ------------------------------------------------------------------------------------


def _pg_admin(url: str):
    import psycopg

    base, _sep, query = url.partition("?")
    admin = base[: base.rindex("/")] + "/postgres" + (f"?{query}" if query else "")
    return psycopg.connect(admin, autocommit=True)


def pg_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def pg_recreate(url: str) -> None:
    name = pg_name(url)
    with _pg_admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pg_drop(url: str) -> None:
    with _pg_admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{pg_name(url)}" WITH (FORCE)')


def django_setup(url: str) -> None:
    """Point this process at ``url`` (before Django is set up); no mail, no broker writes."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ["EMAIL_URL"] = "memorymail://"
    os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BUILD_BROKER_URL", "memory://")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


# --- the builder ----------------------------------------------------------------------------------


def build(total: int, *, seed: int = 2026, quiet: bool = False) -> dict:
    """Migrate, seed the demo and bulk-insert ``total`` tickets. Django must be set up."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from helpdesk.management.commands.seed_demo import seed as seed_demo
    from core.models import Contact, Membership, Organization, Tenant
    from plans.models import Plan
    from tickets.models import Category, Ticket, TicketCounter

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    seed_demo()
    seeded = time.monotonic()
    rng = random.Random(seed)
    now = datetime.now(dt_timezone.utc).replace(microsecond=0)
    tenants = list(Tenant.objects.filter(slug__in=["wysylki", "kjm"]).order_by("slug"))
    world = {}
    for tenant in tenants:
        orgs = list(Organization.objects.for_tenant(tenant).values_list("id", flat=True))
        contacts: dict[int, list[tuple[int, str, str]]] = {}
        for pk, org, name in Contact.objects.for_tenant(tenant).values_list("id", "organization_id", "name"):
            contacts.setdefault(org, []).append((pk, name, f"kontakt{pk}@example.com"))
        world[tenant.pk] = {
            "orgs": orgs, "contacts": contacts,
            "agents": list(Membership.objects.for_tenant(tenant).values_list("id", flat=True)),
            "plans": list(Plan.objects.for_tenant(tenant).values_list("id", flat=True)),
            "categories": list(Category.objects.for_tenant(tenant).values_list("id", flat=True)),
            "number": (TicketCounter.objects.filter(tenant=tenant).values_list("last_number", flat=True).first()
                       or 1000),
        }
        existing = Ticket.objects.for_tenant(tenant).order_by("-number").values_list("number", flat=True).first()
        world[tenant.pk]["number"] = max(world[tenant.pk]["number"], existing or 0)

    statuses, weights = zip(*STATUS_MIX, strict=True)
    columns = ["tenant_id", "number", "subject", "organization_id", "contact_id", "requester_email",
               "requester_name", "channel", "category_id", "critical", "status", "coverage", "assignee_id",
               "plan_id", "queue_priority", "received_at", "sla_state", "sla_reason", "sla_started_at", "warn_at",
               "due_at", "reacted_at", "warned_at", "breached_at", "resolved_at", "closed_at", "created_at",
               "updated_at", "needs_agent", "waiting_since", "next_due_at", "next_due_target"]
    rows = []
    for i in range(total):
        tenant = tenants[0] if rng.random() < 0.4 else tenants[-1]  # kjm 40 %, wysylki 60 %
        w = world[tenant.pk]
        w["number"] += 1
        status = rng.choices(statuses, weights)[0]
        active = status in ACTIVE
        org = None if status == "triage" or rng.random() < 0.05 else rng.choice(w["orgs"])
        contact = rng.choice(w["contacts"][org]) if org and w["contacts"].get(org) and rng.random() < 0.9 else None
        age = timedelta(minutes=rng.randint(5, 60 * 24 * (30 if active else 730)))
        received = now - age
        guaranteed = org is not None and rng.random() < 0.75
        due = received + timedelta(minutes=rng.choice([60, 240, 480, 960, 2880])) if guaranteed else None
        warn = due - (due - received) * 0.2 if due else None
        reacted = warned = breached = None
        if not guaranteed:
            sla_state, reason = "none", "no_plan" if org is None else "no_reaction_time"
        elif status in ("triage", "new") and due > now:
            sla_state, reason = "running", "guaranteed"
            warned = warn if warn <= now else None
        elif status in ("triage", "new"):
            sla_state, reason, warned, breached = "breached", "guaranteed", warn, due
        else:
            reacted = received + (due - received) * rng.uniform(0.1, 1.3)
            late = reacted > due
            sla_state, reason = ("breached" if late else "met"), "guaranteed"
            warned = warn if reacted > warn else None
            breached = due if late else None
            reacted = min(reacted, now)
        resolved = received + age * rng.uniform(0.1, 0.9) if status in ("resolved", "closed") else None
        closed = resolved + timedelta(days=3) if status == "closed" and resolved else None
        # The queue (RULES 4.5): who has to act, since when, and the earliest pending target.
        needs_agent = status in ("triage", "new") or (status == "open" and rng.random() < 0.5)
        waiting_since = received if status in ("triage", "new") else received + age * rng.uniform(0.1, 0.9)
        if sla_state in ("running", "breached") and reacted is None:
            next_due, next_target = due, "reaction"
        elif active and status not in ("waiting_customer", "waiting_package") and rng.random() < 0.3:
            next_due, next_target = now + timedelta(minutes=rng.randint(-600, 6000)), "resolution"
        else:
            next_due, next_target = None, ""
        name, email = (contact[1], contact[2]) if contact else ("", f"nadawca{i}@example.com")
        rows.append((
            tenant.pk, w["number"], f"{rng.choice(SUBJECTS)} #{i}", org, contact[0] if contact else None, email,
            name, rng.choice(["email", "email", "portal", "api", "phone"]),
            rng.choice(w["categories"]) if w["categories"] and rng.random() < 0.8 else None,
            rng.random() < 0.03, status, "covered" if rng.random() < 0.95 else "not_covered",
            rng.choice(w["agents"]) if w["agents"] and rng.random() < 0.7 else None,
            rng.choice(w["plans"]) if org and w["plans"] else None, rng.choice([0, 0, 0, 1, 2]) if org else 0,
            received, sla_state, reason, received if guaranteed else None, warn, due, reacted, warned, breached,
            resolved, closed, received, closed or resolved or reacted or received,
            needs_agent, waiting_since, next_due, next_target,
        ))

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY tickets_ticket ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("VACUUM ANALYZE tickets_ticket")
        else:
            marks = ", ".join(["%s"] * len(columns))
            with transaction.atomic():  # One transaction: SQLite commits every row in autocommit mode.
                cursor.executemany(f"INSERT INTO tickets_ticket ({', '.join(columns)}) VALUES ({marks})", rows)
            cursor.execute("ANALYZE")
    for tenant in tenants:
        TicketCounter.objects.update_or_create(tenant=tenant, defaults={"last_number": world[tenant.pk]["number"]})
    search_rows_build()
    info = {"tickets": Ticket.objects.count(), "seed_seconds": round(seeded - started, 1),
            "insert_seconds": round(time.monotonic() - seeded, 1)}
    if not quiet:
        print(f"built: {info['tickets']:,} tickets (migrate+seed_demo {info['seed_seconds']} s, "
              f"insert {info['insert_seconds']} s)", flush=True)
    return info


def search_rows_build() -> None:
    """The search rows (``tickets.search``) of tickets inserted without the ORM: reference, subject,
    requester and organization (the bulk insert adds no messages), as the signals would write them."""
    from django.db import connection, transaction

    from core import text
    from tickets.search import tenant_token

    with connection.cursor() as cursor:
        cursor.execute("SELECT t.id, t.tenant_id, h.ticket_prefix, t.number, t.subject, t.requester_name, "
                       "t.requester_email, COALESCE(o.name, '') FROM tickets_ticket t "
                       "JOIN helpdesk_tenant h ON h.id = t.tenant_id "
                       "LEFT JOIN helpdesk_organization o ON o.id = t.organization_id "
                       "WHERE NOT EXISTS (SELECT 1 FROM tickets_ticketsearch s WHERE s.ticket_id = t.id)")
        rows = [(pk, tenant_id, tenant_token(tenant_id),
                 text.index_text(" ".join([prefix, str(number), subject, name, email, org])), "")
                for pk, tenant_id, prefix, number, subject, name, email, org in cursor.fetchall()]
        columns = "ticket_id, tenant_id, tenant_token, head_terms, body_terms"
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY tickets_ticketsearch ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("VACUUM ANALYZE tickets_ticketsearch")
        else:
            with transaction.atomic():
                cursor.executemany(f"INSERT INTO tickets_ticketsearch ({columns}) VALUES (%s, %s, %s, %s, %s)", rows)


# --- measuring ------------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(client, path: str, requests: int, warmup: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: HTTP {response.status_code}")
    # The request resets the query log when it starts; start the capture from an empty log.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    queries = len(captured.captured_queries)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: HTTP {response.status_code}")
    return {"p50": statistics.median(timings), "p95": _percentile(timings, 0.95), "max": max(timings),
            "queries": queries, "bytes": len(response.content)}


def explain_queue(client, paths: list[str]) -> None:
    """EXPLAIN ANALYZE of the ticket queries exactly as a page request ran them."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for path in paths:
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        statements = [q["sql"] for q in captured.captured_queries if 'FROM "tickets_ticket"' in q["sql"]]
        for sql in statements:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\nGET {path}: {sql[:160]}{'…' if len(sql) > 160 else ''}\n{plan}")


def list_cache_off() -> None:
    """Compute every page, as after a change: in production the lists are cached until the tenant's
    tickets change (``tickets.list_cache``), and a cached page costs none of what is measured here."""
    from tickets import list_cache

    list_cache.version = lambda tenant_id: None


def run_backend(backend: str, total: int, requests: int, warmup: int, keep: bool, cached: bool = False) -> int:
    work = None
    if backend == "sqlite":
        work = tempfile.mkdtemp(prefix="bench-queue-")
        url = f"sqlite:///{work}/bench.sqlite3"
        os.environ["MEDIA_ROOT"] = f"{work}/media"
    else:
        url = PG_URL
        pg_recreate(url)
    try:
        django_setup(url)
        build(total)
        if not cached:
            list_cache_off()
        from django.db import connection
        from django.test import Client

        agent, customer = Client(), Client()
        assert agent.login(username=AGENT, password=PASSWORD), "agent login failed"
        assert customer.login(username=CUSTOMER, password=PASSWORD), "customer login failed"
        results = []
        for label, path in QUEUE_VARIANTS:
            results.append((label, path, measure(agent, path, requests, warmup)))
        for label, path in PORTAL_VARIANTS:
            results.append((label, path, measure(customer, path, requests, warmup)))
        print(f"\n{backend}: {total:,} tickets, {requests} timed requests per row after {warmup} warm-up "
              f"(Django test Client, server time; {'cached lists' if cached else 'every page computed'})")
        print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'KiB':>6}")
        for label, _path, r in results:
            print(f"{label:34} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['queries']:8d} "
                  f"{r['bytes'] / 1024:6.0f}")
        worst = max(r["p95"] for _l, _p, r in results)
        if connection.vendor == "postgresql":
            explain_queue(agent, ["/agent/", "/agent/?mine=1"])
        print(f"\n{backend}: worst p95 {worst:.1f} ms (limit {P95_LIMIT_MS:.0f} ms on PostgreSQL)")
        connection.close()
        return 1 if backend == "postgres" and worst > P95_LIMIT_MS else 0
    finally:
        if work:
            shutil.rmtree(work, ignore_errors=True)
        if backend == "postgres" and not keep:
            pg_drop(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page variant")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--cached", action="store_true",
                        help="measure the cached pages (default: every page computed, tickets.list_cache)")
    parser.add_argument("--build-only", metavar="DATABASE_URL",
                        help="only build the database at this URL (used by bench/load)")
    args = parser.parse_args()
    if args.build_only:
        if args.build_only.startswith(("postgres://", "postgresql://")):
            pg_recreate(args.build_only)
        django_setup(args.build_only)
        build(args.tickets)
        return 0
    if args.backend != "both":
        return run_backend(args.backend, args.tickets, args.requests, args.warmup, args.keep, args.cached)
    status = 0
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, __file__, "--backend", backend, "--tickets", str(args.tickets),
                   "--requests", str(args.requests), "--warmup", str(args.warmup),
                   *(["--keep"] if args.keep else []), *(["--cached"] if args.cached else [])]
        status |= subprocess.run(command, timeout=1800).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
