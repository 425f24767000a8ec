"""The customer portal: the organization's tickets, filing a ticket, the public thread."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tickets import hooks, list_cache, selectors
from tickets.forms import ReplyForm, TicketFileForm
from tickets.models import Message, Ticket
from tickets.services import message_add, ticket_create
from tickets.views.common import (CSRF_PLACEHOLDER, PORTAL_COUNT_CAP, attachment_response, cached_page,
                                  contact_required, form_service, paginate, thumbnail_response)


@require_GET
@contact_required
def ticket_list(request):
    state = request.GET.get("state", "")
    state = state if state in ("open", "closed") else ""
    status = request.GET.get("status", "")
    status = status if status in Ticket.Status.values else ""
    search = request.GET.get("q", "").strip()[:100]
    now = timezone.now()

    def page() -> str:
        tickets = selectors.portal_tickets(tenant=request.tenant, contact=request.contact, state=state,
                                           status=status, search=search)
        # An organization with thousands of tickets is not counted to the end on every page (counting
        # 11 000 cost 15 ms, bench/README.md): past the cap the pages say "Page 3" and go on.
        page = paginate(request, tickets, count_cap=PORTAL_COUNT_CAP)
        return render_to_string("tickets/portal/ticket_list.html", {
            "page": page, "tickets": page.object_list, "state": state, "status": status, "search": search,
            "statuses": Ticket.Status.choices, "now": now,
            "row_names": selectors.queue_row_names(tenant=request.tenant),
            "filtered": bool(state or status or search),
            "csrf_token": CSRF_PLACEHOLDER,
        }, request)

    # Cached until the tenant's lists change (tickets.list_cache); the contact's organization is in the key
    # as the contact's (a move to another organization renews the page version).
    key = (request.contact.pk, request.contact.organization_id, request.get_full_path(), list_cache.minute(now))
    return cached_page(request, request.tenant.pk, "portal-page", key, page)


@require_http_methods(["GET", "POST"])
@contact_required
def ticket_new(request):
    tenant, contact = request.tenant, request.contact
    form = TicketFileForm(request.POST or None, request.FILES or None, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = form_service(form, lambda: ticket_create(
            tenant=tenant, channel=Ticket.Channel.PORTAL, contact=contact, subject=data["subject"],
            body=form.description(), category=data["category"], product=data.get("product"),
            critical=data["critical"], actor=request.user, attachments=data["attachments"]))
        if ticket is not None:
            messages.success(request, _("Ticket %(ref)s has been filed. We will reply here and by e-mail.") % {
                "ref": ticket.reference})
            return redirect("portal:ticket_detail", pk=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "tickets/portal/ticket_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@contact_required
def ticket_detail(request, pk: int):
    tenant, contact = request.tenant, request.contact
    ticket = selectors.ticket_for_contact(tenant=tenant, contact=contact, pk=pk)
    if ticket.merged_into_id is not None:
        # One conversation: the merged ticket's messages are on the ticket it was merged into.
        messages.info(request, _("%(ref)s has been merged into this ticket.") % {"ref": ticket.reference})
        return redirect("portal:ticket_detail", pk=ticket.merged_into_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            reply = form_service(form, lambda: message_add(
                tenant=tenant, ticket=ticket, body=form.cleaned_data["body"], author_contact=contact,
                author_user=request.user, source=Message.Source.PORTAL, attachments=form.cleaned_data["attachments"]))
            if reply is not None:
                messages.success(request, _("Your reply has been sent."))
                return redirect("portal:ticket_detail", pk=ticket.pk)
        status = 400
        ticket = selectors.ticket_for_contact(tenant=tenant, contact=contact, pk=pk)
    return render(request, "tickets/portal/ticket_detail.html", {
        "ticket": ticket, "thread": selectors.thread(ticket=ticket, public_only=True), "form": form,
        "can_reply": ticket.status != Ticket.Status.CLOSED, "now": timezone.now(),
        "panels": hooks.portal_panels(request, ticket),
    }, status=status)


@require_GET
@contact_required
def attachment_download(request, pk: int):
    attachment = selectors.attachment_for_contact(tenant=request.tenant, contact=request.contact, pk=pk)
    return attachment_response(attachment)


@require_GET
@contact_required
def attachment_thumbnail(request, pk: int):
    attachment = selectors.attachment_for_contact(tenant=request.tenant, contact=request.contact, pk=pk)
    return thumbnail_response(attachment)
