"""The SLA monitor in-process: what one scan records and sends (RULES 4.4, 4.6)."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone as dt_timezone

from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core import outbox
from core.models import OutboxMessage, Role
from helpdesk.schedules import SCHEDULES, schedules_sync
from monitor import services, tasks
from monitor.models import FailedTask, SlaEvent
from tests.factories import MembershipFactory, OrganizationFactory, TenantFactory, UserFactory
from tickets.models import Ticket, TicketEvent
from tickets.selectors import ticket_history
from tickets.services import message_add, ticket_page_on_call

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=dt_timezone.utc)
_numbers = itertools.count(5000)


def ticket_make(tenant, *, due_at, warn_at=None, assignee=None, state="running", reacted_at=None,
                paged_at=None, organization=None, subject="Nie działa wysyłka", **extra) -> Ticket:
    return Ticket.objects.create(
        tenant=tenant, number=next(_numbers), subject=subject, channel="email", status="new",
        organization=organization, received_at=(due_at or NOW) - timedelta(hours=8),
        sla_state=state, due_at=due_at, warn_at=warn_at if warn_at is not None else (
            due_at - timedelta(hours=2) if due_at else None),
        assignee=assignee, reacted_at=reacted_at, paged_at=paged_at, **extra)


def staff_make(tenant, email, *, role=Role.AGENT, on_call=False):
    return MembershipFactory(tenant=tenant, user=UserFactory(username=email, email=email), role=role,
                             on_call=on_call)


@pytest.fixture
def world(db):
    tenant = TenantFactory(slug="wysylki-t", escalation_emails=["szef@wysylki.example.com",
                                                                 "kierownik@wysylki.example.com"])
    agent = staff_make(tenant, "agent1@wysylki.example.com")
    other = staff_make(tenant, "agent2@wysylki.example.com")
    admin = staff_make(tenant, "admin@wysylki.example.com", role=Role.ADMIN, on_call=True)
    return {"tenant": tenant, "agent": agent, "other": other, "admin": admin,
            "organization": OrganizationFactory(tenant=tenant, name="Sklep Kowalski")}


def scan(now=NOW, **kwargs):
    """One scan as the task runs it, then the outbox dispatcher that sends what it queued."""
    recorded = services.sla_scan(now=now, **kwargs)
    delivered = services.notifications_deliver(now=now)
    outbox.dispatch()
    return recorded, delivered


def test_breach_is_recorded_at_the_deadline_not_at_the_scan(world):
    # given a running SLA whose deadline passed 3 hours before the scan
    due = NOW - timedelta(hours=3)
    ticket = ticket_make(world["tenant"], due_at=due, organization=world["organization"])
    # when the monitor scans
    recorded, delivered = scan()
    # then the ticket is breached at its deadline, once, with a history row
    ticket.refresh_from_db()
    assert ticket.sla_state == "breached"
    assert ticket.breached_at == due
    assert ticket.warned_at == due - timedelta(hours=2)
    breach = SlaEvent.objects.get(ticket=ticket, kind="breach")
    assert (breach.at, breach.recorded_at, breach.notified_at) == (due, NOW, NOW)
    history = ticket_history(ticket=ticket)
    assert [(e.kind, e.at) for e in history if e.kind.startswith("sla_")] == [
        ("sla_warning", due - timedelta(hours=2)), ("sla_breached", due)]
    assert not TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_").exists()  # read from the events
    assert recorded.breaches == 1 and recorded.warnings == 1
    # and the escalation contacts got the breach by e-mail, in Polish
    to_escalation = [m for m in mail.outbox if m.to == ["szef@wysylki.example.com"]]
    assert len(to_escalation) == 1
    assert "Przekroczono gwarantowane terminy" in to_escalation[0].body
    assert ticket.reference in to_escalation[0].body
    # the due time local and formatted as people read it, never ISO
    assert "termin reakcji minął: 10.03.2026, 10:00" in to_escalation[0].body
    assert "2026-03-10" not in to_escalation[0].body
    assert sorted(breach.recipients) == ["kierownik@wysylki.example.com", "szef@wysylki.example.com"]


def test_warning_goes_to_the_assignee_or_else_to_the_team(world):
    # given two tickets past their warning time but not their deadline: one assigned, one not
    assigned = ticket_make(world["tenant"], due_at=NOW + timedelta(hours=1), warn_at=NOW - timedelta(minutes=5),
                           assignee=world["agent"])
    unassigned = ticket_make(world["tenant"], due_at=NOW + timedelta(hours=1), warn_at=NOW - timedelta(minutes=1))
    # when the monitor scans
    recorded, _ = scan()
    # then each gets one warning at its warn_at and stays running
    assert recorded.warnings == 2 and recorded.breaches == 0
    for ticket in (assigned, unassigned):
        ticket.refresh_from_db()
        assert ticket.sla_state == "running"
        assert SlaEvent.objects.get(ticket=ticket, kind="warning").at == ticket.warn_at
    # and the assignee hears of both its own ticket and the team's; the other agent only the team's
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert set(by_recipient) == {"agent1@wysylki.example.com", "agent2@wysylki.example.com"}
    assert assigned.reference in by_recipient["agent1@wysylki.example.com"]
    assert unassigned.reference in by_recipient["agent2@wysylki.example.com"]
    assert assigned.reference not in by_recipient["agent2@wysylki.example.com"]
    assert len(mail.outbox) == 2  # one digest per recipient


def test_a_second_scan_records_and_sends_nothing_again(world):
    ticket_make(world["tenant"], due_at=NOW - timedelta(minutes=1))
    scan()
    sent = len(mail.outbox)
    # when the monitor scans again (a retry, or the next minute)
    recorded, delivered = scan(NOW + timedelta(minutes=1))
    # then nothing new
    assert (recorded.warnings, recorded.breaches, delivered.events, len(mail.outbox)) == (0, 0, 0, sent)
    assert SlaEvent.objects.count() == 2


def test_catch_up_after_an_outage_records_every_event_with_its_own_time_in_one_digest(world):
    # given a 6-hour outage during which 30 deadlines passed (and their warnings before them)
    dues = [NOW - timedelta(minutes=10 * i + 5) for i in range(30)]
    tickets = [ticket_make(world["tenant"], due_at=due) for due in dues]
    # when the monitor runs again, in small batches
    recorded, delivered = scan(batch_size=7)
    # then every warning and breach is recorded with warn_at/due_at
    assert recorded.breaches == 30 and recorded.warnings == 30
    for ticket, due in zip(tickets, dues, strict=True):
        assert SlaEvent.objects.get(ticket=ticket, kind="breach").at == due
        assert SlaEvent.objects.get(ticket=ticket, kind="warning").at == due - timedelta(hours=2)
    # and each recipient gets exactly one digest listing everything that concerns them
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 4  # 2 escalation contacts + 2 agents
    boss = next(m for m in mail.outbox if m.to == ["szef@wysylki.example.com"])
    assert all(t.reference in boss.body for t in tickets)
    assert "30" in boss.subject


def test_a_reaction_in_time_wins_over_the_breach(world):
    # given a running SLA whose reaction was recorded before the deadline (imported late)
    due = NOW - timedelta(minutes=30)
    ticket = ticket_make(world["tenant"], due_at=due, reacted_at=due - timedelta(minutes=1))
    # when the monitor scans
    recorded, _ = scan()
    # then it is met, not breached, and no breach is recorded or sent
    ticket.refresh_from_db()
    assert ticket.sla_state == "met" and ticket.breached_at is None
    assert recorded.met == 1 and not SlaEvent.objects.filter(kind="breach").exists()
    assert not [m for m in mail.outbox if "szef@wysylki.example.com" in m.to]


def test_tickets_not_running_or_not_due_are_left_alone(world):
    met = ticket_make(world["tenant"], due_at=NOW - timedelta(hours=1), state="met")
    future = ticket_make(world["tenant"], due_at=NOW + timedelta(hours=5))
    recorded, delivered = scan()
    assert (recorded.warnings, recorded.breaches, delivered.events) == (0, 0, 0)
    future.refresh_from_db()
    met.refresh_from_db()
    assert future.sla_state == "running" and met.sla_state == "met"


def test_a_failed_recipient_is_retried_alone(world, monkeypatch):
    # given a breach whose second escalation address fails once
    ticket_make(world["tenant"], due_at=NOW - timedelta(minutes=1), warn_at=NOW + timedelta(hours=1))
    real_send = outbox.mail_send
    failing = {"kierownik@wysylki.example.com"}

    def flaky(row, **kwargs):
        if row.recipient in failing:
            raise OSError("connection refused")
        real_send(row, **kwargs)

    monkeypatch.setattr(outbox, "mail_send", flaky)
    _, first = scan()
    # (two escalation contacts for the breach, the two agents for its late warning)
    assert first.emails == 4
    escalated = ["szef@wysylki.example.com", "kierownik@wysylki.example.com"]
    assert [m.to[0] for m in mail.outbox if m.to[0] in escalated] == ["szef@wysylki.example.com"]
    failed = OutboxMessage.objects.get(recipient="kierownik@wysylki.example.com")
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 1, "OSError: connection refused")
    # when the address works again and the retry is due
    failing.clear()
    OutboxMessage.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    _, second = scan(NOW + timedelta(minutes=1))
    # then only the missing recipient gets it, and the next scan queues nothing new
    assert second.emails == 0
    assert [m.to[0] for m in mail.outbox if m.to[0] in escalated] == escalated
    assert len(mail.outbox) == 4
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_claimed_message_is_not_sent_by_another_worker_until_its_lease_expires(world, settings):
    ticket_make(world["tenant"], due_at=NOW - timedelta(minutes=1), warn_at=NOW + timedelta(hours=1))
    services.sla_scan(now=NOW)
    services.notifications_deliver(now=NOW)
    # given a worker claimed the first digest and died before sending it
    now = timezone.now()
    dead = outbox.claim_one(outbox.due(now), now=now, hold=outbox.lease())
    assert dead is not None
    # when another worker dispatches within the lease: only the other digests go out
    assert outbox.dispatch().sent == 3
    assert len(mail.outbox) == 3
    # and after the lease the claimed one is sent, once
    with time_machine.travel(now + outbox.lease() + timedelta(seconds=1)):
        assert outbox.dispatch().sent == 1
        assert outbox.dispatch().sent == 0
    assert len(mail.outbox) == len({m.to[0] for m in mail.outbox}) == 4


def test_a_page_is_sent_once_however_long_the_workers_were_down(world):
    # given a critical ticket paged while no worker ran, and two on-call people
    staff_make(world["tenant"], "dyzur@wysylki.example.com", on_call=True)
    ticket = ticket_make(world["tenant"], due_at=NOW + timedelta(hours=2), critical=True)
    with transaction.atomic():
        ticket_page_on_call(ticket=ticket)
    # when the workers come back hours later and run scans and the dispatcher again and again
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        for minute in range(3):
            scan(NOW + timedelta(minutes=minute))
    # then each on-call person got the page exactly once
    pages = [m for m in mail.outbox if "KRYTYCZNE" in m.subject]
    assert sorted(m.to[0] for m in pages) == ["admin@wysylki.example.com", "dyzur@wysylki.example.com"]
    assert all(ticket.reference in m.subject for m in pages)
    assert len({m.extra_headers["Message-ID"] for m in pages}) == 2
    # and the page gives the deadline as people read it, in the tenant's time, not an ISO stamp
    local = (NOW + timedelta(hours=2)).astimezone(ZoneInfo("Europe/Warsaw"))
    assert f"Termin reakcji: {local:%d.%m.%Y, %H:%M} (Europe/Warsaw)" in pages[0].body
    assert "+00:00" not in pages[0].body


def test_a_task_that_finally_fails_leaves_a_dead_letter(world, monkeypatch):
    def broken(**kwargs):
        raise ValueError("bad row")

    monkeypatch.setattr(services, "sla_scan", broken)
    # when the scan fails with an error that is not retried
    tasks.scan.apply()
    # then the failure is recorded with its exception and traceback
    failed = FailedTask.objects.get()
    assert failed.task_name == "monitor.tasks.scan"
    assert failed.exception == "ValueError: bad row"
    assert "broken" in failed.traceback


def test_scan_task_is_reliable_and_scheduled(db):
    assert tasks.scan.acks_late and tasks.scan.reject_on_worker_lost
    assert tasks.scan.max_retries >= 3 and tasks.scan.retry_backoff and tasks.scan.time_limit
    assert SCHEDULES["sla-scan"] == ("monitor.tasks.scan", 60)
    # every schedule of the product is a django-celery-beat row, editable in the admin
    schedules_sync()
    rows = {p.name: p for p in PeriodicTask.objects.all()}
    for name, (task, seconds) in SCHEDULES.items():
        assert rows[name].task == task and rows[name].interval.every == seconds


def test_a_ticket_due_between_the_warning_and_the_breach_step_gets_its_warning_late(world):
    # given a scan whose warning step has run, and then a ticket that is already past both times
    services._warnings_batch(NOW, 500, services.ScanResult())
    ticket = ticket_make(world["tenant"], due_at=NOW - timedelta(minutes=2), warn_at=NOW - timedelta(minutes=30))
    # when the same scan's breach step runs
    result = services.ScanResult()
    services._breaches_batch(NOW, 500, result)
    # then the breach has its warning before it, flagged late, and both are in the history
    warning = SlaEvent.objects.get(ticket=ticket, kind="warning")
    breach = SlaEvent.objects.get(ticket=ticket, kind="breach")
    assert warning.late and not breach.late and warning.at <= breach.at
    assert (result.late_warnings, result.breaches) == (1, 1)
    ticket.refresh_from_db()
    assert ticket.warned_at == ticket.warn_at and ticket.sla_state == "breached"
    lines = [e for e in ticket_history(ticket=ticket) if e.kind.startswith("sla_")]
    assert [(e.kind, e.data["late"]) for e in lines] == [("sla_warning", True), ("sla_breached", False)]


def test_a_reaction_after_the_deadline_records_the_breach_and_the_scan_escalates_it_once(world):
    # given a running SLA whose deadline passed before the monitor's next scan
    ticket = ticket_make(world["tenant"], due_at=NOW - timedelta(minutes=5), warn_at=NOW - timedelta(hours=1))
    # when an agent answers now
    with time_machine.travel(NOW):
        message_add(tenant=world["tenant"], ticket=ticket, body="Sprawdzamy.", author_user=world["agent"].user)
    # then the ticket is breached with a breach event (and its late warning), found by the reaction
    ticket.refresh_from_db()
    assert ticket.sla_state == "breached" and ticket.breached_at == ticket.due_at
    assert SlaEvent.objects.get(ticket=ticket, kind="breach").at == ticket.due_at
    assert SlaEvent.objects.get(ticket=ticket, kind="warning").late
    # and the next scans escalate it once to each escalation contact
    recorded, _ = scan(NOW + timedelta(minutes=1))
    scan(NOW + timedelta(minutes=2))
    assert recorded.breaches == 0  # recorded by the reaction, not again by the scan
    escalated = [m for m in mail.outbox if m.to[0] in world["tenant"].escalation_emails]
    assert sorted(m.to[0] for m in escalated) == sorted(world["tenant"].escalation_emails)
    assert all(ticket.reference in m.body for m in escalated)
