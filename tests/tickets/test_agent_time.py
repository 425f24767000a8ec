"""Logging time from the agent's ticket page: the plan's rounding and pools, shown with the usage."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from billing.models import TimeEntry
from helpdesk.management.commands.seed_demo import seed
from core.models import Contact, Tenant, User
from tickets.services import ticket_create


def time_panel(response) -> dict:
    """The context of the "Time" panel that billing adds to the agent's ticket page."""
    panels = {panel["name"]: panel["context"] for panel in response.context["panels"]}
    return panels["time"]

WAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def ticket(db):
    seed()
    tenant = Tenant.objects.get(slug="wysylki")
    contact = Contact.objects.get(tenant=tenant, name="Krzysztof Prądzyński")  # STANDARD
    return ticket_create(tenant=tenant, channel="portal", contact=contact, subject="Konfiguracja DPD",
                         body="Prosimy o pomoc.", received_at=datetime(2026, 11, 16, 9, 0, tzinfo=WAW))


@time_machine.travel(datetime(2026, 11, 18, 15, 0, tzinfo=WAW))  # the page's usage is of this month
def test_agent_logs_a_phone_call_and_sees_it_billed_by_the_plan(client, ticket):
    client.force_login(User.objects.get(username="agent@wysylki.example.com"))
    response = client.post(reverse("agent:ticket_time", args=[ticket.pk]), {
        "kind": "phone", "started_at": "2026-11-16T10:00", "minutes": "11", "note": "Rozmowa"})
    assert response.status_code == 302
    entry = TimeEntry.objects.get(ticket=ticket)
    # Seed 000: phone per started 15 minutes after adding 5 for the record: 11 → 30.
    assert (entry.minutes, entry.billed_minutes, entry.pool) == (11, 30, "allowance")
    assert entry.started_at == datetime(2026, 11, 16, 10, 0, tzinfo=WAW)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'action="/agent/tickets/%d/time/' % ticket.pk in body
    assert time_panel(page)["time_entries"] == [entry]
    assert time_panel(page)["usage"].used_minutes >= 30


def test_bad_minutes_are_a_form_error_not_a_500(client, ticket):
    client.force_login(User.objects.get(username="agent@wysylki.example.com"))
    response = client.post(reverse("agent:ticket_time", args=[ticket.pk]), {
        "kind": "phone", "started_at": "2026-11-16T10:00", "minutes": "0"})
    assert response.status_code == 400
    assert time_panel(response)["time_form"].errors["minutes"]
    assert not TimeEntry.objects.filter(ticket=ticket).exists()


def test_customer_and_other_tenant_cannot_log_time(client, ticket):
    client.force_login(User.objects.get(username="krzysztof@elektromat.example.com"))
    assert client.post(reverse("agent:ticket_time", args=[ticket.pk]), {
        "kind": "phone", "started_at": "2026-11-16T10:00", "minutes": "5"}).status_code == 404
    client.force_login(User.objects.get(username="dyzurny@kjm.example.com"))
    assert client.post(reverse("agent:ticket_time", args=[ticket.pk]), {
        "kind": "phone", "started_at": "2026-11-16T10:00", "minutes": "5"}).status_code == 404
    assert not TimeEntry.objects.filter(ticket=ticket).exists()


def _panel(response, name) -> dict:
    return {panel["name"]: panel["context"] for panel in response.context["panels"]}[name]


def test_agent_overrides_after_hours_only_with_a_reason(client, ticket):
    client.force_login(User.objects.get(username="agent@wysylki.example.com"))
    url = reverse("agent:ticket_time", args=[ticket.pk])
    data = {"kind": "phone", "started_at": "2026-11-16T20:00", "minutes": "10", "after_hours_override": "no"}
    refused = client.post(url, data)
    assert refused.status_code == 400 and time_panel(refused)["time_form"].non_field_errors()
    assert client.post(url, {**data, "after_hours_reason": "Umówiona rozmowa"}).status_code == 302
    entry = TimeEntry.objects.get(ticket=ticket)
    assert (entry.after_hours, entry.after_hours_override, entry.after_hours_reason) == (
        False, False, "Umówiona rozmowa")


def test_agent_prepares_and_sends_a_quote_from_the_ticket_page(client, ticket):
    from billing.models import Quote

    client.force_login(User.objects.get(username="agent@wysylki.example.com"))
    bad = client.post(reverse("agent:ticket_quote", args=[ticket.pk]), {"description": "Moduł DPD"})
    assert bad.status_code == 400 and _panel(bad, "quotes")["quote_form"].non_field_errors()
    made = client.post(reverse("agent:ticket_quote", args=[ticket.pk]),
                       {"description": "Moduł DPD", "fixed_price_net": "2500.00"})
    assert made.status_code == 302
    quote = Quote.objects.get(ticket=ticket)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk]))
    assert _panel(page, "quotes")["quotes"] == [quote]
    assert f"/agent/tickets/{ticket.pk}/quotes/{quote.pk}/send/" in page.content.decode()
    assert client.post(reverse("agent:ticket_quote_send", args=[ticket.pk, quote.pk])).status_code == 302
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT and quote.sent_at is not None
