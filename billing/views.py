"""Billing's pages: the customer's plan and usage, and the time panel of the agent's ticket page."""
from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.forms import TimeEntryForm
from billing.selectors import organization_usage, time_entries_for_ticket
from billing.services import time_entry_log
from plans.selectors import plan_in_force
from tickets import selectors as ticket_selectors
from tickets.models import Ticket
from tickets.selectors import product_names
from tickets.templatetags.helpdesk_ui import terms_lines
from tickets.views.agent import done, ticket_page
from tickets.views.common import agent_required, contact_required, form_service


def time_panel_context(request, ticket: Ticket) -> dict | None:
    """The "Time" panel of the agent's ticket page: this month's usage, the entries, the form."""
    if ticket.organization is None:
        return None
    tenant, now = request.tenant, timezone.now()
    return {
        "usage": organization_usage(tenant=tenant, organization=ticket.organization,
                                    month=timezone.localdate(now).replace(day=1)),
        "time_entries": time_entries_for_ticket(tenant=tenant, ticket=ticket),
        "time_form": TimeEntryForm(initial={"started_at": timezone.localtime(now).replace(second=0, microsecond=0)}),
    }


@require_POST
@agent_required
def ticket_time(request, pk: int):
    tenant = request.tenant
    ticket = ticket_selectors.ticket_for_agent(tenant=tenant, pk=pk)
    form = TimeEntryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        entry = form_service(form, lambda: time_entry_log(
            tenant=tenant, ticket=ticket, agent=request.membership, kind=data["kind"],
            started_at=data["started_at"], minutes=data["minutes"], note=data["note"],
            emergency=data["emergency"], actor=request.user))
        if entry is not None:
            return done(request, ticket, _("Time logged: %(minutes)s min, billed %(billed)s min.") % {
                "minutes": entry.minutes, "billed": entry.billed_minutes})
    return ticket_page(request, ticket, panel_overrides={"time": {"time_form": form}}, status=400)


@require_GET
@contact_required
def portal_plan(request):
    tenant, organization = request.tenant, request.contact.organization
    now = timezone.now()
    in_force = plan_in_force(tenant=tenant, organization=organization, at=now)
    usage = organization_usage(tenant=tenant, organization=organization, month=timezone.localdate(now).replace(day=1))
    return render(request, "billing/portal/plan.html", {
        "organization": organization, "in_force": in_force, "terms": in_force.terms,
        "lines": terms_lines(in_force.terms, product_names(tenant)), "usage": usage,
    })
