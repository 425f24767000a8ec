"""Two customers racing for one agent's slot: exactly one wins (PostgreSQL: real row locks)."""
from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.appointments.conftest import NOW

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _race(target, count):
    barrier = threading.Barrier(count)
    results = []

    def run(i):
        try:
            barrier.wait()
            results.append(("ok", target(i)))
        except ValidationError as error:
            results.append(("taken", error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_parallel_bookings_of_one_slot_give_one_appointment(monkeypatch):
    from appointments import selectors, services
    from appointments.models import Appointment
    from core.models import Contact
    from helpdesk.management.commands.seed_demo import seed
    from tests.tickets.ui_support import file_ticket

    seed()
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    tickets = [file_ticket(Contact.objects.get(name=name), "Sesja zdalna", received_at=NOW)
               for name in ("Joanna Stolarczyk", "Paweł Nowicki", "Krzysztof Prądzyński", "Ewa Kwiatkowska")]
    start, agents = selectors.find_slots(tenant=tickets[0].tenant, organization=tickets[0].organization,
                                         kind="remote", length=60, now=NOW).slots[0]
    agent = agents[0]

    def book(i):
        return services.appointment_book(tenant=tickets[i].tenant, ticket=tickets[i], kind="remote",
                                         starts_at=start, minutes=60, actor=None, agent=agent, now=NOW)

    results = _race(book, len(tickets))
    assert sorted(kind for kind, _ in results) == ["ok", "taken", "taken", "taken"]
    assert Appointment.objects.filter(agent=agent, status="booked").count() == 1
    # The refused bookings rolled their mail back with them: only the booked session has outbox rows.
    from core.models import OutboxMessage

    winner = Appointment.objects.get(agent=agent, status="booked")
    mailed = {row["payload"]["appointment"] for row in OutboxMessage.objects.filter(
        handler="appointments.mail").values("payload")}
    assert mailed == {winner.pk}


def test_the_exclusion_constraint_refuses_an_overlap_that_bypasses_the_service(monkeypatch):
    from datetime import timedelta

    from django.db import IntegrityError, transaction

    from appointments.models import Appointment
    from core.models import Contact
    from helpdesk.management.commands.seed_demo import seed
    from tests.tickets.ui_support import agent as agent_of, file_ticket

    seed()
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    ticket = file_ticket(Contact.objects.get(name="Joanna Stolarczyk"), "Sesja", received_at=NOW)
    agent = agent_of("wysylki", "agent@wysylki.example.com")
    start = NOW + timedelta(days=1)
    fields = dict(tenant=ticket.tenant, ticket=ticket, organization=ticket.organization, agent=agent, kind="remote")
    Appointment.objects.create(**fields, starts_at=start, ends_at=start + timedelta(minutes=60))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(**fields, starts_at=start + timedelta(minutes=30),
                                   ends_at=start + timedelta(minutes=90))
    # a cancelled session frees the time; back-to-back sessions are allowed
    Appointment.objects.create(**fields, starts_at=start + timedelta(minutes=60), ends_at=start + timedelta(minutes=90))
    Appointment.objects.create(**fields, starts_at=start, ends_at=start + timedelta(minutes=30), status="cancelled")
