"""Who else is on a ticket's page, and who is typing: recorded and shown by the page's poll."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import TicketPresence


@pytest.fixture
def scene(demo):
    a, b = agent("wysylki", "agent@wysylki.example.com"), agent("wysylki", "agent2@wysylki.example.com")
    ticket = file_ticket(contact("wysylki", "Paweł Nowicki"), "Drukarka")
    first, second = Client(), Client()
    first.force_login(a.user)
    second.force_login(b.user)
    return {"a": a, "b": b, "ticket": ticket, "first": first, "second": second}


def _poll(client, ticket, typing="0"):
    response = client.post(f"/agent/tickets/{ticket.pk}/presence/", {"typing": typing})
    assert response.status_code == 200
    return response.content.decode()


def test_two_agents_see_each_other_and_who_types(scene):
    ticket = scene["ticket"]
    assert "data-presence-agent" not in _poll(scene["first"], ticket)  # alone
    html = _poll(scene["second"], ticket, typing="1")
    assert scene["a"].user.get_full_name() in html and "przegląda" in html
    html = _poll(scene["first"], ticket)
    assert f"{scene['b'].user.get_full_name()} pisze odpowiedź" in html
    assert scene["a"].user.get_full_name() not in html  # not oneself


def test_gone_and_stale_typing_are_not_shown(scene):
    ticket = scene["ticket"]
    _poll(scene["second"], ticket, typing="1")
    TicketPresence.objects.filter(membership=scene["b"]).update(typing_at=timezone.now() - timedelta(seconds=30))
    html = _poll(scene["first"], ticket)
    assert "pisze" not in html and "przegląda" in html
    TicketPresence.objects.filter(membership=scene["b"]).update(seen_at=timezone.now() - timedelta(minutes=5))
    assert "data-presence-agent" not in _poll(scene["first"], ticket)


def test_the_page_polls_and_others_cannot(scene, client):
    html = scene["first"].get(f"/agent/tickets/{scene['ticket'].pk}/").content.decode()
    assert f'hx-post="/agent/tickets/{scene["ticket"].pk}/presence/"' in html
    kjm = agent("kjm", "opiekun@kjm.example.com")
    client.force_login(kjm.user)
    assert client.post(f"/agent/tickets/{scene['ticket'].pk}/presence/").status_code == 404
    assert not TicketPresence.objects.filter(membership=kjm).exists()
