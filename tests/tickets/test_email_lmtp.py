"""The LMTP server: stored before 250, one reply per recipient, placed afterwards, failures quarantined."""
from __future__ import annotations

import smtplib
import threading
import time

import pytest

from tests.conftest import Demo
from tests.tickets.email_corpus.fixtures import corpus, free_port
from tickets.email import inbound as inbound_module
from tickets.email import lmtp as lmtp_module
from tickets.email.lmtp import lmtp_server, lmtp_stop
from tickets.models import InboundEmail, Mailbox, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_tx(transactional_db):
    from helpdesk.management.commands.seed_demo import seed

    seed()
    return Demo()


@pytest.fixture
def server(demo_tx):
    port = free_port()
    controller, handler = lmtp_server(host="127.0.0.1", port=port)
    try:
        yield port, handler
    finally:
        lmtp_stop(controller, handler)


def _wait(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_a_message_is_committed_before_250_and_then_filed(server, monkeypatch):
    port, handler = server
    release = threading.Event()
    real_process = lmtp_module.inbound_process

    def held(**kwargs):  # placing waits until the test has looked at the database
        release.wait(10)
        return real_process(**kwargs)

    monkeypatch.setattr(lmtp_module, "inbound_process", held)
    raw = corpus("outlook_html_table.eml")

    with smtplib.LMTP("127.0.0.1", port) as client:
        client.ehlo()  # smtplib.LMTP sends LHLO
        client.mail("ola@megalogistyka.example.com")
        assert client.rcpt("pomoc@wysylki.example.com")[0] == 250
        code, reply = client.data(raw)
        # Seen from another connection, after the 250 and before placing: the raw bytes are committed.
        assert code == 250
        inbound = InboundEmail.objects.get(tenant__slug="wysylki")
        assert inbound.status == "received" and bytes(inbound.raw) == raw
        assert f"#{inbound.pk}".encode() in reply

    release.set()
    assert handler.wait_idle(60)
    inbound.refresh_from_db()
    assert inbound.status == "processed" and inbound.ticket is not None
    assert "ZN-4001 | 37,01 zł | InPost" in inbound.ticket.messages.get(source="email").body


def test_one_reply_per_recipient_and_unknown_recipients_are_refused(server):
    port, handler = server
    raw = corpus("thunderbird_utf8.eml")
    with smtplib.LMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail("ewa@bukiet.example.com")
        assert client.rcpt("nikt@nieznany.example.org")[0] == 550
        assert client.rcpt("pomoc@wysylki.example.com")[0] == 250
        assert client.rcpt("pomoc@kjm.example.com")[0] == 250
        first = client.data(raw)
        second = client.getreply()  # LMTP: a second reply for the second recipient
    assert first[0] == 250 and second[0] == 250
    assert handler.wait_idle(60)
    assert {i.tenant.slug for i in InboundEmail.objects.select_related("tenant")} == {"wysylki", "kjm"}
    assert Ticket.objects.filter(channel="email").count() == 2


def test_a_mailbox_address_is_a_recipient_and_its_robots_count(server, demo_tx):
    port, handler = server
    Mailbox.objects.create(tenant=demo_tx.tenant("wysylki"), name="Formularze", host="imap.example.com",
                           username="zgloszenia@wysylki.example.com", robot_addresses="no-reply@sklep.example.net")
    raw = corpus("webform_reply_to.eml").replace(b"formularz@wysylki.example.com", b"no-reply@sklep.example.net")
    with smtplib.LMTP("127.0.0.1", port) as client:
        client.ehlo()
        assert client.sendmail("no-reply@sklep.example.net", ["zgloszenia@wysylki.example.com"], raw) == {}
    assert handler.wait_idle(60)
    inbound = InboundEmail.objects.select_related("ticket", "mailbox").get()
    assert inbound.mailbox.name == "Formularze"
    assert inbound.ticket.requester_email == "krzysztof@elektromat.example.com"


def test_a_message_whose_placing_fails_is_quarantined_with_its_cause(server, monkeypatch):
    port, handler = server

    def broken(**kwargs):
        raise RuntimeError("baza w trybie tylko do odczytu")

    monkeypatch.setattr(inbound_module, "ticket_create", broken)
    with smtplib.LMTP("127.0.0.1", port) as client:
        client.ehlo()
        assert client.sendmail("x@example.org", ["pomoc@wysylki.example.com"], corpus("outlook_html_table.eml")) == {}
    assert handler.wait_idle(60)
    inbound = InboundEmail.objects.get()
    assert inbound.status == "quarantined"
    assert inbound.reason == "cannot be placed: RuntimeError: baza w trybie tylko do odczytu"
    assert bytes(inbound.raw) and not Ticket.objects.filter(channel="email").exists()


def test_a_message_left_received_by_a_crash_is_placed_at_start_up(demo_tx):
    from datetime import timedelta

    from django.utils import timezone

    from tickets.email.inbound import inbound_store

    inbound, _created = inbound_store(tenant=demo_tx.tenant("wysylki"), raw=corpus("thunderbird_utf8.eml"),
                                      received_at=timezone.now() - timedelta(minutes=5))
    controller, handler = lmtp_server(host="127.0.0.1", port=free_port())
    try:
        assert handler.wait_idle(60)
    finally:
        lmtp_stop(controller, handler)
    inbound.refresh_from_db()
    assert inbound.status == "processed" and inbound.ticket is not None
