"""The migration that introduced the RULES 4.5 queue places the tickets already there (0007's backfill)."""
from __future__ import annotations

import importlib

from django.apps import apps

from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import Ticket
from tickets.services import message_add, ticket_set_status

backfill = importlib.import_module("tickets.migrations.0007_sla_targets_pauses_queue").backfill


def test_backfill_sets_who_spoke_last_since_when_and_the_reaction_due(demo):
    customer = contact("wysylki", "Krzysztof Prądzyński")
    staff = agent("wysylki", "agent@wysylki.example.com")
    new = file_ticket(customer, "Nowe")
    answered = file_ticket(customer, "Odpowiedziane")
    message_add(tenant=staff.tenant, ticket=answered, body="Sprawdzamy.", author_user=staff.user)
    customer_last = file_ticket(customer, "Klient dopisał")
    message_add(tenant=staff.tenant, ticket=customer_last, body="Sprawdzamy.", author_user=staff.user)
    later = message_add(tenant=staff.tenant, ticket=customer_last, body="Nadal nie działa.",
                        author_contact=customer, source="portal")
    waiting = file_ticket(customer, "Czeka")
    ticket_set_status(tenant=staff.tenant, ticket=waiting, status=Ticket.Status.WAITING_CUSTOMER, actor=staff.user)
    # as the rows were before the migration: the new columns at their defaults
    Ticket.objects.update(needs_agent=True, waiting_since=None, next_due_at=None, next_due_target="",
                          customer_waiting_since=None)

    backfill(apps, None)

    rows = {t.pk: t for t in Ticket.objects.filter(pk__in=[new.pk, answered.pk, customer_last.pk, waiting.pk])}
    assert rows[new.pk].needs_agent and rows[new.pk].customer_waiting_since == new.received_at
    assert (rows[new.pk].next_due_target, rows[new.pk].next_due_at) == ("reaction", new.due_at)
    assert not rows[answered.pk].needs_agent and rows[answered.pk].next_due_at is None
    assert rows[customer_last.pk].needs_agent and rows[customer_last.pk].waiting_since == later.created_at
    assert not rows[waiting.pk].needs_agent and rows[waiting.pk].waiting_since == waiting.received_at
