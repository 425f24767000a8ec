"""Inbound mail to tickets: idempotency, threading, noise, charsets, quarantine, bounces."""
from __future__ import annotations

from io import BytesIO, StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

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


# --- real mail that went wrong (one corpus message per case) ------------------------------------


def _ticket(demo, reference: str, tenant: str = "wysylki") -> Ticket:
    return Ticket.objects.get(tenant=demo.tenant(tenant), number=int(reference.split("-")[1]))


def test_answers_between_quotes_are_stored_shown_and_the_whole_text_is_one_click_away(demo, client):
    ticket = _ticket(demo, pipe(corpus("thunderbird_utf8.eml")))
    reference = pipe(corpus("thunderbird_inline_answers.eml", **{
        "PARENT_ID": "3f1c9a2e-7d44-4b1a-9c3e-1a2b3c4d5e6f@bukiet.example.com", "WYS-TICKET": ticket.reference}))
    assert reference == ticket.reference

    reply = ticket.messages.order_by("-id").first()
    assert "Zebra ZD421, sterownik z płyty." in reply.body and "Wersja 5.2.1" in reply.body
    assert reply.body_full == "" or reply.body_full.startswith(reply.body)  # nothing quoted to hide at the end
    for who, url in ((demo.user("ewa@bukiet.example.com"), reverse("portal:ticket_detail", args=[ticket.pk])),
                     (demo.user("agent@wysylki.example.com"), reverse("agent:ticket_detail", args=[ticket.pk]))):
        client.force_login(who)
        page = client.get(url).content.decode()
        assert "Zebra ZD421, sterownik z płyty." in page and "Tylko na stanowisku w magazynie" in page


def test_a_reply_keeps_its_quoted_history_behind_a_details_element(demo, client):
    ticket = _ticket(demo, pipe(corpus("thunderbird_utf8.eml")))
    pipe(corpus("gmail_reply_iso88592.eml", PARENT_ID="3f1c9a2e-7d44-4b1a-9c3e-1a2b3c4d5e6f@bukiet.example.com"))
    reply = ticket.messages.order_by("-id").first()
    assert reply.body.endswith("Łucja z Bukietu")
    assert "> prosimy zaktualizować program do wersji 5.2." in reply.body_full
    assert reply.quoted_text.startswith("pt., 6 mar 2026 o 09:12")

    client.force_login(demo.user("ewa@bukiet.example.com"))
    page = client.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    assert "<details" in page and "pokaż cytowaną treść" in page
    assert "prosimy zaktualizować program do wersji 5.2." in page


def test_an_inline_forward_of_the_banks_answer_is_new_text(demo):
    ticket = _ticket(demo, pipe(corpus("gmail_inline_forward_bank.eml"), "kjm"), "kjm")
    message = ticket.messages.get(source="email")
    assert "Pliki w kodowaniu Windows-1250 będą odrzucane z kodem błędu E-417." in message.body
    assert "> Proszę przesłać odpowiedź banku" in message.quoted_text


@pytest.mark.parametrize("name", ["iphone_sick_leave_subject.eml", "outlook_parental_leave_subject.eml"])
def test_requests_whose_subject_sounds_like_an_absence_become_tickets(demo, name):
    line = pipe(corpus(name), "kjm")

    assert line.startswith("KJM-")
    inbound = InboundEmail.objects.get(tenant=demo.kjm)
    assert inbound.status == "processed" and "possibly automatic" in inbound.reason
    assert TicketEvent.objects.filter(ticket=inbound.ticket, kind="possible_auto_reply").exists()


def test_nul_bytes_are_removed_from_subject_and_body(demo):
    ticket = _ticket(demo, pipe(corpus("nul_bytes_outlook.eml")))

    message = ticket.messages.get(source="email")
    assert ticket.subject == message.subject == "Etykiety DPD nie drukuj się"
    assert "numer przesyłki: 0000123456." in message.body and "\x00" not in message.body
    inbound = InboundEmail.objects.get(tenant=demo.wysylki)
    assert inbound.status == "processed" and inbound.subject == ticket.subject and b"\x00" in bytes(inbound.raw)


def test_nul_bytes_from_the_portal_and_the_api_services_are_removed(demo):
    from tickets.services import message_add, ticket_create, ticket_update

    customer = demo.user("ewa@bukiet.example.com").contact
    ticket = ticket_create(tenant=demo.wysylki, channel="portal", contact=customer, subject="Etykieta\x00 DPD",
                           body="Treść\x00 z\x07 formularza")
    reply = message_add(tenant=demo.wysylki, ticket=ticket, body="Odpowiedź\x00", author_contact=customer,
                        source="portal")
    ticket_update(tenant=demo.wysylki, ticket=ticket, actor=demo.user("agent@wysylki.example.com"),
                  subject="Nowy\x00 temat")
    ticket.refresh_from_db()
    assert ticket.subject == "Nowy temat"
    assert ticket.messages.first().body == "Treść z formularza" and reply.body == "Odpowiedź"


def test_html_table_rows_and_cells_stay_apart_in_the_stored_text(demo):
    message = _ticket(demo, pipe(corpus("outlook_html_table.eml"))).messages.get(source="email")
    assert "ZN-4001 | 37,01 zł | InPost" in message.body.split("\n")


def test_a_web_form_from_our_own_domain_files_the_ticket_for_the_reply_to_address(demo):
    ticket = _ticket(demo, pipe(corpus("webform_reply_to.eml")))
    assert ticket.requester_email == "krzysztof@elektromat.example.com"
    assert ticket.requester_name == "Krzysztof Prądzyński" and ticket.contact.name == "Krzysztof Prądzyński"
    assert ticket.status == Ticket.Status.NEW  # an authorised contact, not triage
    assert "Reply-To" in InboundEmail.objects.get(tenant=demo.wysylki).reason


def test_a_listed_robot_address_files_the_ticket_for_the_reply_to_address(demo):
    from tickets.models import Mailbox

    raw = corpus("webform_reply_to.eml").replace(b"formularz@wysylki.example.com", b"no-reply@sklep.example.net")
    assert _ticket(demo, pipe(raw)).requester_email == "no-reply@sklep.example.net"  # not listed: From counts

    Mailbox.objects.create(tenant=demo.wysylki, name="Pomoc", host="imap.example.com",
                           username="pomoc@wysylki.example.com",
                           robot_addresses="no-reply@sklep.example.net\n@formularze.example.org")
    again = raw.replace(b"form-20260310-1100", b"form-2")
    assert _ticket(demo, pipe(again)).requester_email == "krzysztof@elektromat.example.com"
    domain = raw.replace(b"no-reply@sklep.example.net", b"www@formularze.example.org").replace(b"form-2026", b"f3")
    assert _ticket(demo, pipe(domain)).requester_email == "krzysztof@elektromat.example.com"


def test_an_ordinary_senders_reply_to_does_not_change_the_requester(demo):
    raw = corpus("thunderbird_utf8.eml").replace(b"From:", b"Reply-To: sekretariat@bukiet.example.com\r\nFrom:", 1)
    assert _ticket(demo, pipe(raw)).requester_email == "ewa@bukiet.example.com"


def test_a_long_subject_is_kept_whole_on_the_message_and_shortened_on_the_ticket(demo, client):
    ticket = _ticket(demo, pipe(corpus("outlook_long_subject.eml"), "kjm"), "kjm")
    message = ticket.messages.get(source="email")
    assert len(message.subject) == 333 and message.subject.endswith("KONIEC TEMATU")
    assert len(ticket.subject) == 250 and ticket.subject.endswith("…")
    assert InboundEmail.objects.get(tenant=demo.kjm).subject == message.subject
    client.force_login(demo.user("ksiegowosc@wodociagi.example.com"))
    page = client.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    assert "termin mija 25 marca — KONIEC TEMATU" in page


def test_attached_messages_keep_their_own_names(demo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = _ticket(demo, pipe(corpus("forwarded_attachment_names.eml")))
    names = sorted(a.filename for a in ticket.attachments.all())
    assert names == ["Zwrot 03_2026 – kurier.eml", "message.eml"]
    assert all("/" not in a.file.name.rpartition("/")[2] for a in ticket.attachments.all())
    assert ticket.messages.get(source="email").body == "W załączniku dwie wiadomości od kuriera."


def test_a_bounce_for_another_recipient_leaves_our_message_sent(demo):
    ticket = _ticket(demo, pipe(corpus("thunderbird_utf8.eml")))
    ours = OutboundEmail.objects.create(tenant=demo.wysylki, ticket=ticket, kind="reply", dedupe_key="reply:x",
                                        email_message_id="<out-2@wysylki.example.com>",
                                        to_email="ewa@bukiet.example.com", subject="x", status="sent")
    other = OutboundEmail.objects.create(tenant=demo.wysylki, ticket=ticket, kind="reply", dedupe_key="reply:y",
                                         email_message_id="<out-3@wysylki.example.com>",
                                         to_email="magazyn@bukiet.example.com", subject="x", status="sent")
    report = corpus("bounce_two_recipients.eml", OUTBOUND_ID="out-2@wysylki.example.com")

    assert pipe(report) == ticket.reference

    ours.refresh_from_db()
    assert ours.status == "sent"  # ewa@ got it; only magazyn@ failed
    note = ticket.messages.get(internal=True)
    assert "magazyn@bukiet.example.com" in note.body and "ewa@bukiet.example.com" not in note.body

    pipe(report.replace(b"out-2@wysylki", b"out-3@wysylki").replace(b"Message-Id: <2026", b"Message-Id: <x2026"))
    other.refresh_from_db()
    assert other.status == "failed"


def test_a_message_whose_placing_fails_is_quarantined_with_the_cause(demo, monkeypatch):
    from tickets.email import inbound as inbound_module

    def broken(*args, **kwargs):
        raise RuntimeError("dysk pełny")

    monkeypatch.setattr(inbound_module, "ticket_create", broken)
    line = pipe(corpus("outlook_html_table.eml"))

    assert line == "quarantined: cannot be placed: RuntimeError: dysk pełny"
    assert not Ticket.objects.filter(tenant=demo.wysylki, channel="email").exists()
