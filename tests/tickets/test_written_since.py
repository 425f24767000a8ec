"""A reply is held once, with a warning, when someone else wrote on the ticket since the page opened."""
import re

import pytest

from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import Message
from tickets.services import message_add


@pytest.fixture
def scene(demo, client, monkeypatch):
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    member = agent("wysylki", "agent@wysylki.example.com")
    customer = contact("wysylki", "Paweł Nowicki")
    ticket = file_ticket(customer, "Drukarka")
    client.force_login(member.user)
    return {"agent": member, "customer": customer, "ticket": ticket}


def _seen(client, ticket) -> str:
    html = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    return re.search(r'name="seen" value="(\d+)"', html).group(1)


def _reply(client, ticket, **extra):
    return client.post(f"/agent/tickets/{ticket.pk}/message/", {"kind": "reply", "body": "Proszę o restart.",
                                                                  **extra})


def test_a_reply_waits_when_the_customer_wrote_meanwhile(scene, client):
    ticket = scene["ticket"]
    seen = _seen(client, ticket)
    message_add(tenant=ticket.tenant, ticket=ticket, body="Już działa, dziękuję!", author_contact=scene["customer"],
                source=Message.Source.PORTAL)

    response = _reply(client, ticket, seen=seen)

    assert response.status_code == 409
    html = response.content.decode()
    assert "data-written-since" in html and "Już działa, dziękuję!" in html
    assert "Proszę o restart." in html  # the text is kept
    assert 'name="send_anyway" value="1"' in html
    assert not Message.objects.filter(ticket=ticket, body="Proszę o restart.").exists()

    response = _reply(client, ticket, seen=seen, send_anyway="1")
    assert response.status_code == 302
    assert Message.objects.filter(ticket=ticket, body="Proszę o restart.").count() == 1


def test_no_warning_when_nothing_new_or_only_own_messages(scene, client):
    ticket = scene["ticket"]
    seen = _seen(client, ticket)
    message_add(tenant=ticket.tenant, ticket=ticket, body="Moja notatka", author_user=scene["agent"].user,
                internal=True, source=Message.Source.AGENT)
    assert _reply(client, ticket, seen=seen).status_code == 302
    assert Message.objects.filter(ticket=ticket, body="Proszę o restart.").exists()


def test_a_bad_seen_value_is_a_400_not_a_crash(scene, client):
    response = _reply(client, scene["ticket"], seen="abc")
    assert response.status_code == 400
