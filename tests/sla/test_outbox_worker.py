"""The outbox under real Celery workers on PostgreSQL and Redis: nothing lost, nothing doubled.

Each test starts ``celery -A helpdesk worker`` subprocesses (see ``test_monitor_worker.Cluster``),
a local SMTP server (aiosmtpd) that the workers send mail to, and where needed a local HTTP
receiver for webhooks or a Redis server of its own (port 6391, or the next ones in a parallel run)
that the test kills and restarts.
Beat is played by the test: it sends ``monitor.tasks.scan`` and ``core.tasks.outbox_sweep``.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from core import outbox, webhooks
from core.models import OutboxMessage, Role, WebhookAttempt, WebhookDelivery
from core.services import webhook_create
from monitor.models import SlaEvent
from tests.factories import TenantFactory
from tests.sla.test_monitor import staff_make, ticket_make
from tests.sla.test_monitor_worker import TIMEOUT, Cluster, cluster  # noqa: F401 (the fixture)
from tickets.models import Ticket
from tickets.services import message_add, ticket_page_on_call

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings, monkeypatch):
    """The webhook receivers here listen on 127.0.0.1, which the outbound-request policy refuses
    unless allowed, as an on-premises install would: in this process and in the workers it starts."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    monkeypatch.setenv("OUTBOUND_ALLOWED_NETWORKS", "127.0.0.0/8")

ESCALATION = ["szef@outbox.example.com", "kierownik@outbox.example.com"]
# a port per process of a parallel run (tests.plugins.parallel)
OWN_REDIS_PORT = 6391 + int(os.environ.get("TEST_WORKER_NUMBER", "0"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Smtp:
    """A real SMTP server in this process; ``delay`` seconds per message widens the crash window."""

    def __init__(self, delay: float = 0.0):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.received: list = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if delay:
                    await asyncio.sleep(delay)
                sink.received.append(message_from_bytes(envelope.original_content, policy=policy.default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.controller.stop()

    def by_recipient(self) -> dict[str, list]:
        result: dict[str, list] = {}
        for message in self.received:
            result.setdefault(str(message["To"]), []).append(message)
        return result


class Receiver:
    """A webhook receiver: answers 200 after ``delay`` seconds and keeps (path, webhook-id, body)."""

    def __init__(self, delay: float = 0.0):
        self.requests: list[tuple[str, str, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if delay:
                    time.sleep(delay)
                receiver.requests.append((self.path, self.headers["webhook-id"], json.loads(body)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def smtp():
    server = Smtp()
    yield server
    server.stop()


@pytest.fixture
def tenant(transactional_db):
    tenant = TenantFactory(slug="outbox-w", escalation_emails=ESCALATION)
    staff_make(tenant, "agent1@outbox.example.com")
    staff_make(tenant, "admin@outbox.example.com", role=Role.ADMIN)
    return tenant


def sweep(cluster: Cluster) -> str:
    return cluster.app.send_task("core.tasks.outbox_sweep", queue=cluster.queue).id


def drain(cluster: Cluster, seconds: float = TIMEOUT) -> None:
    """Play beat: send the sweep every 2 s until nothing is left to send."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not (OutboxMessage.objects.filter(status="pending").exists()
                or WebhookDelivery.objects.filter(status="pending").exists()):
            return
        for process, log in cluster.workers:
            if process.poll() not in (None, -signal.SIGKILL):
                pytest.fail(f"worker exited with {process.returncode}:\n{log.read_text()}")
        sweep(cluster)
        time.sleep(2)
    pytest.fail(f"the outbox was not drained in {seconds}s:\n{cluster.logs()[-4000:]}")


def wait_until(condition, what: str, seconds: float = TIMEOUT) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"{what}: not within {seconds}s")


def overdue(tenant, count: int, **extra) -> list[Ticket]:
    now = timezone.now()
    return [ticket_make(tenant, due_at=now - timedelta(minutes=i + 1), subject=f"Awaria {i}", **extra)
            for i in range(count)]


# --- 1. SIGKILL during webhook delivery ----------------------------------------------------------


def test_a_worker_killed_while_delivering_webhooks_loses_none(cluster, tenant):
    # given two endpoints subscribed to ticket.created and 40 events, a receiver taking 50 ms each
    receiver = Receiver(delay=0.05)
    try:
        for path in ("/a", "/b"):
            webhook_create(tenant=tenant, url=receiver.url(path), events=["ticket.created"], actor=None)
        with transaction.atomic():
            event_ids = [webhooks.emit(tenant.pk, "ticket.created", {"n": n}) for n in range(40)]
        victim = cluster.start("victim", WEBHOOK_TIMEOUT_SECONDS=1, OUTBOX_LEASE_SECONDS=3)
        cluster.app.send_task("core.tasks.webhook_dispatch", queue=cluster.queue)
        # when the worker is killed with SIGKILL in the middle of the deliveries
        wait_until(lambda: len(receiver.requests) >= 20, "20 deliveries")
        cluster.kill(victim)
        assert len(receiver.requests) < 80
        # and another worker takes over (beat's sweep wakes it)
        cluster.start("survivor", WEBHOOK_TIMEOUT_SECONDS=1, OUTBOX_LEASE_SECONDS=3)
        drain(cluster)
    finally:
        receiver.stop()
    # then every event reached every endpoint, with at most the one in flight sent twice
    received = Counter((path, event_id) for path, event_id, _body in receiver.requests)
    assert set(received) == {(path, e) for path in ("/a", "/b") for e in event_ids}
    assert sum(received.values()) - len(received) <= 1, received.most_common(3)
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 80
    # and every attempt is in the log, the one in flight with its lost first try counted
    assert WebhookAttempt.objects.count() >= 80


# --- 2. SIGKILL during digest sending ------------------------------------------------------------


def test_a_worker_killed_while_sending_digests_doubles_at_most_the_one_in_flight(cluster, tenant):
    # given 30 agents (unassigned warnings go to all of them) and 10 overdue tickets; slow SMTP
    smtp = Smtp(delay=0.15)
    try:
        for n in range(2, 31):
            staff_make(tenant, f"agent{n}@outbox.example.com")
        tickets = overdue(tenant, 10)
        victim = cluster.start("victim", EMAIL_URL=smtp.url, OUTBOX_LEASE_SECONDS=3)
        cluster.scan()
        # when the worker is killed while it sends the 32 digests
        wait_until(lambda: len(smtp.received) >= 8, "8 digests")
        cluster.kill(victim)
        assert len(smtp.received) < 32
        cluster.start("survivor", EMAIL_URL=smtp.url, OUTBOX_LEASE_SECONDS=3)
        cluster.wait_succeeded(cluster.scan())  # the next minute's scan queues nothing new
        drain(cluster)
    finally:
        smtp.stop()
    # then everyone got their digest, every ticket once in it, and at most one digest went twice
    by_recipient = smtp.by_recipient()
    assert set(by_recipient) == {*ESCALATION, "admin@outbox.example.com",
                                 *(f"agent{n}@outbox.example.com" for n in range(1, 31))} - {"admin@outbox.example.com"}
    assert sum(len(v) for v in by_recipient.values()) - len(by_recipient) <= 1
    for address, messages in by_recipient.items():
        assert len({m["Message-ID"] for m in messages}) == 1  # a re-send is recognisable: same Message-ID
        text = messages[0].get_content()
        for ticket in tickets:
            assert text.count(f"- {ticket.reference} ") == 1, (address, ticket.reference)


# --- 3. a reply after the deadline, before the scan ---------------------------------------------


def test_a_reply_after_the_deadline_before_a_scan_is_one_breach_escalated_once(cluster, tenant, smtp):
    # given a running SLA whose deadline passed a minute ago, and a CRM subscribed to breaches
    receiver = Receiver()
    try:
        webhook_create(tenant=tenant, url=receiver.url("/crm"), events=["sla.warning", "sla.breached"], actor=None)
        ticket = ticket_make(tenant, due_at=timezone.now() - timedelta(minutes=1),
                             warn_at=timezone.now() + timedelta(hours=1))
        agent = staff_make(tenant, "agent2@outbox.example.com").user
        # when an agent answers before the monitor's next scan
        message_add(tenant=tenant, ticket=ticket, body="Już sprawdzamy.", author_user=agent)
        ticket.refresh_from_db()
        assert ticket.sla_state == "breached" and ticket.breached_at == ticket.due_at
        # and the monitor scans twice
        cluster.start("w1", EMAIL_URL=smtp.url)
        cluster.wait_succeeded(cluster.scan())
        cluster.wait_succeeded(cluster.scan())
        drain(cluster)
    finally:
        receiver.stop()
    # then there is one breach event, with its warning before it (late), escalated once
    breach = SlaEvent.objects.get(ticket=ticket, kind="breach")
    warning = SlaEvent.objects.get(ticket=ticket, kind="warning")
    assert breach.at == ticket.due_at and warning.late and breach.notified_at is not None
    by_recipient = smtp.by_recipient()
    for address in ESCALATION:
        [mail] = by_recipient[address]
        assert mail.get_content().count(f"- {ticket.reference} ") == 1
    # and the CRM got one sla.warning and one sla.breached for it
    kinds = Counter(body["type"] for _path, _id, body in receiver.requests)
    assert kinds == {"sla.warning": 1, "sla.breached": 1}
    breached = next(body for _p, _i, body in receiver.requests if body["type"] == "sla.breached")
    assert breached["data"]["ticket"]["id"] == ticket.pk and breached["data"]["ticket"]["sla"]["state"] == "breached"


# --- 4. pages after a long worker outage ---------------------------------------------------------


def test_pages_are_sent_once_after_a_worker_outage(cluster, tenant, smtp):
    # given two on-call people and 10 critical tickets paged while no worker was running
    staff_make(tenant, "dyzur1@outbox.example.com", on_call=True)
    staff_make(tenant, "dyzur2@outbox.example.com", on_call=True)
    tickets = [ticket_make(tenant, due_at=timezone.now() + timedelta(hours=2), critical=True) for _ in range(10)]
    for ticket in tickets:
        with transaction.atomic():
            ticket_page_on_call(ticket=ticket)
    # (the outage outlasts any lease or interval: the rows are older than the lease)
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(hours=1),
                                 next_attempt_at=timezone.now() - timedelta(hours=1))
    # when two workers come back and beat sends scans and sweeps for a few minutes' worth
    cluster.start("w1", EMAIL_URL=smtp.url, OUTBOX_LEASE_SECONDS=1)
    cluster.start("w2", EMAIL_URL=smtp.url, OUTBOX_LEASE_SECONDS=1)
    ids = []
    for _ in range(3):
        ids += [cluster.scan(), sweep(cluster)]
    cluster.wait_succeeded(*ids)
    drain(cluster)
    time.sleep(2)  # longer than the lease: a page claimed twice would show now
    cluster.wait_succeeded(cluster.scan(), sweep(cluster))
    # then each on-call person got each page exactly once
    by_recipient = smtp.by_recipient()
    for address in ("dyzur1@outbox.example.com", "dyzur2@outbox.example.com"):
        subjects = sorted(str(m["Subject"]) for m in by_recipient[address] if "KRYTYCZNE" in str(m["Subject"]))
        assert len(subjects) == len(set(subjects)) == 10
        assert all(any(t.reference in s for s in subjects) for t in tickets)


# --- 5. the broker goes down while a worker is busy ----------------------------------------------


class OwnRedis:
    def __init__(self, tmp_path, port: int = OWN_REDIS_PORT):
        self.port = port
        self.dir = tmp_path / "redis"
        self.dir.mkdir()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        pytest.fail("the test's redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def test_workers_survive_a_broker_restart_and_nothing_is_lost(tmp_path, tenant, smtp):
    redis = OwnRedis(tmp_path)
    redis.start()
    os.environ_backup = dict(os.environ)
    cluster = None
    try:
        os.environ["CELERY_BROKER_URL"] = redis.url
        cluster = Cluster(tmp_path)
        # given two workers, one of them busy with a slow scan (40 overdue tickets, 4 per batch)
        overdue(tenant, 40)
        env = {"EMAIL_URL": smtp.url, "SLA_SCAN_BATCH_SIZE": 4, "SLA_SCAN_PAUSE_SECONDS": 0.5}
        busy = cluster.start_prefork("busy", **env)
        idle = cluster.start_prefork("idle", **env)
        cluster.wait_ready()
        cluster.scan()
        wait_until(lambda: SlaEvent.objects.exists(), "the scan to start")
        # when the broker is killed while the scan runs, and customers file 20 tickets meanwhile
        redis.kill()
        started = time.monotonic()
        for n in range(20):
            ticket = ticket_make(tenant, due_at=timezone.now() + timedelta(hours=8),
                                 requester_email=f"klient{n}@firma.example.com")
            with transaction.atomic():
                outbox.enqueue(tenant=tenant, handler="tickets.acknowledgement", recipient=ticket.requester_email,
                               payload={"ticket": ticket.pk}, dedupe_key=f"ack:{ticket.pk}")
        assert time.monotonic() - started < 20  # the wake-ups do not hang on the dead broker
        time.sleep(3)
        # and the broker comes back
        redis.start()
        wait_until(lambda: cluster.logs().count("Connected to redis://") >= 4, "both workers to reconnect", 45)
        drain(cluster, 45)
        # then both workers are alive, and every acknowledgement went out once
        assert busy.poll() is None and idle.poll() is None, cluster.logs()[-4000:]
        acks = [m for m in smtp.received if "klient" in str(m["To"])]
        assert sorted(str(m["To"]) for m in acks) == sorted(f"klient{n}@firma.example.com" for n in range(20))
    finally:
        if cluster is not None:
            cluster.stop()
        redis.kill()
        os.environ.clear()
        os.environ.update(os.environ_backup)


# --- 6. a catch-up of 1 500 deadlines ------------------------------------------------------------


def test_1500_deadlines_at_once_give_one_digest_per_recipient(cluster, tenant, smtp):
    # given 1 500 tickets whose deadlines all passed during an outage
    now = timezone.now()
    Ticket.objects.bulk_create([
        Ticket(tenant=tenant, number=900_000 + i, subject=f"Awaria {i}", channel="email", status="new",
               received_at=now - timedelta(hours=9), sla_state="running", due_at=now - timedelta(seconds=i + 1),
               warn_at=now - timedelta(hours=2, seconds=i)) for i in range(1500)])
    # when one scan runs (in batches of 500)
    cluster.start("w1", EMAIL_URL=smtp.url)
    cluster.wait_succeeded(cluster.scan())
    drain(cluster)
    # then each recipient got exactly one digest listing all 1 500
    by_recipient = smtp.by_recipient()
    assert sorted(by_recipient) == sorted([*ESCALATION, "agent1@outbox.example.com"])
    for address, messages in by_recipient.items():
        assert len(messages) == 1, address
        assert messages[0].get_content().count("\n- T") == 1500
    assert SlaEvent.objects.count() == 3000
