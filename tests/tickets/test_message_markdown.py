"""Agents write Markdown: rendered sanitised in the thread (both pages) and in the reply e-mail's HTML,
kept as written in its plain text; customers' messages stay literal; every message can be quoted."""
import pytest
from django.core import mail

from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.email.outbound import reply_send
from tickets.models import Message
from tickets.services import message_add

REPLY = ("Dzień dobry,\n**proszę** zrestartować usługę.\n\n> Od rana drukarka zwraca błąd.\n\n- krok pierwszy\n"
         "- krok drugi\n\n<script>alert(1)</script> [klik](javascript:alert(1)) ![x](https://tracker.example/p.png)")


@pytest.fixture
def scene(demo, monkeypatch):
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    customer = contact("wysylki", "Paweł Nowicki")
    member = agent("wysylki", "agent@wysylki.example.com")
    ticket = file_ticket(customer, "Drukarka")
    message_add(tenant=member.tenant, ticket=ticket, body="Czy **to** działa?", author_contact=customer,
                source=Message.Source.PORTAL)
    reply = message_add(tenant=member.tenant, ticket=ticket, body=REPLY, author_user=member.user,
                        source=Message.Source.AGENT)
    return {"customer": customer, "agent": member, "ticket": ticket, "reply": reply}


def _safe(html: str) -> None:
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert "tracker.example" not in html.split('data-quote="Dzień', 1)[0]  # no image loaded (quoted source aside)


def test_the_thread_renders_agents_markdown_and_keeps_customers_text_literal(scene, client):
    client.force_login(scene["agent"].user)
    html = client.get(f"/agent/tickets/{scene['ticket'].pk}/").content.decode()
    assert "<strong>proszę</strong>" in html
    assert "<blockquote>" in html and "<li>krok pierwszy</li>" in html
    assert "<p>Czy **to** działa?</p>" in html  # the customer's asterisks stay as typed, in a paragraph
    assert "&lt;script&gt;" in html
    _safe(html)
    assert 'data-quote="Czy **to** działa?"' in html  # quote-reply carries the source text

    client.force_login(scene["customer"].user)
    html = client.get(f"/portal/tickets/{scene['ticket'].pk}/").content.decode()
    assert "<strong>proszę</strong>" in html and "<blockquote>" in html
    _safe(html)
    assert "data-quote" not in html  # no quoting tools on the customer's page


def test_the_reply_email_has_html_from_markdown_and_the_text_as_written(scene):
    mail.outbox.clear()
    reply_send(scene["reply"].pk)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert "**proszę** zrestartować" in sent.body and "> Od rana drukarka" in sent.body
    html = sent.alternatives[0][0]
    assert "<strong>proszę</strong>" in html and "<blockquote>" in html
    assert "<script>alert" not in html and 'href="javascript' not in html and "tracker.example" not in html
