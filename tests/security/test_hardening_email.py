"""Hostile HTML in inbound mail: sanitised with nh3 when parsed, never active on a rendered page."""
from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.urls import reverse

from tickets.email.inbound import email_ingest
from tickets.models import InboundEmail, Message

CUSTOMER = "pawel@novahurt.example.com"
AGENT = "agent@wysylki.example.com"
HOSTILE = (
    '<p>Drukarka nie działa ZNACZNIK-HTML</p>'
    '<script>document.title="pwned-script"</script>'
    '<img src="x" onerror="document.title=\'pwned-onerror\'">'
    '<a href="javascript:alert(1)">link</a>'
    '<iframe src="https://evil.example.org/"></iframe>'
    '<div style="background:url(https://evil.example.org/t.png)" onclick="alert(2)">klik</div>'
)


def hostile_mail(*, html_only: bool) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Paweł <{CUSTOMER}>"
    msg["To"] = "pomoc@wysylki.example.com"
    msg["Subject"] = "Złośliwy HTML ZNACZNIK-TEMAT"
    msg["Message-ID"] = f"<hostile-{'html' if html_only else 'alt'}@novahurt.example.com>"
    if html_only:
        msg.set_content(HOSTILE, subtype="html")
    else:
        msg.set_content("Drukarka nie działa ZNACZNIK-HTML")
        msg.add_alternative(HOSTILE, subtype="html")
    return msg.as_bytes()


def assert_inert(html: str) -> None:
    lowered = html.lower()
    assert "<script>document.title" not in lowered
    assert "pwned-script\"</script>" not in lowered
    assert "onerror=" not in lowered
    assert "onclick=" not in lowered
    assert "javascript:alert" not in lowered
    assert "<iframe" not in lowered
    assert "evil.example.org" not in lowered


@pytest.mark.parametrize("html_only", [True, False], ids=["html-only", "multipart-alternative"])
def test_hostile_html_mail_is_stored_sanitised_and_never_reaches_a_page(demo, client, html_only):
    # given a customer's mail whose HTML carries a script, event handlers, a javascript: link and a frame
    inbound = email_ingest(tenant=demo.wysylki, raw=hostile_mail(html_only=html_only))
    assert inbound.status == InboundEmail.Status.PROCESSED
    message = Message.objects.get(ticket=inbound.ticket)

    # then the stored HTML is nh3's output: the text stays, everything active is gone
    assert "ZNACZNIK-HTML" in message.body_html
    assert_inert(message.body_html)
    assert "<script" not in message.body_html and "<img" in message.body_html
    # (the original bytes are kept untouched in the inbound record: nothing the customer sent is lost)
    assert b"onerror" in bytes(InboundEmail.objects.get(pk=inbound.pk).raw)

    # when the agent opens the ticket, then the page shows the text but nothing of the payload runs
    client.force_login(demo.user(AGENT))
    page = client.get(reverse("agent:ticket_detail", args=[inbound.ticket_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "ZNACZNIK-HTML" in body
    assert_inert(body)

    # and the same for the customer in the portal
    client.force_login(demo.user(CUSTOMER))
    page = client.get(reverse("portal:ticket_detail", args=[inbound.ticket_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "ZNACZNIK-HTML" in body
    assert_inert(body)


def test_sanitiser_keeps_formatting_and_drops_every_active_part():
    from tickets.email.parse import sanitize_html

    clean = sanitize_html('<p><b>Ważne</b> <a href="https://x.example.com/a">tu</a></p>'
                          '<svg onload="alert(1)"><script>alert(2)</script></svg>'
                          '<form action="https://evil.example.org"><input name="p"></form>'
                          '<img src="cid:logo" onerror="alert(3)">')
    assert "<b>Ważne</b>" in clean
    assert 'href="https://x.example.com/a"' in clean and 'rel="noopener noreferrer nofollow"' in clean
    assert 'src="cid:logo"' in clean
    for needle in ("onload", "onerror", "<script", "<svg", "<form", "<input", "evil.example.org", "alert("):
        assert needle not in clean
