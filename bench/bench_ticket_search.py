"""The agents' ticket search (``tickets.search``) at 100 000 tickets and 300 000 messages, on PostgreSQL.

The database (``helpdesk_workspace_bench`` by default; ``BENCH_SEARCH_DATABASE_URL``) is rebuilt:
migrations, ``seed_demo``, the tickets of ``bench_queue.build`` (every status, 60 % closed), then
about three messages per ticket (COPY) drawn from a Polish support vocabulary with rare error codes,
and the search rows (``TicketSearch``) computed by ``core.text`` exactly as the signals would.

Each search is requested through Django's test Client (server time, no network): warm-up, then N
timed requests; the SQL query count of each page is printed, and the EXPLAIN ANALYZE of the
search's ticket queries. Fails when a search's p50 is above 50 ms or the query counts of searches of
one shape (alone, or with filters) differ.
The queue without a search is measured too, as a reference for the machine's speed at the time.

    PYTHONPATH=. .venv/bin/python bench/bench_ticket_search.py
    PYTHONPATH=. .venv/bin/python bench/bench_ticket_search.py --tickets 20000 --requests 50 --keep
    PYTHONPATH=. .venv/bin/python bench/bench_ticket_search.py --reuse --keep   # measure again
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_queue import (AGENT, PASSWORD, build, django_setup, explain_queue, list_cache_off, measure,  # noqa: E402
                               pg_drop, pg_recreate)

PG_URL = os.environ.get("BENCH_SEARCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_workspace_bench")
P50_LIMIT_MS = 50.0
MESSAGES_PER_TICKET = 3

SENTENCES = [
    "Dzień dobry, od rana drukarka etykiet nie drukuje i pokazuje błąd.",
    "Po aktualizacji programu import zamówień kończy się komunikatem o błędzie.",
    "Proszę o korektę faktury za ostatni miesiąc, kwota się nie zgadza.",
    "Nie mogę zalogować się do panelu, hasło zostało zresetowane wczoraj.",
    "Kurier zwraca błąd integracji przy generowaniu listu przewozowego.",
    "Raport miesięczny jest pusty, choć w bazie są dokumenty.",
    "Sprawdziliśmy konfigurację serwera, problem dotyczy sterownika.",
    "Dziękuję, po restarcie usługi wszystko działa poprawnie.",
    "Przesyłam zrzut ekranu z komunikatem, proszę o pilną pomoc.",
    "Zmieniliśmy adres nadawcy, ale na etykietach jest stary.",
]
RARE = ["0x{:02x}".format(n) for n in range(256)] + [f"ERR{n}" for n in range(1000)]
SEARCHES = [
    ("common word (drukarka)", "/agent/?q=drukarka"),
    ("inflected (faktury)", "/agent/?q=faktury"),
    ("two words (błąd integracji)", "/agent/?q=b%C5%82%C4%85d+integracji"),
    ("rare code in a message (0x12)", "/agent/?q=0x12"),
    ("reference", None),
    ("requester's name", "/agent/?q=Nowicki"),
    ("prefix being typed (konfig)", "/agent/?q=konfig"),
    ("search + status=closed", "/agent/?q=drukarka&status=closed"),
    ("search + 3 statuses + sort newest", "/agent/?q=faktury&status=open&status=new&status=closed&sort=newest"),
    ("search + organization-free filters", "/agent/?q=serwer&channel=email&sla=met&from=2025-01-01"),
    ("no match", "/agent/?q=zzzyyyxxx"),
    ("all statuses, no search, newest", "/agent/?status=all&sort=newest"),
    ("reference row: the queue, no search", "/agent/"),
]


def add_messages(seed: int = 7) -> dict:
    """About three messages per ticket (COPY), then the search rows of every ticket."""
    from django.db import connection

    from core import text
    from tickets.search import tenant_token

    rng = random.Random(seed)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT t.id, t.tenant_id, t.received_at, h.ticket_prefix, t.number, t.subject, "
                       "t.requester_name, t.requester_email, COALESCE(o.name, '') FROM tickets_ticket t "
                       "JOIN helpdesk_tenant h ON h.id = t.tenant_id "
                       "LEFT JOIN helpdesk_organization o ON o.id = t.organization_id ORDER BY t.id")
        tickets = cursor.fetchall()
    columns = ["tenant_id", "ticket_id", "author_name", "from_staff", "from_email", "body", "body_full", "body_html",
               "subject", "internal", "source", "created_at"]
    search_rows = []
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY tickets_message ({', '.join(columns)}) FROM STDIN") as copy:
            for pk, tenant_id, received, prefix, number, subject, name, email, org in tickets:
                bodies = []
                for n in range(rng.choice([1, 2, 3, 3, 4, 5])):
                    body = " ".join(rng.sample(SENTENCES, 2))
                    if rng.random() < 0.02:
                        body += f" Kod błędu: {rng.choice(RARE)}."
                    staff = n % 2 == 1
                    author = "Konsultant" if staff else (name or email)
                    copy.write_row((tenant_id, pk, author, staff, "" if staff else email, body, "", "", "",
                                    staff and rng.random() < 0.3, "agent" if staff else "email",
                                    received + timedelta(minutes=10 * n)))
                    bodies.append(text.index_text(f"{author} {body}"))
                    count += 1
                head = text.index_text(" ".join([prefix, str(number), subject, name, email, org]))
                search_rows.append((pk, tenant_id, tenant_token(tenant_id), head, " ".join(bodies)))
        cursor.execute("DELETE FROM tickets_ticketsearch")
        with cursor.cursor.copy("COPY tickets_ticketsearch (ticket_id, tenant_id, tenant_token, head_terms, "
                                "body_terms) FROM STDIN") as copy:
            for row in search_rows:
                copy.write_row(row)
        cursor.execute("VACUUM ANALYZE tickets_message")
        cursor.execute("VACUUM ANALYZE tickets_ticketsearch")
    return {"messages": count, "seconds": round(time.monotonic() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--reuse", action="store_true", help="measure the database a --keep run left (no build)")
    args = parser.parse_args()
    if not args.reuse:
        pg_recreate(PG_URL)
    try:
        django_setup(PG_URL)
        if args.reuse:
            from django.core.management import call_command

            call_command("migrate", verbosity=0, interactive=False)
        else:
            build(args.tickets)
            info = add_messages()
            print(f"messages: {info['messages']:,} (+ search rows) in {info['seconds']} s", flush=True)
        list_cache_off()  # the queue's row is a reference: computed, as the searches (never cached)
        from django.db import connection
        from django.test import Client

        from tickets.models import Message, Ticket

        print(f"tickets {Ticket.objects.count():,}, messages {Message.objects.count():,}", flush=True)
        client = Client()
        assert client.login(username=AGENT, password=PASSWORD), "agent login failed"
        closed = (Ticket.objects.filter(tenant__slug="wysylki", status="closed").select_related("tenant")
                  .order_by("id").first())
        results = []
        for label, path in SEARCHES:
            path = path or f"/agent/?q={closed.reference}"
            results.append((label, path, measure(client, path, args.requests, args.warmup)))
        print(f"\npostgres: {args.tickets:,} tickets, {args.requests} timed requests per row after "
              f"{args.warmup} warm-up (Django test Client, server time)")
        print(f"{'search':38} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
        for label, _path, r in results:
            print(f"{label:38} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['queries']:8d}")
        explain_queue(client, ["/agent/?q=drukarka", "/agent/?q=0x12"])
        worst = max(r["p50"] for _l, path, r in results if "q=" in path)
        # An empty page reads less; the lists without a search page in one step. A search alone is
        # counted with its matches; with other filters, by a query of its own.
        alone = {r["queries"] for label, path, r in results
                 if label != "no match" and "q=" in path and "&" not in path}
        filtered = {r["queries"] for label, path, r in results if "q=" in path and "&" in path}
        print(f"\nworst p50 {worst:.1f} ms (limit {P50_LIMIT_MS:.0f} ms); query counts: search alone "
              f"{sorted(alone)}, with filters {sorted(filtered)}")
        connection.close()
        return 1 if worst > P50_LIMIT_MS or len(alone) > 1 or len(filtered) > 1 else 0
    finally:
        if not args.keep:
            pg_drop(PG_URL)


if __name__ == "__main__":
    sys.exit(main())
