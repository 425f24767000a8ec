"""The ticket serializer's direct representation equals what DRF's fields write, on every kind of ticket."""
from __future__ import annotations

import json

from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from plans.models import Product
from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.api import TicketSerializer, tickets_queryset
from tickets.models import Category, Ticket


def _generic(obj) -> dict:
    """DRF's own ``Serializer.to_representation``: one field object per value."""
    return serializers.ModelSerializer.to_representation(TicketSerializer(), obj)


def test_every_ticket_reads_the_same_both_ways(demo):
    # given the demo's tickets and tickets with every optional value set or missing
    customer = contact("wysylki", "Paweł Nowicki")
    member = agent("wysylki", "agent@wysylki.example.com")
    base = file_ticket(customer, "Zwykłe zgłoszenie")
    full = file_ticket(customer, "Pełne zgłoszenie")
    Ticket.objects.filter(pk=full.pk).update(
        external_id="CRM-7", assignee=member, critical=True, requester_email="ola@example.com",
        product=Product.objects.filter(tenant=full.tenant).first(),
        category=Category.objects.filter(tenant=full.tenant).first(), reacted_at=timezone.now(),
        breached_at=timezone.now(), sla_state=Ticket.SlaState.BREACHED, status=Ticket.Status.OPEN)
    bare = file_ticket(customer, "Bez kategorii")
    Ticket.objects.filter(pk=bare.pk).update(category=None, product=None, organization=None, contact=None,
                                             external_id=None, due_at=None, warn_at=None,
                                             sla_state=Ticket.SlaState.NONE, requester_name="")
    merged = file_ticket(customer, "Scalone")
    Ticket.objects.filter(pk=merged.pk).update(merged_into=base, status=Ticket.Status.CLOSED)
    other = file_ticket(contact("kjm", "Barbara Księgowa"), "Faktura w innej firmie")  # KJM's plan and terms
    tickets = list(tickets_queryset(base.tenant)) + list(tickets_queryset(other.tenant))
    assert len(tickets) == 5

    # then each representation is the same dict, in the same key order, and the same JSON
    for ticket in tickets:
        direct, generic = TicketSerializer(ticket).data, _generic(ticket)
        assert list(direct) == list(generic) == TicketSerializer.Meta.fields, ticket.pk
        assert direct == generic, ticket.pk
        assert JSONRenderer().render(direct) == JSONRenderer().render(generic)
    # and a list page says the same as one ticket at a time
    listed = TicketSerializer(tickets, many=True).data
    assert json.loads(JSONRenderer().render(listed)) == [json.loads(JSONRenderer().render(_generic(t)))
                                                         for t in tickets]
