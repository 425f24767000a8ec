"""Targets beyond the reaction (RULES 4.7) through the ticket services, and the queue built on them (4.5)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plans.models import Subscription
from sla import clock, policy
from tests.tickets.ui_support import agent, contact, file_ticket
from tickets import sla_targets
from tickets.models import SlaPause, Ticket
from tickets.selectors import queue
from tickets.services import message_add, ticket_set_status

WARSAW = ZoneInfo("Europe/Warsaw")
S = Ticket.Status


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in the week of Monday 7 December 2026 (no holidays), Warsaw time."""
    return datetime(2026, 12, day, hour, minute, tzinfo=WARSAW)


@pytest.fixture
def standard(demo):
    """Elektro-Mat on STANDARD (Mon–Fri 7–17, reaction 4 h) with per-customer next-reply and resolution targets."""
    customer = contact("wysylki", "Krzysztof Prądzyński")
    subscription = Subscription.objects.filter(organization=customer.organization).get()
    subscription.overrides = {**subscription.overrides, "next_reply_minutes": 120, "resolution_minutes": 600}
    subscription.save()
    return {"customer": customer, "agent": agent("wysylki", "agent@wysylki.example.com")}


def test_resolution_clock_stops_while_waiting_on_the_customer_and_the_reply_clock_runs_per_message(standard):
    customer, staff = standard["customer"], standard["agent"]
    tenant = staff.tenant
    # given a ticket received Monday 8:00: resolution due after 10 business hours, Tuesday 8:00
    ticket = file_ticket(customer, "Nie drukuje", received_at=local(7, 8))
    assert ticket.sla_targets[sla_targets.RESOLUTION] == 600
    assert ticket.resolution_due_at == local(8, 8)
    assert (ticket.next_due_target, ticket.next_due_at) == ("reaction", local(7, 12))
    assert ticket.needs_agent and ticket.waiting_since == local(7, 8)

    # when the agent reacts by a status change at 9:00 the customer's message still waits for a reply
    ticket = ticket_set_status(tenant=tenant, ticket=ticket, status=S.OPEN, actor=staff.user, at=local(7, 9))
    assert ticket.reply_cycle == 1 and ticket.reply_due_at == local(7, 11)
    assert (ticket.next_due_target, ticket.next_due_at) == ("next_reply", local(7, 11))

    # and at 10:00 puts it to waiting for the customer: the resolution clock stops, nothing is due
    ticket = ticket_set_status(tenant=tenant, ticket=ticket, status=S.WAITING_CUSTOMER, actor=staff.user,
                               at=local(7, 10))
    assert ticket.resolution_due_at is None and ticket.reply_due_at is None
    assert not ticket.needs_agent and ticket.next_due_at is None
    assert SlaPause.objects.get(ticket=ticket).ended_at is None

    # when the customer answers on Tuesday 10:00
    message_add(tenant=tenant, ticket=ticket, body="Proszę, oto log.", author_contact=customer,
                source="portal", at=local(8, 10))
    ticket.refresh_from_db()

    # then the pause is closed, 2 h were used before it: 8 h remain from Tuesday 10:00 → Wednesday 8:00
    pause = SlaPause.objects.get(ticket=ticket)
    assert (pause.started_at, pause.ended_at, pause.status) == (local(7, 10), local(8, 10), S.WAITING_CUSTOMER)
    assert ticket.status == S.OPEN and ticket.resolution_due_at == local(9, 8)
    # the reply clock starts anew at the customer's message
    assert ticket.reply_cycle == 2 and ticket.reply_due_at == local(8, 12)
    assert ticket.needs_agent and ticket.waiting_since == local(8, 10)
    assert (ticket.next_due_target, ticket.next_due_at) == ("next_reply", local(8, 12))

    # when the agent replies at 11:00 the reply is met and the ticket waits on nobody in particular
    message_add(tenant=tenant, ticket=ticket, body="Dziękujemy, sprawdzamy.", author_user=staff.user,
                at=local(8, 11))
    ticket.refresh_from_db()
    assert ticket.reply_met_at == local(8, 11) and ticket.reply_breached_at is None
    assert not ticket.needs_agent and ticket.waiting_since == local(8, 11)
    assert (ticket.next_due_target, ticket.next_due_at) == ("resolution", local(9, 8))

    # and the due time is the pure engine's, recomputed from the stored pauses
    cal = policy.calendar_from_spec(ticket.sla_targets["calendar"])
    assert clock.due_at(cal, local(7, 8), timedelta(minutes=600), sla_targets.pauses_of(ticket)) == local(9, 8)

    # when it is resolved in time the resolution is met and nothing is pending
    ticket = ticket_set_status(tenant=tenant, ticket=ticket, status=S.RESOLVED, actor=staff.user, at=local(8, 15))
    assert ticket.resolution_breached_at is None and ticket.next_due_at is None
    resolution = [s for s in sla_targets.states(ticket) if s.target == "resolution"][0]
    assert resolution.met_at == local(8, 15) and resolution.late_by(local(8, 16)) is None


def test_a_late_reply_and_a_late_resolution_are_recorded_as_missed_at_their_due_time(standard):
    customer, staff = standard["customer"], standard["agent"]
    tenant = staff.tenant
    ticket = file_ticket(customer, "Wolno działa", received_at=local(7, 8))
    message_add(tenant=tenant, ticket=ticket, body="Sprawdzamy.", author_user=staff.user, at=local(7, 9))
    message_add(tenant=tenant, ticket=ticket, body="Nadal wolno.", author_contact=customer, source="portal",
                at=local(7, 10))
    ticket.refresh_from_db()
    assert ticket.reply_due_at == local(7, 12)
    # the agent answers at 13:30, 1.5 h late
    message_add(tenant=tenant, ticket=ticket, body="Już poprawione.", author_user=staff.user, at=local(7, 13, 30))
    ticket.refresh_from_db()
    assert ticket.reply_breached_at == local(7, 12)
    reply = [s for s in sla_targets.states(ticket) if s.target == "next_reply"][0]
    assert reply.late_by(local(9, 0)) == timedelta(hours=1, minutes=30)
    # resolved on Wednesday: the resolution was due on Tuesday 8:00
    ticket = ticket_set_status(tenant=tenant, ticket=ticket, status=S.RESOLVED, actor=staff.user, at=local(9, 9))
    assert ticket.resolution_breached_at == local(8, 8)


def test_waiting_for_a_package_from_receipt_pauses_the_resolution_clock_from_the_start(demo):
    henryk = contact("kjm", "Henryk Bilansowy")  # PAKIET without a valid package
    subscription = Subscription.objects.filter(organization=henryk.organization).get()
    subscription.overrides = {"resolution_minutes": 60}
    subscription.save()
    ticket = file_ticket(henryk, "Proszę o pomoc", received_at=local(7, 8))
    assert ticket.status == S.WAITING_PACKAGE
    assert SlaPause.objects.get(ticket=ticket).started_at == local(7, 8)
    assert ticket.resolution_due_at is None and not ticket.needs_agent


def test_a_new_critical_ticket_is_above_a_critical_ticket_already_in_progress(demo):
    barbara = contact("kjm", "Barbara Księgowa")  # OPIEKA: critical reaction 2 h, every day 7–22
    staff = agent("kjm", "opiekun@kjm.example.com")
    older = file_ticket(barbara, "Awaria serwera", critical=True, received_at=local(7, 8))
    ticket_set_status(tenant=staff.tenant, ticket=older, status=S.OPEN, actor=staff.user, at=local(7, 8, 10))
    newer = file_ticket(barbara, "Nie działa fakturowanie", critical=True, received_at=local(7, 9))
    rows = list(queue(tenant=staff.tenant, membership=staff))
    assert [rows[0].pk, rows[1].pk] == [newer.pk, older.pk]
