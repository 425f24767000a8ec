"""Outbound mail through a real SMTP server: acknowledgements, agents' replies, threading, limits."""
from __future__ import annotations

import pytest

from tests.tickets.email_corpus.fixtures import corpus, eager_tasks, smtp, _smtp_server  # noqa: F401
from tickets.email.inbound import email_ingest
from tickets.email.outbound import acknowledgement_send
from tickets.models import OutboundEmail, Ticket
from tickets.services import message_add


def ingest(tenant, raw, capture):
    with capture(execute=True):
        return email_ingest(tenant=tenant, raw=raw)


def test_acknowledgement_carries_ticket_number_deadline_and_threading(demo, smtp, eager_tasks,
                                                                       django_capture_on_commit_callbacks):
    inbound = ingest(demo.wysylki, corpus("outlook_cp1250.eml"), django_capture_on_commit_callbacks)
    ticket = inbound.ticket

    [mail] = smtp.messages()
    assert mail["To"] == "joanna@meblex.example.com"
    assert mail["From"].addresses[0].addr_spec == "pomoc@wysylki.example.com"
    assert mail["Reply-To"] == "pomoc@wysylki.example.com"
    assert mail["Subject"].strip() == f"[{ticket.reference}] Zmiany w cenniku przewoźnika się nie zapisują"
    assert mail["In-Reply-To"].strip() == "<AM0PR07MB1234ABCD5678EF90@AM0PR07MB1234.eurprd07.prod.outlook.com>"
    assert mail["Message-ID"].endswith("@wysylki.example.com>")
    assert mail["Auto-Submitted"] == "auto-replied"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert ticket.sla_state == "running" and ticket.due_at is not None
    assert "zareagujemy najpóźniej do" in text and "(Europe/Warsaw)" in text and ticket.reference in html
    record = OutboundEmail.objects.get(ticket=ticket, kind="ack")
    assert record.status == "sent" and record.email_message_id == mail["Message-ID"].strip()


def test_the_customer_reply_to_the_acknowledgement_threads_into_the_ticket(demo, smtp, eager_tasks,
                                                                            django_capture_on_commit_callbacks):
    ticket = ingest(demo.wysylki, corpus("outlook_cp1250.eml"), django_capture_on_commit_callbacks).ticket
    [ack] = smtp.messages()
    reply = (f"From: Joanna Stolarczyk <joanna@meblex.example.com>\r\nSubject: RE: {ack['Subject']}\r\n"
             f"In-Reply-To: {ack['Message-ID']}\r\nMessage-ID: <reply-2@meblex.example.com>\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\nDziękuję.\r\n").encode()

    placed = ingest(demo.wysylki, reply, django_capture_on_commit_callbacks)

    assert placed.ticket == ticket and placed.status == "processed"
    assert len(smtp.received) == 1  # a customer's reply is not acknowledged again


def test_agent_public_reply_is_mailed_threaded_and_internal_notes_are_not(demo, smtp, eager_tasks,
                                                                          django_capture_on_commit_callbacks):
    ticket = ingest(demo.wysylki, corpus("outlook_cp1250.eml"), django_capture_on_commit_callbacks).ticket
    [ack] = smtp.messages()
    agent = demo.user("agent@wysylki.example.com")

    with django_capture_on_commit_callbacks(execute=True):
        message_add(tenant=demo.wysylki, ticket=ticket, body="Notatka: sprawdzić cennik.", author_user=agent,
                    internal=True)
    with django_capture_on_commit_callbacks(execute=True):
        message_add(tenant=demo.wysylki, ticket=ticket, body="Dzień dobry,\nproszę zapisać cennik ponownie.",
                    author_user=agent)

    assert len(smtp.received) == 2
    reply = smtp.messages()[1]
    assert reply["Subject"].strip() == f"Re: [{ticket.reference}] Zmiany w cenniku przewoźnika się nie zapisują"
    assert reply["In-Reply-To"].strip() == "<AM0PR07MB1234ABCD5678EF90@AM0PR07MB1234.eurprd07.prod.outlook.com>"
    assert ack["Message-ID"].strip() in reply["References"]
    body = reply.get_body(("plain",)).get_content()
    assert "proszę zapisać cennik ponownie" in body and "Notatka" not in body


def test_no_acknowledgement_for_triage_or_auto_replies(demo, smtp, eager_tasks, django_capture_on_commit_callbacks):
    triage = ingest(demo.wysylki, b"From: obcy@nieznana.example.org\r\nSubject: Pytanie\r\nMessage-ID: <q@x>\r\n\r\n"
                    b"Dzien dobry\r\n", django_capture_on_commit_callbacks)
    ingest(demo.wysylki, corpus("autoreply_gmail_vacation.eml"), django_capture_on_commit_callbacks)

    assert triage.ticket.status == Ticket.Status.TRIAGE
    assert smtp.received == []
    assert OutboundEmail.objects.get(ticket=triage.ticket).status == "suppressed"


def test_acknowledgements_are_rate_limited_per_sender(demo, smtp, eager_tasks, settings,
                                                      django_capture_on_commit_callbacks):
    settings.EMAIL_ACK_LIMIT_PER_HOUR = 2
    for n in range(3):
        ingest(demo.wysylki, (f"From: joanna@meblex.example.com\r\nSubject: Sprawa {n}\r\nMessage-ID: <rl{n}@x>\r\n"
                              "\r\nTresc\r\n").encode(), django_capture_on_commit_callbacks)

    assert len(smtp.received) == 2
    statuses = sorted(OutboundEmail.objects.filter(to_email="joanna@meblex.example.com").values_list(
        "status", flat=True))
    assert statuses == ["sent", "sent", "suppressed"]


def test_a_retried_notification_sends_nothing_twice(demo, smtp, eager_tasks, django_capture_on_commit_callbacks):
    ticket = ingest(demo.wysylki, corpus("outlook_cp1250.eml"), django_capture_on_commit_callbacks).ticket

    again = acknowledgement_send(ticket.pk)

    assert len(smtp.received) == 1 and again.status == "sent"


def test_a_smtp_failure_is_recorded_and_raised_for_the_retry(demo, settings, django_capture_on_commit_callbacks):
    inbound = email_ingest(tenant=demo.wysylki, raw=corpus("outlook_cp1250.eml"))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there

    with pytest.raises(OSError):
        acknowledgement_send(inbound.ticket.pk)

    record = OutboundEmail.objects.get(ticket=inbound.ticket)
    assert record.status == "failed" and record.attempts == 1
