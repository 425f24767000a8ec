"""Booking, proposals, rescheduling, cancellation, logging and call-backs through the services."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from appointments import selectors, services
from appointments.models import Appointment, BookingRules, Callback
from billing.selectors import organization_usage
from core.models import OutboxMessage
from tests.appointments.conftest import NOW, WARSAW


def first_slot(ticket, kind="remote", length=60):
    search = selectors.find_slots(tenant=ticket.tenant, organization=ticket.organization, kind=kind,
                                  length=length, now=NOW)
    assert search.slots, "no free slot"
    return search.slots[0]


def test_start_customer_sees_slots_inside_the_plan_hours_after_the_notice(start_ticket):
    search = selectors.find_slots(tenant=start_ticket.tenant, organization=start_ticket.organization,
                                  kind="remote", length=60, now=NOW)
    starts = [s.astimezone(WARSAW) for s, _agents in search.slots]
    # minimum notice 2 h: the first slot is 10:00 on Monday; START's hours are 8:00-16:00
    assert starts[0].strftime("%a %H:%M") == "Mon 10:00"
    assert all(8 <= s.hour and (s + timedelta(minutes=60)).time() <= s.replace(hour=16, minute=0).time()
               for s in starts)
    assert all(s.weekday() < 5 for s in starts)
    assert not any(s.date().isoformat() in ("2026-05-01", "2026-05-03") for s in starts)


def test_booking_takes_the_slot_and_a_second_booking_of_it_fails(start_ticket, sent):
    start, agents = first_slot(start_ticket)
    booked = services.appointment_book(tenant=start_ticket.tenant, ticket=start_ticket, kind="remote",
                                       starts_at=start, minutes=60, actor=None, agent=agents[0], now=NOW)
    assert booked.status == "booked" and booked.agent == agents[0]
    with pytest.raises(ValidationError):
        services.appointment_book(tenant=start_ticket.tenant, ticket=start_ticket, kind="remote",
                                  starts_at=start, minutes=60, actor=None, agent=agents[0], now=NOW)
    # the buffer keeps the next session of that agent 10 minutes away
    again = selectors.find_slots(tenant=start_ticket.tenant, organization=start_ticket.organization, kind="remote",
                                 length=30, now=NOW, agents=[agents[0]])
    assert all(s >= booked.ends_at + timedelta(minutes=10) or s + timedelta(minutes=30) <= booked.starts_at
               - timedelta(minutes=10) for s, _a in again.slots)


def test_kinds_lengths_and_plans(demo):
    rules = BookingRules(tenant=demo.wysylki)
    from plans.selectors import plan_in_force

    community = plan_in_force(tenant=demo.wysylki, organization=None, at=NOW).terms
    assert selectors.allowed_kinds(rules, community) == ["phone", "remote"]  # paid at 200.00/h
    rules.kinds_by_plan = {"community": ["phone"]}
    assert selectors.allowed_kinds(rules, community) == ["phone"]
    assert rules.lengths("phone") == [15, 30] and rules.lengths("remote") == [30, 60, 90]


def test_cost_preview_draws_on_the_allowance_then_bills_the_rate(start_ticket):
    org = start_ticket.organization
    # seed 000: 60 min remote + 5 min for the record, per started 30 min → 90 billed
    preview = selectors.cost_preview(tenant=start_ticket.tenant, organization=org, kind="remote", minutes=60, at=NOW)
    assert preview.source == "allowance" and preview.billed_minutes == 90
    left = organization_usage(tenant=start_ticket.tenant, organization=org, month=NOW.date().replace(day=1))
    assert preview.left_minutes == left.remaining_minutes
    assert preview.billable_minutes == max(0, 90 - left.remaining_minutes)


def test_reschedule_and_cancel_keep_the_uid_and_raise_the_sequence(start_ticket, sent, settings):
    tenant = start_ticket.tenant
    start, agents = first_slot(start_ticket)
    booked = services.appointment_book(tenant=tenant, ticket=start_ticket, kind="remote", starts_at=start,
                                       minutes=60, actor=None, now=NOW)
    uid = booked.uid
    later = start + timedelta(days=1)
    moved = services.appointment_reschedule(tenant=tenant, appointment=booked, starts_at=later, actor=None, now=NOW)
    assert moved.uid == uid and moved.sequence == 1 and moved.starts_at == later
    cancelled = services.appointment_cancel(tenant=tenant, appointment=moved, actor=None, by_customer=True, now=NOW)
    assert cancelled.sequence == 2 and cancelled.status == "cancelled" and not cancelled.late_cancellation
    assert [kind for _pk, kind in sent] == ["booked", "rescheduled", "cancelled"]


def test_late_cancellation_is_counted_when_the_tenant_says_so(start_ticket, sent):
    tenant = start_ticket.tenant
    BookingRules.objects.create(tenant=tenant, late_cancel_counts=True, late_cancel_hours=24)
    start, _agents = first_slot(start_ticket, kind="phone", length=15)
    booked = services.appointment_book(tenant=tenant, ticket=start_ticket, kind="phone", starts_at=start,
                                       minutes=15, actor=None, now=NOW)
    cancelled = services.appointment_cancel(tenant=tenant, appointment=booked, actor=None, by_customer=True,
                                            now=NOW + timedelta(minutes=5))
    assert cancelled.late_cancellation and cancelled.time_entry is not None
    assert cancelled.time_entry.billed_minutes == 30  # 15 + 5 → per started 15 min


def test_mail_carries_an_invitation_that_updates_and_cancels(start_ticket):
    from core import outbox

    tenant = start_ticket.tenant
    start, _agents = first_slot(start_ticket)
    booked = services.appointment_book(tenant=tenant, ticket=start_ticket, kind="remote", starts_at=start,
                                       minutes=60, actor=None, now=NOW)
    services.appointment_cancel(tenant=tenant, appointment=booked, actor=None, by_customer=False, now=NOW)
    mail.outbox.clear()
    assert outbox.dispatch(budget_seconds=30).handlers["appointments.mail"] == 4
    sessions = [m for m in mail.outbox if m.attachments]
    to_customer = [m for m in sessions if m.to == ["joanna@meblex.example.com"]]
    to_agent = [m for m in sessions if m.to == [booked.agent.user.email]]
    assert len(to_customer) == 2 and len(to_agent) == 2
    first, second = to_customer
    # Each message renders the session as it was at its change, though both are sent after the cancel.
    ics_1, ics_2 = str(first.attachments[0][1]), str(second.attachments[0][1])
    assert "METHOD:REQUEST" in ics_1 and "SEQUENCE:0" in ics_1 and "STATUS:CONFIRMED" in ics_1
    assert "METHOD:CANCEL" in ics_2 and "SEQUENCE:1" in ics_2 and "STATUS:CANCELLED" in ics_2
    assert f"UID:{booked.uid}@helpdesk" in ics_1 and f"UID:{booked.uid}@helpdesk" in ics_2
    assert f"/portal/appointments/{booked.pk}/" in first.body
    # One outbox row per (message, recipient), each with its own stable Message-ID.
    rows = OutboxMessage.objects.filter(handler="appointments.mail").order_by("id")
    assert [(r.payload["kind"], r.status) for r in rows] == [("booked", "sent")] * 2 + [("cancelled", "sent")] * 2
    assert sorted(m.extra_headers["Message-ID"] for m in sessions) == sorted(r.message_id for r in rows)
    assert len({r.message_id for r in rows}) == 4


def test_a_booking_writes_its_mail_in_its_own_transaction(start_ticket, django_capture_on_commit_callbacks):
    """The outbox rows exist exactly when the booking committed: a rolled-back booking leaves none,
    and the dispatcher is woken only on commit."""
    tenant = start_ticket.tenant
    start, _agents = first_slot(start_ticket)
    woken = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            booked = services.appointment_book(tenant=tenant, ticket=start_ticket, kind="remote",
                                               starts_at=start, minutes=60, actor=None, now=NOW)
            rows = OutboxMessage.objects.filter(handler="appointments.mail", payload__appointment=booked.pk)
            assert rows.count() == 2  # written inside the booking's transaction, before it ends
            raise RuntimeError("the request fails after the booking")
    woken += callbacks
    assert not Appointment.objects.filter(ticket=start_ticket).exists()
    assert not OutboxMessage.objects.filter(handler="appointments.mail").exists()
    assert woken == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booked = services.appointment_book(tenant=tenant, ticket=start_ticket, kind="remote", starts_at=start,
                                           minutes=60, actor=None, now=NOW)
    assert OutboxMessage.objects.filter(handler="appointments.mail", payload__appointment=booked.pk,
                                        status="pending").count() == 2
    assert callbacks  # the dispatcher is woken once the booking commits


def test_reminders_are_sent_once(start_ticket, sent, time_machine):
    from appointments.tasks import reminders_send

    tenant = start_ticket.tenant
    start, _agents = first_slot(start_ticket)
    later = start + timedelta(days=2)
    booked = services.appointment_book(tenant=tenant, ticket=start_ticket, kind="remote", starts_at=later,
                                       minutes=60, actor=None, now=NOW)
    Appointment.objects.filter(pk=booked.pk).update(updated_at=NOW)
    time_machine.move_to(later - timedelta(hours=23), tick=False)
    assert reminders_send() == 1 and reminders_send() == 0
    time_machine.move_to(later - timedelta(minutes=10), tick=False)
    assert reminders_send() == 1 and reminders_send() == 0
    assert [k for _pk, k in sent][-2:] == ["reminder_day", "reminder_soon"]
    reminders = OutboxMessage.objects.filter(handler="appointments.mail", payload__kind__startswith="reminder_")
    assert reminders.count() == 4  # two reminders, each to the customer and to the agent


def test_after_the_session_one_call_logs_the_rounded_time(start_ticket, sent):
    from tests.tickets.ui_support import agent as agent_of

    tenant = start_ticket.tenant
    start, _agents = first_slot(start_ticket)
    booked = services.appointment_book(tenant=tenant, ticket=start_ticket, kind="remote", starts_at=start,
                                       minutes=60, actor=None, now=NOW)
    agent = agent_of("wysylki", "agent@wysylki.example.com")
    done = services.appointment_log(tenant=tenant, appointment=booked, agent=agent, minutes=60, actor=agent.user)
    assert done.status == "done" and done.time_entry.billed_minutes == 90 and done.time_entry.kind == "remote"
    with pytest.raises(ValidationError):
        services.appointment_log(tenant=tenant, appointment=done, agent=agent, minutes=60, actor=agent.user)


def test_proposals_are_accepted_and_siblings_withdrawn(start_ticket, sent):
    tenant = start_ticket.tenant
    search = selectors.find_slots(tenant=tenant, organization=start_ticket.organization, kind="phone", length=30,
                                  now=NOW)
    (a, agents_a), (b, _agents_b) = search.slots[0], search.slots[8]
    one = services.appointment_book(tenant=tenant, ticket=start_ticket, kind="phone", starts_at=a, minutes=30,
                                    actor=None, agent=agents_a[0], propose=True, now=NOW)
    two = services.appointment_book(tenant=tenant, ticket=start_ticket, kind="phone", starts_at=b, minutes=30,
                                    actor=None, propose=True, now=NOW)
    services.appointment_accept(tenant=tenant, appointment=two, actor=None, now=NOW)
    one.refresh_from_db()
    assert one.status == "cancelled" and Appointment.objects.get(pk=two.pk).status == "booked"


def test_opieka_customer_gets_the_account_manager_first(demo):
    from core.models import Contact
    from tests.tickets.ui_support import file_ticket

    contact = Contact.objects.filter(tenant=demo.kjm, organization__account_manager__isnull=False).first()
    ticket = file_ticket(contact, "Rozdzielenie lat", received_at=NOW)
    search = selectors.find_slots(tenant=demo.kjm, organization=ticket.organization, kind="phone", length=15, now=NOW)
    assert search.slots and all(agents[0] == ticket.organization.account_manager for _s, agents in search.slots
                                if ticket.organization.account_manager in agents)


def test_callbacks_queue_and_phone_tickets(demo):
    from tests.tickets.ui_support import agent as agent_of
    from tickets.models import Ticket

    tenant = demo.wysylki
    agent = agent_of("wysylki", "agent@wysylki.example.com")
    known = services.phone_call_log(tenant=tenant, agent=agent, phone="+48 555 100 301", subject="Telefon",
                                    body="Pytanie o etykiety", minutes=11, started_at=NOW, callback_wanted=True)
    assert known.channel == "phone" and known.contact.name == "Joanna Stolarczyk" and known.status != "triage"
    assert known.due_at is None  # no guarantee for phone tickets
    assert known.time_entries.get().billed_minutes == 30
    unknown = services.phone_call_log(tenant=tenant, agent=agent, phone="555 999 999", subject="Nieznany",
                                      body="Ktoś dzwoni", started_at=NOW)
    assert unknown.status == Ticket.Status.TRIAGE and unknown.organization is None
    waiting = list(selectors.callbacks_waiting(tenant))
    assert [c.phone for c in waiting] == ["+48555100301"]
    services.callback_done(tenant=tenant, callback=waiting[0], agent=agent)
    with pytest.raises(ValidationError):
        services.callback_done(tenant=tenant, callback=waiting[0], agent=agent)
    assert Callback.objects.get(pk=waiting[0].pk).status == "done"
