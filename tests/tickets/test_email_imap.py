"""IMAP polling against a real Dovecot server, and the mailbox's encrypted password."""
from __future__ import annotations

import imaplib

import pytest

from tests.tickets.email_corpus.fixtures import corpus, dovecot  # noqa: F401
from tickets.email.imap import mailbox_poll, mailbox_test
from tickets.models import InboundEmail, Mailbox, Ticket
from tickets.tasks import imap_poll


def _imap(server):
    conn = imaplib.IMAP4(server.host, server.port)
    conn.authenticate("PLAIN", lambda _: f"\0{server.username}\0{server.password}".encode())
    return conn


@pytest.fixture
def imap_server(dovecot, settings):
    """The test user's mailbox, emptied before each test. Dovecot listens on 127.0.0.1, which the
    outbound policy refuses unless the operator allows it, as an on-premises install would."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    conn = _imap(dovecot)
    for folder in ("INBOX", "Processed"):
        status, data = conn.select(folder)
        if status == "OK" and int(data[0]):
            conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            conn.expunge()
    conn.logout()
    return dovecot


def deliver(server, *messages: bytes) -> None:
    conn = _imap(server)
    for raw in messages:
        assert conn.append("INBOX", None, None, raw)[0] == "OK"
    conn.logout()


def folder_state(server, folder: str) -> tuple[int, int]:
    """(messages, unseen messages) in a folder."""
    conn = _imap(server)
    count = int(conn.select(folder)[1][0])
    unseen = len(conn.search(None, "UNSEEN")[1][0].split())
    conn.logout()
    return count, unseen


def make_mailbox(tenant, server, **extra) -> Mailbox:
    mailbox = Mailbox(tenant=tenant, name="Pomoc", host=server.host, port=server.port,
                      security=Mailbox.Security.NONE, username=server.username, **extra)
    mailbox.password = server.password
    mailbox.save()
    return mailbox


def test_poll_files_new_mail_and_marks_it_seen(demo, imap_server):
    mailbox = make_mailbox(demo.wysylki, imap_server)
    deliver(imap_server, corpus("thunderbird_utf8.eml"), corpus("autoreply_gmail_vacation.eml"))

    assert imap_poll() == 2

    [ticket] = Ticket.objects.filter(tenant=demo.wysylki, channel="email")
    assert ticket.subject == "Błąd przy drukowaniu etykiety — zamówienie 123"
    assert sorted(InboundEmail.objects.filter(tenant=demo.wysylki, mailbox=mailbox)
                  .values_list("status", flat=True)) == ["discarded", "processed"]
    assert folder_state(imap_server, "INBOX") == (2, 0)
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == "" and mailbox.lease_until is None

    assert imap_poll() == 0  # nothing new: nothing read twice


def test_poll_moves_processed_mail_to_a_folder(demo, imap_server):
    make_mailbox(demo.wysylki, imap_server, processed_folder="Processed")
    deliver(imap_server, corpus("outlook_cp1250.eml"), corpus("garbage_no_sender.eml"))

    assert imap_poll() == 2

    assert folder_state(imap_server, "INBOX") == (0, 0)
    assert folder_state(imap_server, "Processed")[0] == 2
    assert InboundEmail.objects.filter(tenant=demo.wysylki, status="quarantined").count() == 1  # kept, not lost
    assert imap_poll() == 0


def test_a_message_seen_again_after_a_crash_is_not_filed_twice(demo, imap_server):
    mailbox = make_mailbox(demo.wysylki, imap_server)
    deliver(imap_server, corpus("thunderbird_utf8.eml"))
    mailbox_poll(mailbox.pk)
    conn = _imap(imap_server)
    conn.select("INBOX")
    conn.store("1:*", "-FLAGS.SILENT", r"(\Seen)")  # as if the flag had never been stored
    conn.logout()

    mailbox_poll(mailbox.pk)

    assert Ticket.objects.filter(tenant=demo.wysylki, channel="email").count() == 1


def test_a_wrong_password_is_reported_on_the_mailbox(demo, imap_server):
    mailbox = make_mailbox(demo.wysylki, imap_server)
    mailbox.password = "złe-hasło"
    mailbox.save()
    deliver(imap_server, corpus("thunderbird_utf8.eml"))

    assert imap_poll() == 0

    mailbox.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in mailbox.last_error or "failed" in mailbox.last_error.lower()
    assert mailbox_test(mailbox) != ""
    assert folder_state(imap_server, "INBOX") == (1, 1)  # still there for the next poll


def test_a_mailbox_held_by_another_poll_is_skipped(demo, imap_server):
    from django.utils import timezone
    from datetime import timedelta

    mailbox = make_mailbox(demo.wysylki, imap_server)
    Mailbox.objects.filter(pk=mailbox.pk).update(lease_until=timezone.now() + timedelta(minutes=1))
    deliver(imap_server, corpus("thunderbird_utf8.eml"))

    assert mailbox_poll(mailbox.pk) == []
    assert folder_state(imap_server, "INBOX") == (1, 1)


def test_the_password_is_encrypted_at_rest_and_never_shown_in_the_admin(demo, imap_server, client, settings):
    mailbox = make_mailbox(demo.wysylki, imap_server)
    stored = Mailbox.objects.get(pk=mailbox.pk)
    assert imap_server.password not in stored.password_encrypted
    assert stored.password == imap_server.password
    assert mailbox_test(stored) == ""

    client.force_login(demo.user("admin@wysylki.example.com"))
    page = client.get(f"/admin/tickets/mailbox/{mailbox.pk}/change/", HTTP_HOST="wysylki.localhost")
    assert page.status_code == 200
    html = page.content.decode()
    assert imap_server.password not in html and stored.password_encrypted not in html

    # Saving without a new password keeps the stored one.
    response = client.post(f"/admin/tickets/mailbox/{mailbox.pk}/change/", {
        "name": "Pomoc", "host": imap_server.host, "port": imap_server.port, "security": "none",
        "username": imap_server.username, "new_password": "", "folder": "INBOX", "processed_folder": "",
        "active": "on"}, HTTP_HOST="wysylki.localhost")
    assert response.status_code == 302
    assert Mailbox.objects.get(pk=mailbox.pk).password == imap_server.password


def test_another_tenants_inbound_mail_is_not_in_the_admin(demo, client):
    from tickets.email.inbound import email_ingest

    theirs = email_ingest(tenant=demo.kjm, raw=b"no sender")
    client.force_login(demo.user("admin@wysylki.example.com"))
    assert client.get(f"/admin/tickets/inboundemail/{theirs.pk}/change/",
                      HTTP_HOST="wysylki.localhost").status_code == 404
    assert client.get(f"/admin/tickets/inboundemail/{theirs.pk}/raw/",
                      HTTP_HOST="wysylki.localhost").status_code == 404
    ours = email_ingest(tenant=demo.wysylki, raw=b"still no sender")
    listing = client.get("/admin/tickets/inboundemail/", HTTP_HOST="wysylki.localhost")
    assert listing.status_code == 200
    assert f"/inboundemail/{ours.pk}/change/" in listing.content.decode()
    assert f"/inboundemail/{theirs.pk}/change/" not in listing.content.decode()
    raw = client.get(f"/admin/tickets/inboundemail/{ours.pk}/raw/", HTTP_HOST="wysylki.localhost")
    assert raw.status_code == 200 and raw.content == b"still no sender"
