"""The SLA monitor under real Celery workers: exactly once with concurrency and crashes.

Each test starts ``celery -A helpdesk worker`` subprocesses against the broker of the settings
(the embedded SQLAlchemy/SQLite transport, or Redis when CELERY_BROKER_URL=redis://…) on a queue
of its own, and points them at the test database (a file on SQLite, the test database on
PostgreSQL). Mail goes to the file-based backend in a temporary directory, so every message the
workers sent can be counted.
"""
from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from core.models import OutboxMessage, Role, WebhookDelivery
from monitor.models import SlaEvent
from tests.factories import TenantFactory
from tests.sla.test_monitor import staff_make, ticket_make
from tickets.models import Ticket, TicketEvent
from tickets.selectors import ticket_history

pytestmark = pytest.mark.django_db(transaction=True)

CELERY = Path(sys.executable).with_name("celery")
ROOT = Path(__file__).resolve().parents[2]
ESCALATION = ["szef@wysylki.example.com", "kierownik@wysylki.example.com"]
TIMEOUT = 90


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = quote(s.get("USER") or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or ""
    if host.startswith("/"):  # a Unix socket directory
        return f"postgres://{auth}@/{s['NAME']}?host={quote(host, safe='')}"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


class Cluster:
    """Workers on a private queue; tasks sent the way beat sends them."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.mail_dir = tmp_path / "mail"
        self.mail_dir.mkdir()
        configured = os.environ.get("CELERY_BROKER_URL", "")
        self.broker = configured if configured.startswith(("redis://", "rediss://")) \
            else f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
        self.queue = f"sla-test-{uuid.uuid4().hex[:10]}"
        self.app = Celery("sla-tests", broker=self.broker)
        self.app.conf.broker_connection_retry_on_startup = True
        with self.app.connection_for_write() as conn:  # creates the embedded broker's tables once
            conn.ensure_connection(max_retries=3)
        self.workers: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, _argv: list[str] | None = None, **env) -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.broker,
            # The outbox's wake-up tasks go to this test's queue, not to another run's workers.
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "EMAIL_URL": f"filemail:///{self.mail_dir}",  # four slashes: an absolute path
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in env.items()},
        }
        process = subprocess.Popen(
            [str(CELERY), "-A", "helpdesk", "worker", *(_argv or ["-P", "solo", "--without-heartbeat"]),
             "-Q", self.queue, "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-l", "INFO"],
            cwd=ROOT, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append((process, log))
        return process

    def start_prefork(self, name: str, concurrency: int = 2, **env) -> subprocess.Popen:
        """A worker as production runs it: the prefork pool, heartbeats and all (``-c 2``)."""
        return self.start(name, _argv=["-c", str(concurrency)], **env)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.logs().count(" ready.") >= len(self.workers):
                return
            time.sleep(0.1)
        pytest.fail(f"workers not ready in {TIMEOUT}s:\n{self.logs()[-4000:]}")

    def scan(self) -> str:
        return self.app.send_task("monitor.tasks.scan", queue=self.queue).id

    def logs(self) -> str:
        return "".join(log.read_text(errors="replace") for _p, log in self.workers)

    def wait_succeeded(self, *task_ids: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            text = self.logs()
            if all(f"[{task_id}] succeeded" in text for task_id in task_ids):
                return
            for process, log in self.workers:
                if process.poll() not in (None, -signal.SIGKILL):
                    pytest.fail(f"worker exited with {process.returncode}:\n{log.read_text()}")
            time.sleep(0.2)
        pytest.fail(f"tasks {task_ids} did not finish in {TIMEOUT}s:\n{self.logs()[-4000:]}")

    def wait_drained(self) -> None:
        """Wait until the outbox dispatcher has sent every message and webhook that is due."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if not (OutboxMessage.objects.filter(status="pending").exists()
                    or WebhookDelivery.objects.filter(status="pending").exists()):
                return
            for process, log in self.workers:
                if process.poll() not in (None, -signal.SIGKILL):
                    pytest.fail(f"worker exited with {process.returncode}:\n{log.read_text()}")
            time.sleep(0.2)
        pytest.fail(f"the outbox was not drained in {TIMEOUT}s:\n{self.logs()[-4000:]}")

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        for process, _log in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _log in self.workers:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def mails(self) -> list[email.message.Message]:
        messages = []
        for path in sorted(self.mail_dir.iterdir()):
            for chunk in path.read_text().split("-" * 79 + "\n"):
                if chunk.strip():
                    messages.append(email.message_from_string(chunk))
        return messages


def body(message) -> str:
    if (message.get("Content-Transfer-Encoding") or "").lower() in ("7bit", "8bit"):
        return message.get_payload()  # already text: decode=True would re-encode it as Latin-1
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path)
    yield cluster
    cluster.stop()


@pytest.fixture
def tenant(transactional_db):
    tenant = TenantFactory(slug="wysylki-w", escalation_emails=ESCALATION)
    staff_make(tenant, "agent1@wysylki.example.com")
    staff_make(tenant, "admin@wysylki.example.com", role=Role.ADMIN)
    return tenant


def overdue(tenant, count: int) -> list[Ticket]:
    now = timezone.now()
    return [ticket_make(tenant, due_at=now - timedelta(minutes=i + 1), subject=f"Awaria {i}") for i in range(count)]


def assert_each_sent_once(cluster, tickets) -> None:
    """Every breach reached each escalation contact exactly once, every warning the team once."""
    by_recipient: dict[str, list[str]] = {}
    for message in cluster.mails():
        by_recipient.setdefault(message["To"], []).append(body(message))
    for address in ESCALATION:
        text = "\n".join(by_recipient.get(address, []))
        for ticket in tickets:
            assert text.count(f"- {ticket.reference} ") == 1, (address, ticket.reference)
    team = "\n".join(by_recipient.get("agent1@wysylki.example.com", []))
    for ticket in tickets:
        assert team.count(f"- {ticket.reference} ") == 1, ticket.reference


def assert_each_recorded_once(tickets) -> None:
    ids = [t.pk for t in tickets]
    for kind, history in (("breach", "sla_breached"), ("warning", "sla_warning")):
        assert SlaEvent.objects.filter(ticket_id__in=ids, kind=kind).count() == len(ids)
        assert SlaEvent.objects.filter(ticket_id__in=ids, kind=kind, notified_at__isnull=True).count() == 0
        assert not TicketEvent.objects.filter(ticket_id__in=ids, kind=history).exists()  # read from the events
    for ticket in tickets:
        lines = [e.kind for e in ticket_history(ticket=ticket) if e.kind.startswith("sla_")]
        assert lines == ["sla_warning", "sla_breached"], (ticket.reference, lines)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.sla_state == "breached" and ticket.breached_at == ticket.due_at
        assert SlaEvent.objects.get(ticket=ticket, kind="breach").at == ticket.due_at


def test_a_worker_records_and_notifies_each_overdue_ticket_once(cluster, tenant):
    # given 25 overdue tickets and 50 whose deadline is far away
    tickets = overdue(tenant, 25)
    for _ in range(50):
        ticket_make(tenant, due_at=timezone.now() + timedelta(days=3))
    cluster.start("w1")
    # when beat sends the scan twice (a minute apart, or a duplicate delivery)
    first = cluster.scan()
    cluster.wait_succeeded(first)
    second = cluster.scan()
    cluster.wait_succeeded(second)
    cluster.wait_drained()
    # then each overdue ticket has one breach and one warning, each notified once, in one digest each
    assert_each_recorded_once(tickets)
    assert Ticket.objects.filter(sla_state="running").count() == 50
    recipients = [m["To"] for m in cluster.mails()]
    assert sorted(recipients) == sorted([*ESCALATION, "agent1@wysylki.example.com"])
    assert_each_sent_once(cluster, tickets)


def test_two_workers_scanning_at_once_produce_no_duplicates(cluster, tenant):
    # given 240 overdue tickets, scanned in batches of 15
    tickets = overdue(tenant, 240)
    cluster.start("w1", SLA_SCAN_BATCH_SIZE=15)
    cluster.start("w2", SLA_SCAN_BATCH_SIZE=15)
    # when both workers scan at the same time, twice each
    ids = [cluster.scan() for _ in range(4)]
    cluster.wait_succeeded(*ids)
    cluster.wait_drained()
    # then nothing is recorded or sent twice, and nothing is missed
    assert_each_recorded_once(tickets)
    assert_each_sent_once(cluster, tickets)
    assert SlaEvent.objects.count() == 2 * 240


def test_a_worker_killed_mid_scan_loses_nothing_and_duplicates_nothing(cluster, tenant):
    # given 60 overdue tickets and a worker that scans slowly, 10 tickets per batch
    tickets = overdue(tenant, 60)
    victim = cluster.start("victim", SLA_SCAN_BATCH_SIZE=10, SLA_SCAN_PAUSE_SECONDS=0.5)
    cluster.scan()
    deadline = time.monotonic() + TIMEOUT
    while SlaEvent.objects.count() < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    # when it is killed with SIGKILL in the middle of the scan
    cluster.kill(victim)
    partial = SlaEvent.objects.count()
    assert 30 <= partial < 120, partial
    assert cluster.mails() == []  # it died before notifying anyone
    # and a new worker runs the next scan
    cluster.start("survivor")
    cluster.wait_succeeded(cluster.scan())
    cluster.wait_drained()
    # then every event is recorded once and sent once
    assert_each_recorded_once(tickets)
    assert_each_sent_once(cluster, tickets)
