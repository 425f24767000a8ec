"""Cost of one SLA scan on PostgreSQL: 100 000 open tickets, of which 1 000 are due.

Uses a database of its own (BENCH_DATABASE_URL, default postgres:///helpdesk_bench), created and
migrated on first use; the tickets are inserted with generate_series once and reused. Each round
resets the 1 000 due tickets to "running" (and vacuums, untimed: in production the due tickets were
written long before they fell due), then times what the beat task ``monitor.tasks.scan`` runs:
``sla_scan`` (record 1 000 warnings and 1 000 breaches) and ``notifications_deliver`` (one digest per
recipient into the outbox), and, apart, the outbox dispatcher sending those digests (another task;
in-memory mail backend). A first round warms the process up and is not timed; the limit (0.3 s)
applies to the median scan of the timed rounds. A last, untimed round counts the queries of each phase and
the rows they carry (a figure that does not depend on how loaded the machine is); then EXPLAIN
ANALYZE of the two claim queries and the load average.

The dispatcher is woken through Celery on commit; the bench publishes to an in-memory broker
(BENCH_BROKER_URL, default ``memory://``) so that the figure is the scan's, not the broker's.

    PYTHONPATH=. .venv/bin/python bench/bench_scan.py
"""
from __future__ import annotations

import os
import sys
import time
from urllib.parse import urlparse

TOTAL = int(os.environ.get("BENCH_TICKETS", 100_000))
DUE = int(os.environ.get("BENCH_DUE", 1_000))
ROUNDS = 3
LIMIT_SECONDS = 0.3

URL = os.environ.get("BENCH_DATABASE_URL", "postgres:///helpdesk_bench")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ["EMAIL_URL"] = "memorymail://"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "memory://")


def database_create() -> None:
    import psycopg

    parsed = urlparse(URL)
    name = parsed.path.lstrip("/")
    base, _sep, query = URL.partition("?")
    admin_url = base[: base.rindex("/")] + "/postgres" + (f"?{query}" if query else "")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def main() -> int:
    if not URL.startswith(("postgres://", "postgresql://")):
        print("bench_scan needs PostgreSQL (BENCH_DATABASE_URL=postgres://…)")
        return 2
    database_create()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from django.test.utils import CaptureQueriesContext

    from core import outbox
    from core.models import Membership, OutboxMessage, Role, Tenant, User
    from monitor.models import SlaEvent
    from monitor.services import due_for_breach, due_for_warning, notifications_deliver, sla_scan
    from tickets.models import Ticket, TicketEvent

    call_command("migrate", verbosity=0, interactive=False)
    tenant, _ = Tenant.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "ticket_prefix": "BENCH",
                                "escalation_emails": ["szef@bench.example.com", "kierownik@bench.example.com"]})
    user, _ = User.objects.get_or_create(username="agent@bench.example.com",
                                         defaults={"email": "agent@bench.example.com"})
    Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": Role.AGENT})

    if Ticket.objects.filter(tenant=tenant).count() != TOTAL:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sla_slaevent WHERE tenant_id = %s", [tenant.pk])
            cursor.execute("DELETE FROM tickets_ticketevent WHERE tenant_id = %s", [tenant.pk])
            cursor.execute("DELETE FROM tickets_ticket WHERE tenant_id = %s", [tenant.pk])
            # Open tickets: due over the next weeks; the last DUE ones are overdue (past warn and due).
            cursor.execute(
                """
                INSERT INTO tickets_ticket (tenant_id, number, subject, requester_email, requester_name, channel,
                    critical, status, coverage, queue_priority, received_at, sla_state, sla_reason,
                    sla_started_at, warn_at, due_at, created_at, updated_at)
                SELECT %(tenant)s, g, 'Zgłoszenie ' || g, 'klient' || g || '@example.com', '', 'email',
                    false, 'new', 'covered', 0, now() - interval '1 hour', 'running', 'guaranteed',
                    now() - interval '1 hour',
                    CASE WHEN g <= %(due)s THEN now() - interval '2 hours' - g * interval '1 second'
                         ELSE now() + interval '1 hour' + g * interval '1 second' END,
                    CASE WHEN g <= %(due)s THEN now() - g * interval '1 second'
                         ELSE now() + interval '3 hours' + g * interval '1 second' END,
                    now(), now()
                FROM generate_series(1, %(total)s) AS g
                """, {"tenant": tenant.pk, "due": DUE, "total": TOTAL})
            cursor.execute("ANALYZE tickets_ticket")
        print(f"inserted {TOTAL:,} tickets in {time.monotonic() - started:.1f} s")

    # Time has passed since the tickets were inserted: push those of the other tickets whose warning
    # or deadline has come (or will during the run) back into the future, so exactly DUE are due.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE tickets_ticket
               SET warn_at = now() + interval '1 hour' + number * interval '1 second',
                   due_at = now() + interval '3 hours' + number * interval '1 second',
                   sla_state = 'running', warned_at = NULL, breached_at = NULL
             WHERE tenant_id = %s AND number > %s
               AND (warn_at <= now() + interval '30 minutes' OR sla_state <> 'running' OR warned_at IS NOT NULL)
            """, [tenant.pk, DUE])
        if cursor.rowcount:
            print(f"moved {cursor.rowcount:,} tickets that had become due since the last run back into the future")
    due_ids = list(Ticket.objects.filter(tenant=tenant, number__lte=DUE).values_list("pk", flat=True))
    print(f"open tickets: {Ticket.objects.filter(tenant=tenant, sla_state__in=['running', 'breached']).count():,}, "
          f"due: {len(due_ids):,}")

    def reset() -> None:
        SlaEvent.objects.filter(tenant=tenant).delete()
        TicketEvent.objects.filter(tenant=tenant, kind__startswith="sla_").delete()
        OutboxMessage.objects.filter(tenant=tenant).delete()
        Ticket.objects.filter(pk__in=due_ids).update(sla_state="running", warned_at=None, breached_at=None)

    scans: list[float] = []
    for round_number in range(0, ROUNDS + 1):
        reset()
        # The reset rewrote the due tickets a moment ago; in production they were last written long
        # before they fell due, and autovacuum has cleared the old row versions since. Untimed.
        with connection.cursor() as cursor:
            for table in ("tickets_ticket", "sla_slaevent", "tickets_ticketevent", "helpdesk_outboxmessage"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        now = timezone.now()
        cpu = time.process_time()
        started = time.monotonic()
        recorded = sla_scan(now=now)
        recorded_at = time.monotonic()
        delivered = notifications_deliver(now=now)
        digested_at = time.monotonic()
        scan_cpu = time.process_time() - cpu
        sent = outbox.dispatch(budget_seconds=60)
        finished = time.monotonic()
        scan = digested_at - started
        label = "warm-up (not counted)" if round_number == 0 else f"round {round_number}"
        if round_number:
            scans.append(scan)
        print(f"{label}: scan {scan:.3f} s = record {recorded_at - started:.3f} s ({recorded.warnings} warnings, "
              f"{recorded.breaches} breaches, {recorded.batches} batches) + digest {digested_at - recorded_at:.3f} s "
              f"({delivered.events} events, {delivered.emails} digests); this process's CPU {scan_cpu:.3f} s; "
              f"then sending {finished - digested_at:.3f} s ({sent.sent} e-mails)")

    # The same work once more, untimed, counting the queries of each phase and the rows they carry.
    reset()
    now = timezone.now()
    print("\nqueries per phase (untimed round):")
    for label, phase in (("record", lambda: sla_scan(now=now)), ("digest", lambda: notifications_deliver(now=now)),
                         ("send", lambda: outbox.dispatch(budget_seconds=60))):
        with CaptureQueriesContext(connection) as captured:
            phase()
        statements = [q["sql"] for q in captured.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
        transactions = sum(1 for q in captured.captured_queries if q["sql"] == "COMMIT")
        print(f"  {label}: {len(statements)} statements in {transactions} transactions")
    print(f"  rows: {DUE} tickets due, {SlaEvent.objects.filter(tenant=tenant).count()} events, "
          f"{TicketEvent.objects.filter(tenant=tenant, kind__startswith='sla_').count()} history rows "
          f"(the history reads the events), {OutboxMessage.objects.filter(tenant=tenant).count()} digests")

    # The claim queries as the scan runs them, on a fresh state (everything due again).
    Ticket.objects.filter(pk__in=due_ids).update(sla_state="running", warned_at=None, breached_at=None)
    now = timezone.now()
    for label, queryset in (("breach", due_for_breach(now).values_list("pk", "tenant_id", "due_at", "reacted_at")),
                            ("warning", due_for_warning(now).values_list("pk", "tenant_id", "warn_at"))):
        sql, params = queryset[:500].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql + " FOR UPDATE SKIP LOCKED", params)
            print(f"\nEXPLAIN {label} claim:")
            print("\n".join(row[0] for row in cursor.fetchall()))
    reset()
    with open("/proc/loadavg") as loadavg:
        print(f"\nload average: {loadavg.read().strip()}")

    median = sorted(scans)[len(scans) // 2]
    verdict = "OK" if median <= LIMIT_SECONDS else "TOO SLOW"
    print(f"\nscan (record + digest), median of {len(scans)} rounds: {median:.3f} s, worst {max(scans):.3f} s "
          f"(limit {LIMIT_SECONDS:.1f} s on the median) {verdict}")
    return 0 if median <= LIMIT_SECONDS else 1

if __name__ == "__main__":
    sys.exit(main())
