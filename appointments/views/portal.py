"""The customer's side: booking a session from a ticket, the session page, call-back requests."""
from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import ics, selectors, services
from appointments.forms import CallbackForm, SlotChoiceForm
from appointments.models import Appointment
from appointments.views.common import picker
from tickets import selectors as ticket_selectors
from tickets.models import Ticket
from tickets.views.common import contact_required, form_service


def panel_context(request, ticket: Ticket) -> dict | None:
    """The "Sessions" panel of the customer's ticket page."""
    if ticket.organization_id is None:
        return None
    tenant = request.tenant
    return {"appointments": selectors.appointments_for_ticket(tenant=tenant, ticket=ticket),
            "callbacks": selectors.callbacks_for_ticket(tenant=tenant, ticket=ticket),
            "can_book": ticket.status not in (Ticket.Status.CLOSED, Ticket.Status.TRIAGE),
            "callback_form": CallbackForm(initial={"phone": _first_phone(request.contact)})}


def _first_phone(contact) -> str:
    phone = contact.phones.order_by("id").first() if contact else None
    return phone.number if phone else ""


def _bound_form(request, context):
    return SlotChoiceForm(request.POST or None, lengths=context["lengths"] or [0])


@require_http_methods(["GET", "POST"])
@contact_required
def book(request, pk: int):
    tenant, contact = request.tenant, request.contact
    ticket = ticket_selectors.ticket_for_contact(tenant=tenant, contact=contact, pk=pk)
    context = picker(request, organization=ticket.organization)
    form = _bound_form(request, context)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        booked = form_service(form, lambda: services.appointment_book(
            tenant=tenant, ticket=ticket, kind=data["kind"], starts_at=data["starts_at"], minutes=data["length"],
            actor=request.user, contact=contact, note=data["note"]))
        if booked is not None:
            messages.success(request, _("Booked. We have sent the invitation to your e-mail address."))
            return redirect("portal:appointment_detail", pk=booked.pk)
    return render(request, "appointments/portal/book.html", {
        **context, "ticket": ticket, "form": form, "action": "book"},
        status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@contact_required
def reschedule(request, pk: int):
    tenant = request.tenant
    appointment = selectors.appointment_for_contact(tenant=tenant, contact=request.contact, pk=pk)
    if appointment.status not in Appointment.HOLDING:
        messages.error(request, _("This session is no longer planned."))
        return redirect("portal:appointment_detail", pk=appointment.pk)
    context = picker(request, organization=appointment.organization, kind=appointment.kind, ignore=appointment,
                     fixed_kind=True)
    form = _bound_form(request, context)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        moved = form_service(form, lambda: services.appointment_reschedule(
            tenant=tenant, appointment=appointment, starts_at=data["starts_at"], minutes=data["length"],
            actor=request.user))
        if moved is not None:
            messages.success(request, _("The session has been moved. Your calendar invitation is updated."))
            return redirect("portal:appointment_detail", pk=moved.pk)
    return render(request, "appointments/portal/book.html", {
        **context, "ticket": appointment.ticket, "appointment": appointment, "form": form, "action": "reschedule"},
        status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@contact_required
def detail(request, pk: int):
    tenant = request.tenant
    appointment = selectors.appointment_for_contact(tenant=tenant, contact=request.contact, pk=pk)
    rules = selectors.booking_rules(tenant)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                services.appointment_accept(tenant=tenant, appointment=appointment, actor=request.user)
                messages.success(request, _("Thank you — the session is booked."))
            elif action == "cancel":
                cancelled = services.appointment_cancel(tenant=tenant, appointment=appointment, actor=request.user,
                                                        by_customer=True)
                messages.success(request, _("The session has been cancelled.") if not cancelled.late_cancellation
                                 else _("The session has been cancelled (late cancellation)."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("portal:appointment_detail", pk=appointment.pk)
    now = timezone.now()
    late = appointment.starts_at - now < timedelta(hours=rules.late_cancel_hours)
    return render(request, "appointments/portal/detail.html", {
        "appointment": appointment, "ticket": appointment.ticket, "rules": rules, "late": late,
        "preview": selectors.cost_preview(tenant=tenant, organization=appointment.organization,
                                          kind=appointment.kind, minutes=appointment.minutes, at=now),
    })


@require_GET
@contact_required
def invitation(request, pk: int):
    appointment = selectors.appointment_for_contact(tenant=request.tenant, contact=request.contact, pk=pk)
    cancel = appointment.status == Appointment.Status.CANCELLED
    response = HttpResponse(ics.invitation(appointment, cancel=cancel), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sesja-{appointment.pk}.ics"'
    return response


@require_POST
@contact_required
def callback_request(request, pk: int):
    tenant, contact = request.tenant, request.contact
    ticket = ticket_selectors.ticket_for_contact(tenant=tenant, contact=contact, pk=pk)
    form = CallbackForm(request.POST)
    if form.is_valid():
        created = form_service(form, lambda: services.callback_request(
            tenant=tenant, phone=form.cleaned_data["phone"], note=form.cleaned_data["note"], ticket=ticket,
            contact=contact, actor=request.user))
        if created is not None:
            messages.success(request, _("We will call you back. Call-backs have no guaranteed reaction time."))
            return redirect("portal:ticket_detail", pk=ticket.pk)
    for message in [e for errors in form.errors.values() for e in errors]:
        messages.error(request, message)
    return redirect("portal:ticket_detail", pk=ticket.pk)
