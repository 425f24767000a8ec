"""The agent's time form offers the ticket's accepted quotes; an entry linked to one is priced by it."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from billing.models import Quote, TimeEntry
from billing.quotes import quote_create, quote_decide, quote_send
from core.models import Contact, Tenant, User
from helpdesk.management.commands.seed_demo import seed
from tickets.services import ticket_create

WAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def setup(db):
    seed()
    tenant = Tenant.objects.get(slug="wysylki")
    contact = Contact.objects.get(tenant=tenant, name="Krzysztof Prądzyński")  # STANDARD
    ticket = ticket_create(
        tenant=tenant,
        channel="portal",
        contact=contact,
        subject="Nowy raport",
        body="Prosimy o raport.",
        received_at=datetime(2026, 11, 16, 9, 0, tzinfo=WAW),
    )
    other = ticket_create(
        tenant=tenant,
        channel="portal",
        contact=contact,
        subject="Inny raport",
        body="Drugi.",
        received_at=datetime(2026, 11, 16, 9, 5, tzinfo=WAW),
    )
    agent = User.objects.get(username="agent@wysylki.example.com")

    def quote(on, accept=True, **amounts):
        made = quote_create(tenant=tenant, ticket=on, actor=agent, description="Raport zwrotów", **amounts)
        made = quote_send(tenant=tenant, quote=made, actor=agent)
        return quote_decide(tenant=tenant, quote=made, accept=accept, actor=agent) if accept is not None else made

    return tenant, ticket, other, agent, quote


def _time_panel(response) -> dict:
    return {panel["name"]: panel["context"] for panel in response.context["panels"]}["time"]


def test_the_form_offers_only_the_tickets_accepted_quotes_and_prices_the_entry_by_one(client, setup):
    tenant, ticket, other, agent, quote = setup
    hourly = quote(ticket, hours=Decimal("3"), rate_net=Decimal("240.00"))
    quote(ticket, accept=False, hours=Decimal("2"), rate_net=Decimal("100.00"))  # rejected
    quote(ticket, accept=None, fixed_price_net=Decimal("900.00"))  # sent, not decided
    elsewhere = quote(other, hours=Decimal("1"), rate_net=Decimal("999.00"))  # another ticket's
    client.force_login(agent)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk]))
    choices = [value for value, _label in _time_panel(page)["time_form"].fields["quote"].choices]
    assert choices == ["", hourly.pk]

    url = reverse("agent:ticket_time", args=[ticket.pk])
    data = {"kind": "development", "started_at": "2026-11-17T10:00", "minutes": "90"}
    refused = client.post(url, {**data, "quote": str(elsewhere.pk)})
    assert refused.status_code == 400 and _time_panel(refused)["time_form"].errors["quote"]
    assert client.post(url, {**data, "quote": "x' OR 1=1"}).status_code == 400
    assert not TimeEntry.objects.filter(ticket=ticket).exists()

    assert client.post(url, {**data, "quote": str(hourly.pk)}).status_code == 302
    entry = TimeEntry.objects.get(ticket=ticket)
    assert entry.quote_id == hourly.pk
    # Billed by the plan's rounding (development: 90 → 120 min), priced at the quote's rate.
    assert (entry.billed_minutes, entry.rate_net, entry.amount_net) == (120, Decimal("240.00"), Decimal("480.00"))


def test_without_a_quote_the_entry_follows_the_plan(client, setup):
    tenant, ticket, other, agent, quote = setup
    quote(ticket, fixed_price_net=Decimal("900.00"))
    client.force_login(agent)
    response = client.post(
        reverse("agent:ticket_time", args=[ticket.pk]),
        {"kind": "phone", "started_at": "2026-11-17T10:00", "minutes": "11", "quote": ""},
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get(ticket=ticket)
    assert entry.quote_id is None and entry.pool == "allowance"


def test_the_quote_field_is_rendered_with_the_quote_and_hidden_without_one(client, setup):
    tenant, ticket, other, agent, quote = setup
    client.force_login(agent)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    assert 'name="quote"' not in page
    fixed = quote(ticket, fixed_price_net=Decimal("1500.00"))
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    assert '<select name="quote"' in page
    assert f'<option value="{fixed.pk}">' in page and "Raport zwrotów" in page
    assert Quote.objects.get(pk=fixed.pk).status == "accepted"
