"""HTTP load on gunicorn over loopback with wrk: the hot pages against trivial views of the same stack.

Builds a dedicated PostgreSQL database (``helpdesk_bench_load``) with bench_queue.py's builder
(demo + 100 000 tickets), starts gunicorn on 127.0.0.1 (4 sync workers by default), logs in
through the login form for the session cookies, creates an API token with
``manage.py create_api_token``, then runs wrk (``apt-get install wrk``) for each scenario and prints
requests per second, p50/p99 latency and every non-2xx answer (the Lua script counts them; the
run fails if there is one). Gunicorn is stopped and the database dropped at the end (``--keep``
keeps it), whatever happens.

Gunicorn serves ``bench.load.settings``: the product plus two trivial views (``bench/load/trivial.py``,
never in the production URLs), one HTML page behind the agent's session and one DRF view behind the
API's token authentication and throttle. Each page's requests per second are printed as a ratio to
the trivial view of its kind measured in the same run (HTML pages to the trivial page, API calls to
the trivial API view), so that the figure says how much of a request is the page's own work, on
whatever machine. The server runs with the connection settings shipped for production
(``CONN_MAX_AGE=600``, cache and sessions in Redis: ``--cache-url``).

    PYTHONPATH=. .venv/bin/python bench/load/run_load.py                      # 4 x 30 s
    PYTHONPATH=. .venv/bin/python bench/load/run_load.py --duration 10 --scenario queue --scenario create
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import HOST, Processes, api_token, gunicorn_start, login, redis_flush, server_env  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_load"
DEFAULT_BROKER = "redis://127.0.0.1:6379/11"
DEFAULT_CACHE = "redis://127.0.0.1:6379/12"
AGENT = "agent@wysylki.example.com"
CUSTOMER = "ola@megalogistyka.example.com"
SCENARIOS = ("trivial-page", "trivial-api", "queue", "queue-fresh", "portal", "portal-fresh", "ticket", "agent-search",
             "help-search", "api-list", "api-list-fresh", "create")
# The baseline of each scenario: HTML pages against the trivial page, API calls against the trivial API view.
BASELINE = {"queue": "trivial-page", "queue-fresh": "trivial-page", "portal": "trivial-page",
            "portal-fresh": "trivial-page", "ticket": "trivial-page", "api-list-fresh": "trivial-api",
            "agent-search": "trivial-page", "help-search": "trivial-page",
            "api-list": "trivial-api", "create": "trivial-api"}


def wrk(url: str, *, duration: int, threads: int, connections: int, headers: list[str],
        args: list[str]) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
               "-s", str(HERE / "scenario.lua")]
    for header in headers:
        command += ["-H", header]
    command += [url, "--", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    line = next((line for line in result.stdout.splitlines() if line.startswith("WRKJSON ")), None)
    if result.returncode or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return json.loads(line.removeprefix("WRKJSON "))


THREAD = [
    (False, "Dzień dobry, od wczoraj drukarka etykiet w magazynie nie drukuje etykiet kurierskich. Zlecenie "
            "trafia do kolejki, ale nic się nie dzieje, a po kilku minutach pojawia się błąd połączenia. "
            "Restart drukarki i komputera nie pomógł. Proszę o pilny kontakt, bo stoją nam wysyłki."),
    (True, "Dzień dobry, dziękujemy za zgłoszenie. Proszę sprawdzić, czy drukarka ma ten sam adres IP co "
           "wcześniej (Ustawienia → Drukarki → Etykiety) i przesłać zrzut ekranu z komunikatem błędu. "
           "Jeśli adres się zmienił, wystarczy go poprawić w konfiguracji stanowiska pakowania."),
    (False, "Adres IP faktycznie się zmienił po wymianie routera. Poprawiłem go w ustawieniach, ale teraz "
            "drukują się tylko etykiety jednego kuriera, a przy drugim program zgłasza błąd szablonu. "
            "W załączniku zrzut ekranu z komunikatem, który pojawia się przy każdej próbie wydruku."),
    (True, "Szablon drugiego kuriera zmienił się w ostatniej aktualizacji jego API. Przygotowaliśmy "
           "poprawiony szablon i wgraliśmy go zdalnie na Państwa stanowisko. Proszę spróbować wydrukować "
           "etykietę testową i dać znać, czy wszystko działa, wtedy zamkniemy zgłoszenie."),
    (False, "Wszystko działa, etykiety obu kurierów drukują się poprawnie. Dziękuję za szybką pomoc i "
            "sprawne wgranie poprawki, wysyłki ruszyły jeszcze przed południem. Zgłoszenie można zamknąć, "
            "a w razie podobnego problemu po kolejnej aktualizacji odezwiemy się ponownie."),
]


def ticket_thread(ticket_id: int) -> None:
    """The measured ticket's conversation: five public messages of about 300 characters, customer and
    agent in turn (as the peer's measured ticket), written once."""
    from datetime import timedelta

    from core.models import Membership
    from tickets.models import Message, Ticket

    ticket = Ticket.objects.get(pk=ticket_id)
    if Message.objects.filter(ticket=ticket).exists():
        return
    agent = Membership.objects.select_related("user").get(tenant_id=ticket.tenant_id, user__email=AGENT)
    Message.objects.bulk_create([
        Message(tenant_id=ticket.tenant_id, ticket=ticket, body=body, from_staff=staff, internal=False,
                source=Message.Source.AGENT if staff else Message.Source.PORTAL,
                author_user=agent.user if staff else None, author_contact=None if staff else ticket.contact,
                author_name=agent.user.get_full_name() if staff else ticket.requester_name,
                from_email="" if staff else ticket.requester_email,
                created_at=ticket.received_at + timedelta(hours=index))
        for index, (staff, body) in enumerate(THREAD)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--gthreads", type=int, default=1, help="threads per worker (>1: gthread workers)")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="repeatable; default: all")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--broker-url", default=DEFAULT_BROKER)
    parser.add_argument("--cache-url", default=DEFAULT_CACHE, help="Redis for the cache and the sessions")
    parser.add_argument("--conn-max-age", default="600",
                        help="CONN_MAX_AGE of the server (0: a new connection per request)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="measure a database kept by an earlier --keep run again (no rebuild)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install -y wrk)")
        return 2

    import bench_queue

    scenarios = args.scenario or list(SCENARIOS)
    # A ratio needs its baseline in the same run, measured first.
    for name in list(scenarios):
        base_name = BASELINE.get(name)
        if base_name and base_name not in scenarios:
            scenarios.insert(0, base_name)
    scenarios.sort(key=lambda name: (name not in ("trivial-page", "trivial-api"), SCENARIOS.index(name)))
    work = tempfile.mkdtemp(prefix="bench-load-")
    processes = Processes(f"{work}/logs")
    env = server_env(args.database_url, broker_url=args.broker_url, media_root=f"{work}/media")
    env.update({"DJANGO_SETTINGS_MODULE": "bench.load.settings", "REDIS_URL": args.cache_url,
                "CONN_MAX_AGE": str(args.conn_max_age)})
    if not args.reuse:
        bench_queue.pg_recreate(args.database_url)
    results, failures = [], []
    try:
        bench_queue.django_setup(args.database_url)
        if args.reuse:
            from django.core.management import call_command

            call_command("migrate", verbosity=0, interactive=False)
        else:
            bench_queue.build(args.tickets)
        from django.db import connection

        from core.models import Contact
        from tickets.models import Ticket

        contact_id = Contact.objects.get(user__email=CUSTOMER).pk
        ticket_id = (Ticket.objects.filter(tenant__slug="wysylki", organization__isnull=False)
                     .order_by("-id").values_list("pk", flat=True).first())
        ticket_thread(ticket_id)
        connection.close()
        redis_flush(args.broker_url)
        redis_flush(args.cache_url)
        token = api_token(env, "wysylki")
        base = f"http://{HOST}:{args.port}"
        gunicorn_start(processes, env, port=args.port, workers=args.workers, threads=args.gthreads)
        agent_cookie, customer_cookie = login(base, AGENT), login(base, CUSTOMER)
        agent, customer = [f"Cookie: sessionid={agent_cookie}"], [f"Cookie: sessionid={customer_cookie}"]
        plan = {
            "trivial-page": ("/_bench/trivial/", agent, ["get"]),
            "trivial-api": ("/api/v1/_bench/trivial/", [f"Authorization: Bearer {token}"], ["get"]),
            "queue": ("/agent/", agent, ["get"]),
            "queue-fresh": ("/agent/", agent, ["fresh"]),
            "portal": ("/portal/", customer, ["get"]),
            "portal-fresh": ("/portal/", customer, ["fresh"]),
            "ticket": (f"/agent/tickets/{ticket_id}/", agent, ["get"]),
            "agent-search": ("/agent/?q=drukarka", agent, ["get"]),
            "help-search": ("/help/search/?q=drukarka", customer, ["get"]),
            "api-list": ("/api/v1/tickets/", [f"Authorization: Bearer {token}"], ["get"]),
            "api-list-fresh": ("/api/v1/tickets/", [f"Authorization: Bearer {token}"], ["fresh"]),
            "create": ("/api/v1/tickets/", [f"Authorization: Bearer {token}"], ["create", str(contact_id)]),
        }
        workers = f"{args.workers} sync workers" if args.gthreads == 1 else \
            f"{args.workers} gthread workers x {args.gthreads} threads"
        print(f"gunicorn {workers} on {base}, CONN_MAX_AGE={args.conn_max_age}; "
              f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s per scenario", flush=True)
        before = Ticket.objects.filter(subject__startswith="Load ").count()
        for name in scenarios:
            path, headers, wrk_args = plan[name]
            result = wrk(base + path, duration=args.duration, threads=args.threads, connections=args.connections,
                         headers=headers, args=wrk_args)
            results.append((name, path, result))
            if result["non_2xx"] or result["socket_errors"] or result["timeouts"]:
                failures.append(f"{name}: {result['non_2xx']} non-2xx ({result['statuses'].strip()}), "
                                f"{result['socket_errors']} socket errors, {result['timeouts']} timeouts")
            dead = processes.dead()
            if dead:
                failures.append(f"processes exited: {dead}")
                break
        if "create" in scenarios:
            created = next(r["ok"] for n, _p, r in results if n == "create")
            stored = Ticket.objects.filter(subject__startswith="Load ").count() - before
            print(f"create: {created} answered 2xx, {stored} new tickets in the database")
            # When the time is up wrk closes its connections without reading the answers in flight:
            # those tickets are stored but not counted, at most one per connection.
            if not created <= stored <= created + args.connections:
                failures.append(f"create: {created} 2xx answers but {stored} tickets stored")
        connection.close()
    finally:
        processes.stop()
        redis_flush(args.broker_url)
        redis_flush(args.cache_url)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up if the build failed.
            pass
        if not args.keep:
            bench_queue.pg_drop(args.database_url)

    rates = {name: r["requests"] / (r["duration_us"] / 1e6) for name, _path, r in results}
    print(f"\n{'scenario':14} {'path':26} {'req/s':>8} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'requests':>9} {'non-2xx':>8} {'errors':>7}")
    for name, path, r in results:
        baseline = rates.get(BASELINE.get(name, ""))
        ratio = f"{rates[name] / baseline:6.2f}" if baseline else f"{'-':>6}"
        print(f"{name:14} {path[:26]:26} {rates[name]:8.1f} {ratio} {r['p50_us'] / 1000:8.1f} "
              f"{r['p99_us'] / 1000:8.1f} {r['max_us'] / 1000:8.1f} {r['requests']:9d} {r['non_2xx']:8d} "
              f"{r['socket_errors'] + r['timeouts']:7d}")
    print("ratio: req/s of the page / req/s of its trivial view in this run (HTML: trivial-page, API: trivial-api)")
    print("*-fresh: the same page with a query parameter of its own on every request, so that none is answered "
          "from the cache (tickets.list_cache): what computing it costs")
    if failures:
        print("LOAD FAILED:\n  " + "\n  ".join(failures))
        print("--- gunicorn ---\n" + processes.log_tail("gunicorn"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
