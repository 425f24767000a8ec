"""Inbound mail to tickets: idempotency, threading, noise, charsets, quarantine, bounces."""
from __future__ import annotations

from io import BytesIO, StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tests.tickets.email_corpus.fixtures import corpus
from tickets.email.inbound import email_ingest, inbound_discard, inbound_retry
from tickets.models import InboundEmail, Message, OutboundEmail, Ticket, TicketEvent


def pipe(raw: bytes, tenant: str = "wysylki") -> str:
    out = StringIO()
    call_command("ingest_email", tenant=tenant, stdin=BytesIO(raw), stdout=out)
    return out.getvalue().strip()


def test_piping_the_same_message_twice_creates_one_ticket(demo):
    raw = corpus("thunderbird_utf8.eml")

    first = pipe(raw)
    second = pipe(raw)

    ticket = Ticket.objects.get(tenant=demo.wysylki, messages__email_message_id=(
        "<3f1c9a2e-7d44-4b1a-9c3e-1a2b3c4d5e6f@bukiet.example.com>"))
    assert first == second == ticket.reference and first.startswith("WYS-")
    assert Ticket.objects.filter(tenant=demo.wysylki, subject__startswith="Błąd przy drukowaniu").count() == 1
    assert InboundEmail.objects.filter(tenant=demo.wysylki).count() == 1


def test_the_same_message_id_in_different_bytes_is_a_kept_duplicate(demo):
    raw = corpus("thunderbird_utf8.eml")
    reference = pipe(raw)

    again = pipe(b"Received: from relay2.example.net by mx; Tue, 3 Mar 2026 10:15:09 +0100\r\n" + raw)

    assert again == reference
    duplicate = InboundEmail.objects.filter(tenant=demo.wysylki).order_by("-id").first()
    assert duplicate.status == "discarded" and duplicate.reason.startswith("duplicate")
    assert Message.objects.filter(tenant=demo.wysylki, ticket__number=int(reference.split("-")[1])).count() == 2


def test_a_reply_from_a_mail_client_threads_into_the_ticket(demo):
    reference = pipe(corpus("thunderbird_utf8.eml"))
    ticket = Ticket.objects.get(tenant=demo.wysylki, number=int(reference.split("-")[1]))
    ticket.status = Ticket.Status.RESOLVED
    ticket.save()

    reply = corpus("gmail_reply_iso88592.eml", PARENT_ID="3f1c9a2e-7d44-4b1a-9c3e-1a2b3c4d5e6f@bukiet.example.com",
                   **{"WYS-TICKET": "WYS-99999"})
    assert pipe(reply) == reference

    ticket.refresh_from_db()
    last = ticket.messages.order_by("-id").first()
    assert last.email_message_id == "<CAJx5fT9-gmail-reply-0001@mail.gmail.com>"
    assert last.body.endswith("Łucja z Bukietu") and "napisał(a)" not in last.body  # quote stripped for display
    assert last.author_contact is not None and not last.from_staff
    assert ticket.status == Ticket.Status.OPEN  # a customer reply re-opens a resolved ticket
    inbound = InboundEmail.objects.get(tenant=demo.wysylki, email_message_id=last.email_message_id)
    assert b"> prosimy zaktualizowa" in bytes(inbound.raw)  # the full text stays in the original


def test_a_reply_to_our_outbound_message_id_threads(demo):
    ticket = Ticket.objects.get(tenant=demo.wysylki, number=int(pipe(corpus("thunderbird_utf8.eml")).split("-")[1]))
    OutboundEmail.objects.create(tenant=demo.wysylki, ticket=ticket, kind="ack", dedupe_key=f"ack:{ticket.pk}",
                                 email_message_id="<ours-1@wysylki.example.com>", to_email="ewa@bukiet.example.com",
                                 subject="x", status="sent")
    raw = corpus("gmail_reply_iso88592.eml", PARENT_ID="ours-1@wysylki.example.com")
    assert pipe(raw) == ticket.reference


def test_subject_token_threads_only_for_the_requester_or_their_organization(demo):
    reference = pipe(corpus("thunderbird_utf8.eml"))
    own = (f"From: ewa@bukiet.example.com\r\nSubject: Re: [{reference}] etykiety\r\nMessage-ID: <t1@x>\r\n\r\n"
           "Jeszcze jedno.\r\n").encode()
    stranger = (f"From: someone@elsewhere.example.org\r\nSubject: Re: [{reference}] etykiety\r\n"
                "Message-ID: <t2@x>\r\n\r\nWtrącam się.\r\n").encode()
    other_prefix = (f"From: ewa@bukiet.example.com\r\nSubject: [KJM-{reference.split('-')[1]}] inna sprawa\r\n"
                    "Message-ID: <t3@x>\r\n\r\nInna sprawa.\r\n").encode()

    assert pipe(own) == reference
    assert pipe(stranger) != reference
    assert pipe(other_prefix) != reference


def test_in_reply_to_threads_only_for_the_requester_or_their_organization(demo):
    from core.models import ContactEmail

    reference = pipe(corpus("thunderbird_utf8.eml"))
    ticket = Ticket.objects.get(tenant=demo.wysylki, number=int(reference.split("-")[1]))
    parent = "<3f1c9a2e-7d44-4b1a-9c3e-1a2b3c4d5e6f@bukiet.example.com>"
    other = (ContactEmail.objects.for_tenant(demo.wysylki).exclude(contact__organization=ticket.organization_id)
             .select_related("contact").order_by("id").first())

    def reply(sender: str, msgid: str) -> bytes:
        return (f"From: {sender}\r\nSubject: Re: etykiety\r\nMessage-ID: <{msgid}@x>\r\n"
                f"In-Reply-To: {parent}\r\nReferences: {parent}\r\n\r\nDopisuję się.\r\n").encode()

    # a stranger and a customer of another organization who know the Message-ID
    stranger = pipe(reply("someone@elsewhere.example.org", "irt1"))
    neighbour = pipe(reply(other.email, "irt2"))
    own = pipe(reply("ewa@bukiet.example.com", "irt3"))

    # get tickets of their own (the stranger's in triage); the requester's reply threads
    assert stranger != reference and neighbour != reference and own == reference
    assert Ticket.objects.get(tenant=demo.wysylki, number=int(stranger.split("-")[1])).status == Ticket.Status.TRIAGE
    assert Ticket.objects.get(tenant=demo.wysylki, number=int(neighbour.split("-")[1])).organization_id == \
        other.contact.organization_id
    assert not ticket.messages.filter(body__contains="Dopisuję się", author_contact=other.contact).exists()
    assert ticket.messages.filter(email_message_id__in=["<irt1@x>", "<irt2@x>"]).count() == 0


def test_an_out_of_office_reply_creates_nothing(demo):
    reference = pipe(corpus("thunderbird_utf8.eml"))
    before = Ticket.objects.filter(tenant=demo.wysylki).count()
    messages = Message.objects.filter(tenant=demo.wysylki).count()

    out = [pipe(corpus("autoreply_outlook_pl.eml", **{"WYS-TICKET": reference})),
           pipe(corpus("autoreply_gmail_vacation.eml", **{"WYS-TICKET": reference}))]

    assert all(line.startswith("discarded: auto-reply") for line in out)
    assert Ticket.objects.filter(tenant=demo.wysylki).count() == before
    assert Message.objects.filter(tenant=demo.wysylki).count() == messages
    assert InboundEmail.objects.filter(tenant=demo.wysylki, status="discarded").count() == 2  # kept, raw


def test_a_windows_1250_message_shows_correct_polish_letters(demo):
    reference = pipe(corpus("outlook_cp1250.eml"))

    ticket = Ticket.objects.get(tenant=demo.wysylki, number=int(reference.split("-")[1]))
    message = ticket.messages.get()
    assert ticket.subject == "Zmiany w cenniku przewoźnika się nie zapisują"
    assert "Żółta strzałka, łódź, gęś — ąćęłńóśźż." in message.body
    assert "ąćęłńóśźż" in message.body_html
    assert ticket.status == Ticket.Status.NEW and ticket.contact.name == "Joanna Stolarczyk"  # authorised contact
    [attachment] = ticket.attachments.all()
    assert attachment.filename == "Cennik źródłowy.pdf"


def test_a_broken_message_lands_in_quarantine_with_its_raw_bytes(demo):
    raw = corpus("garbage_no_sender.eml")

    line = pipe(raw)

    assert line == "quarantined: no sender address (From)"
    inbound = InboundEmail.objects.get(tenant=demo.wysylki)
    assert inbound.status == "quarantined" and bytes(inbound.raw) == raw and inbound.ticket is None


def test_broken_mime_without_message_id_still_becomes_a_triage_ticket_once(demo):
    raw = corpus("broken_mime_no_message_id.eml")
    reference = pipe(raw)
    assert pipe(raw) == reference
    ticket = Ticket.objects.get(tenant=demo.wysylki, number=int(reference.split("-")[1]))
    assert ticket.status == Ticket.Status.TRIAGE  # a non-authorised address of a known organization
    assert ticket.messages.get(source="email").email_message_id.endswith("@hash.invalid>")


def test_unknown_sender_goes_to_triage(demo):
    raw = b"From: nowy@firma-nieznana.example.org\r\nSubject: Pytanie\r\nMessage-ID: <u1@x>\r\n\r\nDzien dobry\r\n"
    ticket = Ticket.objects.get(tenant=demo.wysylki, number=int(pipe(raw).split("-")[1]))
    assert ticket.status == Ticket.Status.TRIAGE and ticket.organization is None


def test_a_rejected_attachment_is_noted_on_the_ticket_and_kept_in_the_original(demo):
    reference = pipe(corpus("rfc2231_rejected_attachment.eml"))

    ticket = Ticket.objects.get(tenant=demo.wysylki, number=int(reference.split("-")[1]))
    assert [a.filename for a in ticket.attachments.all()] == ["dziennik_żółty.log"]
    note = ticket.messages.get(internal=True)
    assert "narzędzie diagnostyczne.exe" in note.body
    assert TicketEvent.objects.filter(ticket=ticket, kind="attachment_rejected").exists()
    inbound = InboundEmail.objects.get(tenant=demo.wysylki)
    assert "narz%C4%99dzie%20diagnostyczne.exe" in bytes(inbound.raw).decode() and "refused" in inbound.reason


def test_forwarded_mail_keeps_the_forwarded_message_as_a_file(demo):
    ticket = Ticket.objects.get(tenant=demo.wysylki,
                                number=int(pipe(corpus("forwarded_as_attachment.eml")).split("-")[1]))
    [attachment] = ticket.attachments.all()
    assert attachment.content_type == "message/rfc822" and attachment.filename.endswith(".eml")


def test_inline_image_of_html_mail_is_an_inline_attachment(demo):
    ticket = Ticket.objects.get(tenant=demo.wysylki,
                                number=int(pipe(corpus("html_only_inline_image.eml")).split("-")[1]))
    message = ticket.messages.get()
    assert "<script" not in message.body_html and "Kurier: DPD" in message.body
    assert ticket.attachments.get().inline


def test_a_bounce_is_attached_to_its_ticket_as_a_delivery_failure(demo):
    ticket = Ticket.objects.get(tenant=demo.wysylki, number=int(pipe(corpus("thunderbird_utf8.eml")).split("-")[1]))
    sent = OutboundEmail.objects.create(tenant=demo.wysylki, ticket=ticket, kind="ack", dedupe_key="ack:x",
                                        email_message_id="<sent-1@wysylki.example.com>",
                                        to_email="ewa@bukiet.example.com", subject="x", status="sent")
    tickets = Ticket.objects.filter(tenant=demo.wysylki).count()

    line = pipe(corpus("bounce_postfix_dsn.eml", OUTBOUND_ID="sent-1@wysylki.example.com"))

    assert line == ticket.reference
    assert Ticket.objects.filter(tenant=demo.wysylki).count() == tickets
    note = ticket.messages.get(internal=True)
    assert "ewa@bukiet.example.com" in note.body and "5.1.1" in note.body
    assert TicketEvent.objects.filter(ticket=ticket, kind="delivery_failed").exists()
    sent.refresh_from_db()
    assert sent.status == "failed"


def test_a_bounce_for_no_known_ticket_creates_nothing_but_is_kept(demo):
    line = pipe(corpus("bounce_postfix_dsn.eml", OUTBOUND_ID="unknown@wysylki.example.com"))
    assert line.startswith("discarded: delivery failure report")
    assert not Ticket.objects.filter(tenant=demo.wysylki, channel="email").exists()


def test_mail_from_our_own_address_is_not_a_ticket(demo):
    raw = b"From: pomoc@wysylki.example.com\r\nSubject: Test\r\nMessage-ID: <own@x>\r\n\r\npetla\r\n"
    assert pipe(raw).startswith("discarded:")


def test_message_ids_are_per_tenant(demo):
    raw = corpus("thunderbird_utf8.eml")
    assert pipe(raw, "wysylki").startswith("WYS-")
    assert pipe(raw, "kjm").startswith("KJM-")


@pytest.mark.django_db
def test_an_unknown_tenant_is_an_error_for_the_mta():
    with pytest.raises(CommandError):
        call_command("ingest_email", tenant="nope", stdin=BytesIO(b"x"), stdout=StringIO())


def test_admin_retry_and_discard_of_a_quarantined_message(demo):
    inbound = email_ingest(tenant=demo.wysylki, raw=b"From: \r\nSubject: x\r\n\r\nbody\r\n")
    assert inbound.status == "quarantined"
    # After a fix (here: the message is edited by an admin-side correction), a retry places it.
    inbound.raw = b"From: nowy@firma.example.org\r\nSubject: x\r\nMessage-ID: <r1@x>\r\n\r\nbody\r\n"
    inbound.save()
    retried = inbound_retry(tenant=demo.wysylki, inbound=inbound, actor=demo.user("admin@wysylki.example.com"))
    assert retried.status == "processed" and retried.ticket is not None

    other = email_ingest(tenant=demo.wysylki, raw=b"no sender at all")
    discarded = inbound_discard(tenant=demo.wysylki, inbound=other, actor=demo.user("admin@wysylki.example.com"))
    assert discarded.status == "discarded" and bytes(discarded.raw) == b"no sender at all"
    with pytest.raises(ValidationError):
        inbound_retry(tenant=demo.kjm, inbound=other)
