"""The customer's copies of a quote: the e-mail and the PDF, in the customer's language.

The language is the contact's (their login's language), else the tenant's, else Polish; English is
the only other language the product writes documents in, so anything else falls back to Polish.
Amounts follow the language: ``1 500,00 zł`` in Polish, ``PLN 1,500.00`` in English.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.models import Quote
from billing.statements import _fonts, _money_pl, party_rows, pdf_escape, statement_parties_for

LANGUAGES = ("pl", "en")


def quote_language(quote: Quote) -> str:
    """``en`` when the ticket's contact (or, without one, the tenant) writes English; else ``pl``."""
    contact = quote.ticket.contact if quote.ticket.contact_id else None
    user = contact.user if contact is not None and contact.user_id else None
    for language in ((user.language if user else ""), quote.tenant.language or ""):
        if language:
            code = language.split("-")[0].lower()
            return code if code in LANGUAGES else "pl"
    return "pl"


def money(value: Decimal, language: str) -> str:
    if language != "en":
        return f"{_money_pl(value)} zł"
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}PLN {abs(amount):,.2f}"


def _hours(value: Decimal, language: str) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text if language == "en" else text.replace(".", ",")


def _total(quote: Quote) -> Decimal:
    from billing.quotes import quote_total

    return quote_total(quote)


def quote_mail(quote: Quote, language: str) -> tuple[str, str]:
    """Subject and body of the "quote sent" e-mail."""
    with translation.override(language):
        amount = money(_total(quote), language)
        if quote.fixed_price_net is not None:
            price = _("Fixed price: %(amount)s net.") % {"amount": amount}
        else:
            price = _("Estimated %(hours)s h × %(rate)s net = %(amount)s net (billed by the time actually worked).") % {
                "hours": _hours(quote.hours, language),
                "rate": money(quote.rate_net, language),
                "amount": amount,
            }
        subject = _("Quote for work — ticket %(reference)s") % {"reference": quote.ticket.reference}
        body = (
            "\n\n".join(
                [
                    _("Hello,"),
                    _("we have prepared a quote for work on ticket %(reference)s:")
                    % {"reference": quote.ticket.reference}
                    + "\n"
                    + quote.description,
                    price,
                    _(
                        "You can accept or reject the quote in the customer portal, on the ticket's page. The quote is "
                        "attached as a PDF."
                    ),
                ]
            )
            + "\n"
        )
    return subject, body


def quote_pdf(quote: Quote, language: str) -> bytes:
    """The quote as a one-page A4 PDF."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    esc = pdf_escape
    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=10, leading=13)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#555555"))
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20)
    head = ParagraphStyle("head", parent=base, fontName=bold)
    seller, buyer = statement_parties_for(quote.tenant, quote.organization)
    with translation.override(language):
        buffer = io.BytesIO()
        heading = _("Quote No. %(number)s") % {"number": quote.pk}
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=heading,
            author=quote.tenant.name,
        )
        avail = doc.width - 12
        issued = timezone.localtime(quote.sent_at or quote.created_at)
        parties = Table(
            party_rows(seller, buyer, (_("Seller"), _("Buyer"), _("Tax ID (NIP)")), small=small, head=head, base=base),
            colWidths=[avail / 2, avail / 2],
        )
        parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        if quote.fixed_price_net is not None:
            rows = [[_("Fixed price, net"), money(quote.fixed_price_net, language)]]
        else:
            rows = [
                [_("Estimated hours"), _hours(quote.hours, language)],
                [_("Hourly rate, net"), money(quote.rate_net, language)],
                [_("Estimated total, net"), money(_total(quote), language)],
            ]
        figures = Table(
            [[Paragraph(esc(label), base), Paragraph(esc(value), head)] for label, value in rows],
            colWidths=[avail * 0.6, avail * 0.4],
        )
        figures.setStyle(
            TableStyle(
                [("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c5ccd3")), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
            )
        )
        note = (
            _("Billed by the time actually worked, at the rate above.")
            if quote.fixed_price_net is None
            else _("The fixed price is charged on the statement of the month the quote is accepted.")
        )
        story = [
            Paragraph(esc(heading), title),
            Paragraph(
                esc(
                    _("Ticket %(reference)s: %(subject)s")
                    % {"reference": quote.ticket.reference, "subject": quote.ticket.subject}
                ),
                base,
            ),
            Paragraph(esc(_("Issued on %(day)s") % {"day": issued.strftime("%Y-%m-%d")}), small),
            Spacer(1, 6 * mm),
            parties,
            Spacer(1, 8 * mm),
            Paragraph(esc(_("Work quoted")), head),
            Paragraph(esc(quote.description), base),
            Spacer(1, 5 * mm),
            figures,
            Spacer(1, 6 * mm),
            Paragraph(esc(note), small),
            Paragraph(esc(_("Amounts are net; VAT is added on the statement.")), small),
        ]
        doc.build(story)
    return buffer.getvalue()
