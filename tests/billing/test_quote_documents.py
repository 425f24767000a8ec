"""The quote e-mail and PDF are in the customer's language: English for an English contact, Polish by default."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from django.core import mail
from django.urls import reverse

from billing.quote_documents import money, quote_language
from billing.quotes import quote_create, quote_send
from core import outbox
from core.models import Contact, Tenant, User
from core.models import OutboxMessage
from helpdesk.management.commands.seed_demo import seed
from tickets.services import ticket_create

WAW = ZoneInfo("Europe/Warsaw")


def _pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


@pytest.fixture
def world(db):
    seed()
    tenant = Tenant.objects.get(slug="wysylki")
    contact = Contact.objects.get(tenant=tenant, name="Krzysztof Prądzyński")
    ticket = ticket_create(
        tenant=tenant,
        channel="portal",
        contact=contact,
        subject="Raport zwrotów",
        body="Prosimy o raport.",
        received_at=datetime(2026, 11, 16, 9, 0, tzinfo=WAW),
    )
    agent = User.objects.get(username="agent@wysylki.example.com")
    return tenant, contact, ticket, agent


def _send(world, **amounts):
    tenant, contact, ticket, agent = world
    quote = quote_create(tenant=tenant, ticket=ticket, actor=agent, description="Returns report", **amounts)
    quote = quote_send(tenant=tenant, quote=quote, actor=agent)
    row = OutboxMessage.objects.get(handler="billing.quote_mail", dedupe_key=f"quote:{quote.pk}:sent")
    mail.outbox.clear()
    outbox.send_one(row.pk)
    assert len(mail.outbox) == 1
    return quote, mail.outbox[0]


def test_an_english_customer_gets_the_quote_in_english_with_an_english_pdf(world):
    contact = world[1]
    contact.user.language = "en"
    contact.user.save(update_fields=["language"])
    quote, message = _send(world, hours=Decimal("2.5"), rate_net=Decimal("1200.00"))
    assert message.subject == f"Quote for work — ticket {quote.ticket.reference}"
    assert "we have prepared a quote" in message.body
    assert "Estimated 2.5 h × PLN 1,200.00 net = PLN 3,000.00 net" in message.body
    assert "Dzień dobry" not in message.body
    ((name, data, mimetype),) = message.attachments
    assert (name, mimetype) == (f"quote-{quote.pk}.pdf", "application/pdf")
    text = _pdf_text(data)
    for expected in (
        f"Quote No. {quote.pk}",
        "Seller",
        "Buyer",
        "Estimated hours",
        "PLN 1,200.00",
        "PLN 3,000.00",
        "Returns report",
    ):
        assert expected in text, expected
    assert "Oferta" not in text


def test_the_default_is_polish(world):
    quote, message = _send(world, fixed_price_net=Decimal("1500.00"))
    assert message.subject == f"Wycena prac — zgłoszenie {quote.ticket.reference}"
    assert message.body.startswith("Dzień dobry,")
    assert "Cena stała: 1\xa0500,00 zł netto." in message.body
    ((name, data, _mimetype),) = message.attachments
    assert name == f"oferta-{quote.pk}.pdf"
    text = _pdf_text(data)
    assert f"Oferta nr {quote.pk}" in text and "Sprzedawca" in text and "500,00 zł" in text


def test_language_choice_and_amounts():
    assert money(Decimal("1234567.5"), "en") == "PLN 1,234,567.50"
    assert money(Decimal("1234567.5"), "pl") == "1\xa0234\xa0567,50 zł"
    assert money(Decimal("-3"), "en") == "-PLN 3.00"


def test_an_unsupported_language_falls_back_to_polish(world):
    tenant, contact, ticket, agent = world
    contact.user.language = "de"
    contact.user.save(update_fields=["language"])
    quote = quote_create(tenant=tenant, ticket=ticket, actor=agent, description="X", fixed_price_net=Decimal("1"))
    assert quote_language(quote) == "pl"
    contact.user.language = "en-gb"
    contact.user.save(update_fields=["language"])
    assert quote_language(quote) == "en"


def test_the_customer_and_the_agent_download_the_pdf_but_not_a_draft_for_the_customer(client, world):
    tenant, contact, ticket, agent = world
    draft = quote_create(tenant=tenant, ticket=ticket, actor=agent, description="Szkic", fixed_price_net=Decimal("9"))
    client.force_login(agent)
    response = client.get(reverse("agent:ticket_quote_pdf", args=[ticket.pk, draft.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    client.force_login(contact.user)
    assert client.get(reverse("portal:quote_pdf", args=[ticket.pk, draft.pk])).status_code == 404
    quote_send(tenant=tenant, quote=draft, actor=agent)
    response = client.get(reverse("portal:quote_pdf", args=[ticket.pk, draft.pk]))
    assert response.status_code == 200 and f"Oferta nr {draft.pk}" in _pdf_text(response.content)
