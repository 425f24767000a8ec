"""Billing's pages: the customer's plan and usage, and the time panel of the agent's ticket page."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.forms import QuoteForm, TimeEntryForm
from billing.models import Quote
from billing.quotes import quote_create, quote_decide, quote_send
from billing.selectors import organization_usage, time_entries_for_ticket
from billing.services import time_entry_log
from plans.selectors import plan_in_force_for_page
from tickets import selectors as ticket_selectors
from tickets.models import Ticket
from tickets.selectors import product_names
from tickets.templatetags.helpdesk_ui import terms_lines
from tickets.views.agent import done, ticket_page
from tickets.views.common import agent_required, contact_required, error_text, form_service


def time_panel_context(request, ticket: Ticket, in_force=None) -> dict | None:
    """The "Time" panel of the agent's ticket page: this month's usage, the entries, the form.

    ``in_force``: the page's plan in force today, reused for the month when it held on its first day."""
    if ticket.organization is None:
        return None
    tenant, now = request.tenant, timezone.now()
    return {
        "usage": organization_usage(tenant=tenant, organization=ticket.organization,
                                    month=timezone.localdate(now).replace(day=1), in_force=in_force),
        "time_entries": time_entries_for_ticket(tenant=tenant, ticket=ticket),
        "time_form": TimeEntryForm(initial={"started_at": timezone.localtime(now).replace(second=0, microsecond=0)},
                                   quotes=[q for q in _ticket_quotes(request, ticket)
                                           if q.status == Quote.Status.ACCEPTED]),
    }


def _accepted_quotes(tenant, ticket: Ticket) -> list[Quote]:
    """The quotes an entry of this ticket may be billed by."""
    return list(Quote.objects.for_tenant(tenant).filter(ticket=ticket, status=Quote.Status.ACCEPTED).order_by("id"))


def _ticket_quotes(request, ticket: Ticket) -> list[Quote]:
    """All the ticket's quotes, read once per request for the page's two panels (time and quotes)."""
    cache = request.__dict__.setdefault("_ticket_quotes", {})
    if ticket.pk not in cache:
        cache[ticket.pk] = list(Quote.objects.for_tenant(request.tenant).filter(ticket=ticket).order_by("id"))
    return cache[ticket.pk]


@require_POST
@agent_required
def ticket_time(request, pk: int):
    tenant = request.tenant
    ticket = ticket_selectors.ticket_for_agent(tenant=tenant, pk=pk)
    form = TimeEntryForm(request.POST, quotes=_accepted_quotes(tenant, ticket))
    if form.is_valid():
        data = form.cleaned_data
        entry = form_service(form, lambda: time_entry_log(
            tenant=tenant, ticket=ticket, agent=request.membership, kind=data["kind"],
            started_at=data["started_at"], minutes=data["minutes"], note=data["note"],
            emergency=data["emergency"], actor=request.user, after_hours_override=data["after_hours_override"],
            after_hours_reason=data["after_hours_reason"], quote=data["quote"]))
        if entry is not None:
            return done(request, ticket, _("Time logged: %(minutes)s min, billed %(billed)s min.") % {
                "minutes": entry.minutes, "billed": entry.billed_minutes})
    return ticket_page(request, ticket, panel_overrides={"time": {"time_form": form}}, status=400)


def quotes_panel_context(request, ticket: Ticket) -> dict | None:
    """The "Quotes" panel of the agent's ticket page: the ticket's quotes and a form for a new one."""
    if ticket.organization is None:
        return None
    return {"quotes": _ticket_quotes(request, ticket), "quote_form": QuoteForm()}


def portal_quotes_panel_context(request, ticket: Ticket) -> dict | None:
    """The customer's view: quotes sent to them, with accept/reject on those awaiting a decision."""
    quotes = list(Quote.objects.for_tenant(request.tenant).filter(ticket=ticket).exclude(status=Quote.Status.DRAFT)
                  .order_by("id"))
    return {"quotes": quotes} if quotes else None


@require_POST
@agent_required
def ticket_quote(request, pk: int):
    tenant = request.tenant
    ticket = ticket_selectors.ticket_for_agent(tenant=tenant, pk=pk)
    form = QuoteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        quote = form_service(form, lambda: quote_create(
            tenant=tenant, ticket=ticket, actor=request.user, description=data["description"], hours=data["hours"],
            rate_net=data["rate_net"], fixed_price_net=data["fixed_price_net"]))
        if quote is not None:
            return done(request, ticket, _("Quote prepared: %(quote)s.") % {"quote": quote})
    return ticket_page(request, ticket, panel_overrides={"quotes": {"quote_form": form}}, status=400)


@require_POST
@agent_required
def ticket_quote_send(request, pk: int, quote_id: int):
    tenant = request.tenant
    ticket = ticket_selectors.ticket_for_agent(tenant=tenant, pk=pk)
    quote = get_object_or_404(Quote.objects.for_tenant(tenant), pk=quote_id, ticket=ticket)
    try:
        quote_send(tenant=tenant, quote=quote, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error_text(error)))
        return redirect("agent:ticket_detail", pk=ticket.pk)
    return done(request, ticket, _("Quote sent to the customer."))


def _quote_pdf_response(quote: Quote):
    from django.http import HttpResponse

    from billing.quote_documents import quote_language, quote_pdf

    language = quote_language(quote)
    response = HttpResponse(quote_pdf(quote, language), content_type="application/pdf")
    name = ("quote" if language == "en" else "oferta") + f"-{quote.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@agent_required
def ticket_quote_pdf(request, pk: int, quote_id: int):
    """The quote as the customer gets it (in the customer's language)."""
    tenant = request.tenant
    ticket = ticket_selectors.ticket_for_agent(tenant=tenant, pk=pk)
    return _quote_pdf_response(get_object_or_404(Quote.objects.for_tenant(tenant), pk=quote_id, ticket=ticket))


@require_GET
@contact_required
def portal_quote_pdf(request, pk: int, quote_id: int):
    tenant, contact = request.tenant, request.contact
    ticket = ticket_selectors.ticket_for_contact(tenant=tenant, contact=contact, pk=pk)
    quote = get_object_or_404(Quote.objects.for_tenant(tenant).exclude(status=Quote.Status.DRAFT), pk=quote_id,
                              ticket=ticket)
    return _quote_pdf_response(quote)


@require_POST
@contact_required
def portal_quote_decide(request, pk: int, quote_id: int):
    tenant, contact = request.tenant, request.contact
    ticket = ticket_selectors.ticket_for_contact(tenant=tenant, contact=contact, pk=pk)
    quote = get_object_or_404(Quote.objects.for_tenant(tenant), pk=quote_id, ticket=ticket)
    accept = request.POST.get("decision") == "accept"
    if request.POST.get("decision") not in ("accept", "reject"):
        messages.error(request, _("Choose to accept or reject the quote."))
    else:
        try:
            quote_decide(tenant=tenant, quote=quote, accept=accept, actor=request.user, contact=contact)
        except ValidationError as error:
            messages.error(request, " ".join(error_text(error)))
        else:
            messages.success(request, _("Quote accepted.") if accept else _("Quote rejected."))
    return redirect("portal:ticket_detail", pk=ticket.pk)


@require_GET
@contact_required
def portal_plan(request):
    tenant, organization = request.tenant, request.contact.organization
    now = timezone.now()
    in_force = plan_in_force_for_page(tenant=tenant, organization=organization, at=now)
    usage = organization_usage(tenant=tenant, organization=organization, month=timezone.localdate(now).replace(day=1),
                               in_force=in_force)
    return render(request, "billing/portal/plan.html", {
        "organization": organization, "in_force": in_force, "terms": in_force.terms,
        "lines": terms_lines(in_force.terms, product_names(tenant)), "usage": usage,
    })
