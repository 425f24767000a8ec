"""After a merge: the customer's mail lands in the target, the notice is mailed in the customer's language,
the pages lead to the target and the portal shows one conversation; the agent's merge and split pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.tickets.email_corpus.fixtures import _smtp_server, corpus, eager_tasks, smtp  # noqa: F401
from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.email.inbound import email_ingest
from tickets.merge import ticket_merge
from tickets.models import Message, OutboundEmail, Ticket
from tickets.services import message_add

ORIGINAL_ID = "<3f1c9a2e-7d44-4b1a-9c3e-1a2b3c4d5e6f@bukiet.example.com>"


def ingest(tenant, raw, capture):
    with capture(execute=True):
        return email_ingest(tenant=tenant, raw=raw)


@pytest.fixture
def merged(demo, django_capture_on_commit_callbacks, monkeypatch):
    """Ewa's e-mailed ticket merged into her portal ticket of the same matter."""
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    source = ingest(demo.wysylki, corpus("thunderbird_utf8.eml"), django_capture_on_commit_callbacks).ticket
    ewa = contact("wysylki", "Ewa Kwiatkowska")
    assert source.organization_id == ewa.organization_id
    target = file_ticket(ewa, "Etykiety drukują się puste")
    OutboundEmail.objects.create(
        tenant=demo.wysylki,
        ticket=source,
        kind="ack",
        dedupe_key=f"ack:{source.pk}",
        email_message_id="<ack-old@wysylki.example.com>",
        to_email="ewa@bukiet.example.com",
        subject="x",
        status="sent",
    )
    member = agent("wysylki", "agent@wysylki.example.com")
    ticket_merge(tenant=demo.wysylki, source=source, target=target, actor=member.user)
    return {"source": source, "target": target, "ewa": ewa, "agent": member}


def _reply(sender: str, msgid: str, subject: str = "Re: etykiety", parent: str = "") -> bytes:
    head = f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <{msgid}@x>\r\n"
    if parent:
        head += f"In-Reply-To: {parent}\r\nReferences: {parent}\r\n"
    return (head + "\r\nDopisuję jeszcze jedno.\r\n").encode()


@pytest.mark.parametrize(
    "how", ["the customer's original message", "our e-mail about the old ticket", "the old reference in the subject"]
)
def test_a_reply_to_the_old_thread_lands_in_the_target(demo, merged, django_capture_on_commit_callbacks, how):
    source, target = merged["source"], merged["target"]
    raw = {
        "the customer's original message": lambda: corpus(
            "gmail_reply_iso88592.eml", PARENT_ID=ORIGINAL_ID.strip("<>"), **{"WYS-TICKET": "WYS-99999"}
        ),
        "our e-mail about the old ticket": lambda: _reply(
            "ewa@bukiet.example.com", "r2", parent="<ack-old@wysylki.example.com>"
        ),
        "the old reference in the subject": lambda: _reply(
            "ewa@bukiet.example.com", "r3", subject=f"Re: [{source.reference}] etykiety"
        ),
    }[how]()

    placed = ingest(demo.wysylki, raw, django_capture_on_commit_callbacks)

    assert placed.status == "processed" and placed.ticket_id == target.pk
    assert not Message.objects.filter(ticket=source, internal=False).exists()
    assert Ticket.objects.filter(tenant=demo.wysylki, requester_email="ewa@bukiet.example.com").count() == 2


def test_a_strangers_reply_to_the_old_thread_does_not_reach_the_target(
    demo, merged, django_capture_on_commit_callbacks
):
    placed = ingest(
        demo.wysylki,
        _reply("someone@elsewhere.example.org", "r4", parent=ORIGINAL_ID),
        django_capture_on_commit_callbacks,
    )
    assert placed.ticket_id not in (merged["source"].pk, merged["target"].pk)


@pytest.mark.parametrize("language, words", [("", "połączyliśmy je w jedno"), ("en", "so we have merged them")])
def test_the_customer_is_told_once_in_their_language_and_the_notice_threads_into_the_target(
    demo, smtp, eager_tasks, django_capture_on_commit_callbacks, language, words
):  # noqa: F811
    ewa = contact("wysylki", "Ewa Kwiatkowska")
    ewa.user.language = language
    ewa.user.save(update_fields=["language"])
    source = file_ticket(ewa, "Etykiety")
    target = file_ticket(ewa, "Drukarka")
    member = agent("wysylki", "agent@wysylki.example.com")
    smtp.received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_merge(tenant=demo.wysylki, source=source, target=target, actor=member.user)

    record = OutboundEmail.objects.get(dedupe_key=f"merged:{source.pk}")
    [mail] = [m for m in smtp.messages() if m["Message-ID"].strip() == record.email_message_id]
    assert mail["Subject"].strip().startswith(f"[{target.reference}]")
    text = mail.get_body(("plain",)).get_content()
    assert words in text and source.reference in text and target.reference in text
    record.refresh_from_db()
    assert record.ticket_id == target.pk and record.status == "sent"
    reply = (
        f"From: {ewa.emails.first().email}\r\nSubject: Re: {mail['Subject']}\r\n"
        f"In-Reply-To: {mail['Message-ID']}\r\nMessage-ID: <after-merge@x>\r\n\r\nDziękuję.\r\n"
    ).encode()
    assert ingest(demo.wysylki, reply, django_capture_on_commit_callbacks).ticket_id == target.pk


# --- pages ------------------------------------------------------------------------------------------


def test_the_portal_shows_one_thread_and_the_old_address_leads_to_it(demo, merged):
    source, target = merged["source"], merged["target"]
    client = Client()
    client.force_login(merged["ewa"].user)

    old = client.get(f"/portal/tickets/{source.pk}/", follow=True)
    assert old.redirect_chain[-1][0] == f"/portal/tickets/{target.pk}/"
    html = old.content.decode()
    assert "Błąd przy drukowaniu" in html or "etykiet" in html  # the e-mailed message is in the target's thread
    assert f"{source.reference} zostało scalone z tym zgłoszeniem" in html
    listing = client.get("/portal/").content.decode()
    assert target.reference in listing and f">{source.reference}<" not in listing
    found = client.get("/portal/", {"q": source.reference}).content.decode()
    assert target.reference in found


def test_the_agent_is_sent_from_the_old_ticket_to_the_target(demo, merged, client):
    client.force_login(merged["agent"].user)
    response = client.get(f"/agent/tickets/{merged['source'].pk}/", follow=True)
    assert response.redirect_chain[-1][0] == f"/agent/tickets/{merged['target'].pk}/"
    assert "scalenie zgłoszenia" in response.content.decode()  # the internal note on the target


@pytest.fixture
def desk(demo, client, monkeypatch):
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    member = agent("wysylki", "agent@wysylki.example.com")
    client.force_login(member.user)
    customer = contact("wysylki", "Paweł Nowicki")
    return {
        "agent": member,
        "customer": customer,
        "source": file_ticket(customer, "Etykiety się nie drukują"),
        "target": file_ticket(customer, "Drukarka Zebra nie drukuje"),
    }


def test_merge_page_picks_confirms_and_merges(desk, client):
    source, target = desk["source"], desk["target"]
    page = client.get(f"/agent/tickets/{source.pk}/").content.decode()
    assert f"/agent/tickets/{source.pk}/merge/" in page and "Scal…" in page

    picker = client.get(f"/agent/tickets/{source.pk}/merge/", {"q": "zebra"}).content.decode()
    assert target.reference in picker and f"?into={target.pk}" in picker

    confirm = client.get(f"/agent/tickets/{source.pk}/merge/", {"into": target.pk})
    html = confirm.content.decode()
    assert confirm.status_code == 200 and source.subject in html and target.subject in html
    assert f"Scal {source.reference} z {target.reference}" in html

    done = client.post(f"/agent/tickets/{source.pk}/merge/", {"into": target.pk}, follow=True)
    assert done.redirect_chain[-1][0] == f"/agent/tickets/{target.pk}/"
    assert f"Zgłoszenie {source.reference} scalono ze zgłoszeniem {target.reference}." in done.content.decode()
    assert Ticket.objects.get(pk=source.pk).merged_into_id == target.pk


def test_merge_page_shows_a_refusal_instead_of_the_button_and_a_post_answers_400(desk, client):
    source = desk["source"]
    other = file_ticket(contact("wysylki", "Ewa Kwiatkowska"), "Cudza sprawa")
    html = client.get(f"/agent/tickets/{source.pk}/merge/", {"into": other.pk}).content.decode()
    assert "różnych organizacji" in html and "data-merge-confirm" not in html
    refused = client.post(f"/agent/tickets/{source.pk}/merge/", {"into": other.pk})
    assert refused.status_code == 400 and "różnych organizacji" in refused.content.decode()
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None


@pytest.mark.parametrize("into", ["foreign", "987654321", "abc", "-1", "1" * 30])
def test_merge_into_another_tenants_or_a_missing_ticket_is_404_and_bad_input_is_no_500(desk, client, into):
    if into == "foreign":
        into = str(file_ticket(contact("kjm", "Barbara Księgowa"), "Obca sprawa").pk)
    response = client.post(f"/agent/tickets/{desk['source'].pk}/merge/", {"into": into})
    assert response.status_code in (400, 404)
    if into.isdigit() and len(into) < 19:
        assert response.status_code == 404
    assert Ticket.objects.get(pk=desk["source"].pk).merged_into_id is None


def test_split_page_moves_the_chosen_message_to_a_new_ticket(desk, client):
    source = desk["source"]
    later = message_add(
        tenant=source.tenant,
        ticket=source,
        body="A faktury się nie eksportują.",
        author_contact=desk["customer"],
        source="portal",
    )
    page = client.get(f"/agent/tickets/{source.pk}/").content.decode()
    assert f"/agent/tickets/{source.pk}/split/?message={later.pk}" in page
    assert "Wydziel do nowego zgłoszenia" in page

    form = client.get(f"/agent/tickets/{source.pk}/split/", {"message": later.pk}).content.decode()
    assert re.search(rf'value="{later.pk}"[^>]*checked', form)

    done = client.post(
        f"/agent/tickets/{source.pk}/split/", {"message": later.pk, "subject": "Eksport faktur"}, follow=True
    )
    later.refresh_from_db()
    new = Ticket.objects.get(pk=later.ticket_id)
    assert new.pk != source.pk and new.subject == "Eksport faktur"
    assert done.redirect_chain[-1][0] == f"/agent/tickets/{new.pk}/"


def test_split_page_refuses_the_first_message_and_a_foreign_one(desk, client):
    source = desk["source"]
    first = Message.objects.filter(ticket=source).order_by("id").first()
    message_add(
        tenant=source.tenant, ticket=source, body="Drugie pytanie.", author_contact=desk["customer"], source="portal"
    )
    foreign = Message.objects.filter(ticket=file_ticket(contact("kjm", "Barbara Księgowa"), "Obca")).first()
    for message in (first, foreign):
        response = client.post(f"/agent/tickets/{source.pk}/split/", {"message": message.pk, "subject": "X"})
        assert response.status_code == 400
        assert "Tej wiadomości nie można wydzielić" in response.content.decode()
    assert not Ticket.objects.filter(subject="X").exists()
