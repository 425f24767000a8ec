"""Help center search: p50/p95 of ``helpcenter.search.engine.search`` at N articles + forum topics.

Builds a throw-away tenant ("bench-help") on the configured database (``DATABASE_URL``; run
migrations first), fills its index with N entries (half articles, half topics) of generated Polish
text in inflected forms, then times a fixed mix of queries as an anonymous visitor: inflected words,
typos, several words, a prefix being typed. The tenant is deleted at the end unless ``--keep``.

    DATABASE_URL=postgres://…/db PYTHONPATH=. .venv/bin/python bench/bench_helpcenter.py 100000
    PYTHONPATH=. .venv/bin/python bench/bench_helpcenter.py 10000 --queries 300
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORDS = """faktura faktury fakturę fakturami fakturze korekta korekty korektę etykieta etykiety etykietę etykietami
drukarka drukarki drukarkę drukowanie drukuje przewoźnik przewoźnika przewoźników przewoźnikiem kurier kuriera
kurierów zamówienie zamówienia zamówień zamówieniami paczka paczki paczkę paczkomat paczkomaty paczkomatów
wysyłka wysyłki wysyłkę wysyłek manifest manifestu protokół protokołu konfiguracja konfiguracji konfigurację
ustawienia ustawień instalacja instalacji aktualizacja aktualizacji licencja licencji klucz klucza baza bazy bazę
danych kopia kopii import importu eksport eksportu plik pliku plików błąd błędu błędy raport raportu raporty
deklaracja deklaracji lista listy płac wynagrodzenie wynagrodzenia pracownik pracownika pracowników księgowanie
dekret dekretu konto konta kontrahent kontrahenta dokument dokumentu dokumenty okres okresu rok roku zamknięcie
dnia odbiorca odbiorcy numer numeru telefon telefonu adres adresu magazyn magazynu integracja integracji sklep
sklepu cennik cennika opłata opłaty dopłata rabat rabatu gabaryt gabarytu format formatu sterownik sterownika
""".split()
QUERIES = ["faktura", "fakturę korekta", "etykieta drukarka", "przewoźników", "zamowienie", "drukrka",
           "paczkomat gabaryt", "kopia bazy danych", "deklaracja", "eksport do magazynu", "konfigur", "manifst",
           "numer telefonu odbiorcy", "aktualizacji licencji", "raport", "rabat przewoźnika"]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def build(n: int, seed: int):
    from django.db import transaction
    from django.utils import timezone

    from core.models import Tenant
    from core import text
    from helpcenter.models import SearchEntry, SearchTerm
    from helpcenter.search.index import tenant_token

    Tenant.objects.filter(slug="bench-help").delete()
    tenant = Tenant.objects.create(slug="bench-help", name="Bench help", ticket_prefix="BHLP",
                                   domain="bench-help.localhost")
    rng = random.Random(seed)
    now = timezone.now()
    token = tenant_token(tenant.pk)
    vocabulary: set[str] = set()
    started = time.perf_counter()
    batch = []
    for i in range(n):
        title, body = sentence(rng, 3, 8), sentence(rng, 30, 90)
        title_terms, body_terms = text.index_text(title), text.index_text(body)
        vocabulary.update(t for t in (title_terms + " " + body_terms).split() if len(t) >= 4)
        is_topic = i % 2 == 1
        batch.append(SearchEntry(
            tenant=tenant, kind="topic" if is_topic else "article", object_id=i + 1, language="" if is_topic else "pl",
            visibility=rng.choice(["public", "public", "public", "customers", "internal"]),
            solved=(not is_topic) or rng.random() < 0.4, published_at=now - timedelta(days=rng.randint(1, 1500)),
            activity_at=now - timedelta(days=rng.randint(0, 1500)), title=title[:200], excerpt=body[:200],
            tenant_token=token, title_terms=title_terms, body_terms=body_terms))
        if len(batch) == 2000:
            with transaction.atomic():
                SearchEntry.objects.bulk_create(batch)
            batch = []
    with transaction.atomic():
        SearchEntry.objects.bulk_create(batch)
        SearchTerm.objects.bulk_create([SearchTerm(tenant=tenant, term=t, length=len(t)) for t in vocabulary],
                                       ignore_conflicts=True)
    return tenant, time.perf_counter() - started


def explain(viewer, search) -> None:
    """EXPLAIN ANALYZE of every statement one search of a few queries runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for query in ("faktura", "etykieta drukarka", "drukrka", "konfigur"):
        with CaptureQueriesContext(connection) as captured:
            search(viewer=viewer, query=query, limit=20, language="pl", prefix_last=query == "konfigur")
        for statement in captured.captured_queries:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement["sql"])
                print(f"--- {query!r}: {statement['sql'][:160]}")
                print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000, help="articles + topics in the index")
    parser.add_argument("--queries", type=int, default=200, help="timed searches (after a warm-up round)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the bench tenant and its index")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse a kept bench tenant when it already holds N entries (implies --keep)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of a few queries (PostgreSQL)")
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import Tenant
    from helpcenter.models import SearchEntry

    from helpcenter.models import Viewer
    from helpcenter.search.engine import search

    kept = Tenant.objects.filter(slug="bench-help").first() if args.reuse else None
    if kept is not None and SearchEntry.objects.filter(tenant=kept).count() == args.n:
        tenant, build_s = kept, 0.0
    else:
        tenant, build_s = build(args.n, args.seed)
    args.keep = args.keep or args.reuse
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE helpcenter_searchentry")
            cursor.execute("ANALYZE helpcenter_searchterm")
    viewer = Viewer(tenant=tenant)
    try:
        for query in QUERIES:  # warm-up
            search(viewer=viewer, query=query, limit=20, language="pl")
        timings, hits, queries = [], 0, []
        for i in range(args.queries):
            query = QUERIES[i % len(QUERIES)]
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = search(viewer=viewer, query=query, limit=20, language="pl", prefix_last=(i % 4 == 0))
                timings.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured.captured_queries))
            hits += len(result.hits)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"database: {connection.vendor}; index: {args.n} entries (built in {build_s:.1f} s)")
        print(f"{args.queries} searches: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
              f"max {timings[-1]:.1f} ms; {hits / args.queries:.1f} hits per search (limit 20)")
        print(f"SQL queries per search: min {min(queries)}, max {max(queries)}")
        if args.explain and connection.vendor == "postgresql":
            explain(viewer, search)
    finally:
        if not args.keep:
            tenant.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
