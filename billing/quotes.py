"""Quotes for out-of-scope work (RULES 5): prepared and sent by an agent, decided by the customer.

* ``quote_create``: a draft on a ticket: a fixed price, or estimated hours at a rate (default: the
  plan's hourly rate; KJM OPIEKA has none, so the agent gives it);
* ``quote_send``: draft → sent; the customer is told by e-mail (outbox, same transaction);
* ``quote_decide``: sent → accepted or rejected, by a contact of the ticket's organization (portal)
  or by staff recording the customer's answer;
* time entries may point at an accepted quote of their ticket: such work is billed by the quote
  (``billing.services``): at the quote's rate, or within the fixed price (0.00 per entry, the price
  is its own statement line in the month of acceptance).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Quote
from billing.quote_documents import quote_language, quote_mail, quote_pdf
from core import outbox
from core.models import Tenant, User
from core.services import audit_record
from plans.selectors import plan_in_force

QUOTE_MAIL = "billing.quote_mail"
MAX_AMOUNT = Decimal("10000000")


def _amount(name: str, value: Any, *, positive: bool = True) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or (positive and value == 0) \
            or value >= MAX_AMOUNT:
        raise ValidationError({name: _("Give a positive amount.")})
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def quote_create(*, tenant: Tenant, ticket, actor: User | None, description: str, hours: Decimal | None = None,
                 rate_net: Decimal | None = None, fixed_price_net: Decimal | None = None) -> Quote:
    if ticket.tenant_id != tenant.pk:
        raise ValidationError({"ticket": _("Unknown ticket.")})
    if ticket.organization_id is None:
        raise ValidationError({"ticket": _("Accept the ticket for an organization before quoting it.")})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe the work quoted.")})
    hours, rate_net, fixed = _amount("hours", hours), _amount("rate_net", rate_net), _amount(
        "fixed_price_net", fixed_price_net)
    if fixed is not None and (hours is not None or rate_net is not None):
        raise ValidationError({"fixed_price_net": _("Give either a fixed price or hours at a rate, not both.")})
    if fixed is None:
        if hours is None:
            raise ValidationError({"hours": _("Give the estimated hours, or a fixed price.")})
        if rate_net is None:
            terms = plan_in_force(tenant=tenant, organization=ticket.organization, at=timezone.now()).terms
            rate_net = terms.hourly_rate_net if terms else None
        if rate_net is None:
            raise ValidationError({"rate_net": _("The plan has no hourly rate: give the quote's rate.")})
    quote = Quote.objects.create(tenant=tenant, ticket=ticket, organization_id=ticket.organization_id,
                                 description=description[:500], hours=hours, rate_net=rate_net,
                                 fixed_price_net=fixed, created_by=actor)
    audit_record(tenant=tenant, actor=actor, action="quote.created", obj=quote,
                 summary=f"{ticket.pk}: {quote}", data=_data(quote))
    return quote


def _data(quote: Quote) -> dict:
    return {"status": quote.status, "hours": str(quote.hours) if quote.hours is not None else None,
            "rate_net": str(quote.rate_net) if quote.rate_net is not None else None,
            "fixed_price_net": str(quote.fixed_price_net) if quote.fixed_price_net is not None else None}


def quote_total(quote: Quote) -> Decimal:
    if quote.fixed_price_net is not None:
        return quote.fixed_price_net
    return (quote.hours * quote.rate_net).quantize(Decimal("0.01"))


def _locked(tenant: Tenant, quote: Quote) -> Quote:
    if quote.tenant_id != tenant.pk:
        raise ValidationError({"quote": _("Unknown quote.")})
    return Quote.objects.select_for_update().select_related("ticket", "organization").get(pk=quote.pk)


@transaction.atomic
def quote_send(*, tenant: Tenant, quote: Quote, actor: User | None) -> Quote:
    quote = _locked(tenant, quote)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError({"status": _("Only a draft quote can be sent.")})
    quote.status, quote.sent_at = Quote.Status.SENT, timezone.now()
    quote.save(update_fields=["status", "sent_at", "updated_at"])
    recipient = quote.ticket.requester_email
    if recipient:
        language = quote_language(quote)
        subject, body = quote_mail(quote, language)
        outbox.enqueue(tenant=tenant, handler=QUOTE_MAIL, recipient=recipient, dedupe_key=f"quote:{quote.pk}:sent",
                       payload={"subject": subject, "body": body, "language": language, "quote": quote.pk,
                                "from_email": tenant.support_email or settings.DEFAULT_FROM_EMAIL})
    audit_record(tenant=tenant, actor=actor, action="quote.sent", obj=quote, summary=str(quote), data=_data(quote))
    return quote


@transaction.atomic
def quote_decide(*, tenant: Tenant, quote: Quote, accept: bool, actor: User | None, contact=None) -> Quote:
    """The customer's answer. ``contact``: the portal user's contact, who must belong to the
    quote's organization (another organization's quote is unknown to them)."""
    quote = _locked(tenant, quote)
    if contact is not None and contact.organization_id != quote.organization_id:
        raise ValidationError({"quote": _("Unknown quote.")})
    if quote.status != Quote.Status.SENT:
        raise ValidationError({"status": _("This quote is not waiting for a decision.")})
    quote.status = Quote.Status.ACCEPTED if accept else Quote.Status.REJECTED
    quote.decided_by, quote.decided_at = actor, timezone.now()
    quote.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit_record(tenant=tenant, actor=actor, action=f"quote.{quote.status}", obj=quote, summary=str(quote),
                 data=_data(quote))
    return quote


def quote_mail_deliver(row) -> None:
    """The outbox's handler of the "quote sent" e-mail: the text fixed when the quote was sent, and the
    quote as a PDF in the same language (rows queued before the PDF existed go without it)."""
    from django.core.mail import EmailMessage

    quote = (Quote.objects.filter(tenant_id=row.tenant_id, pk=row.payload["quote"])
             .select_related("tenant", "organization", "ticket").first() if row.payload.get("quote") else None)
    if quote is None:
        outbox.mail_send(row, subject=row.payload["subject"], body=row.payload["body"],
                         from_email=row.payload["from_email"])
        return
    message = EmailMessage(subject=" ".join(row.payload["subject"].split()), body=row.payload["body"],
                           from_email=row.payload["from_email"], to=[row.recipient],
                           headers={"Message-ID": row.message_id, "Auto-Submitted": "auto-generated"})
    language = row.payload.get("language", "pl")
    name = ("quote" if language == "en" else "oferta") + f"-{quote.pk}.pdf"
    message.attach(name, quote_pdf(quote, language), "application/pdf")
    message.send()
