"""The agent's side: the agenda, proposals, logging a session, call-backs, phone calls, the feed."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import ics, selectors, services
from appointments.forms import CallbackForm, PhoneCallForm, SessionLogForm, SlotChoiceForm
from appointments.models import Appointment, Callback
from appointments.views.common import picker
from billing.selectors import organization_usage
from core.models import Membership
from plans.selectors import plan_in_force
from tickets import selectors as ticket_selectors
from tickets.models import Ticket
from tickets.views.common import agent_required, form_service


def _page_appointments(request, ticket: Ticket) -> tuple[list[Appointment], list[Appointment]]:
    """The ticket's sessions and the organization's next ones, read once for the page's two panels."""
    memo = request.__dict__.setdefault("_page_appointments", {})
    if ticket.pk not in memo:
        memo[ticket.pk] = selectors.ticket_page_appointments(tenant=request.tenant, ticket=ticket, now=timezone.now())
    return memo[ticket.pk]


def panel_context(request, ticket: Ticket) -> dict | None:
    """The "Sessions" panel of the agent's ticket page."""
    tenant = request.tenant
    return {"appointments": _page_appointments(request, ticket)[0],
            "callbacks": selectors.callbacks_for_ticket(tenant=tenant, ticket=ticket),
            "log_form": SessionLogForm(), "now": timezone.now(),
            "callback_form": CallbackForm(initial={"phone": _contact_phone(ticket)})}


def upcoming_context(request, ticket: Ticket) -> dict | None:
    """The "Upcoming sessions" of the ticket's organization, in the customer context of the ticket page."""
    if not ticket.organization_id:
        return None
    return {"upcoming": _page_appointments(request, ticket)[1]}


def _contact_phone(ticket: Ticket) -> str:
    if not ticket.contact_id:
        return ""
    phones = sorted(ticket.contact.phones.all(), key=lambda phone: phone.pk)  # prefetched by the ticket page
    return phones[0].number if phones else ""


def _hours_left(tenant, organization, month, cache: dict) -> dict:
    if organization.pk not in cache:
        usage = organization_usage(tenant=tenant, organization=organization, month=month)
        packages = sum(p.minutes_left for p in usage.packages if p.status == "active")
        cache[organization.pk] = {"plan": usage.plan_code, "unlimited": usage.included_unlimited,
                                  "allowance": usage.remaining_minutes if usage.included_minutes else None,
                                  "package": packages if usage.packages else None}
    return cache[organization.pk]


@require_GET
@agent_required
def agenda(request):
    tenant, me = request.tenant, request.membership
    zone = ZoneInfo(tenant.time_zone)
    staff = list(Membership.objects.for_tenant(tenant).select_related("user").order_by("user__first_name", "id"))
    chosen = request.GET.get("agent", str(me.pk))
    agent = None if chosen == "all" else next((m for m in staff if str(m.pk) == chosen), me)
    today = timezone.localdate(timezone.now(), zone)
    monday = today - timedelta(days=today.weekday())
    begin = datetime.combine(monday, time(0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    sessions = selectors.agenda(tenant=tenant, agent=agent, begin=begin, end=end)
    cache: dict = {}
    month = today.replace(day=1)
    rows = [{"appointment": a, "left": _hours_left(tenant, a.organization, month, cache)} for a in sessions]
    days: dict = {}
    for row in rows:
        days.setdefault(timezone.localtime(row["appointment"].starts_at, zone).date(), []).append(row)
    feed_url = None
    if agent is not None and agent.pk == me.pk:
        schedule = services.schedule_for(tenant=tenant, membership=me)
        feed_url = request.build_absolute_uri(reverse("appointment_feed", args=[schedule.feed_token]))
    return render(request, "appointments/agent/agenda.html", {
        "today": today, "today_rows": days.get(today, []),
        "week": [(day, rows_) for day, rows_ in sorted(days.items()) if day != today],
        "staff": staff, "agent": agent, "chosen": chosen, "feed_url": feed_url, "monday": monday,
        "sunday": monday + timedelta(days=6), "callbacks": selectors.callbacks_waiting(tenant)[:5],
    })


@require_http_methods(["GET", "POST"])
@agent_required
def propose(request, pk: int):
    tenant = request.tenant
    ticket = ticket_selectors.ticket_for_agent(tenant=tenant, pk=pk)
    if ticket.organization_id is None:
        messages.error(request, _("Accept the ticket for an organization first."))
        return redirect("agent:ticket_detail", pk=ticket.pk)
    bookable = selectors.bookable_agents(tenant)
    agent_id = request.GET.get("agent") or request.POST.get("agent")
    agent = next((a for a in bookable if str(a.pk) == agent_id), None)
    context = picker(request, organization=ticket.organization, agents=[agent] if agent else None)
    form = SlotChoiceForm(request.POST or None, lengths=context["lengths"] or [0])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proposed = form_service(form, lambda: services.appointment_book(
            tenant=tenant, ticket=ticket, kind=data["kind"], starts_at=data["starts_at"], minutes=data["length"],
            actor=request.user, agent=agent, propose=True, note=data["note"]))
        if proposed is not None:
            messages.success(request, _("Proposal sent to the customer for acceptance."))
            return redirect("agent:ticket_detail", pk=ticket.pk)
    return render(request, "appointments/agent/propose.html", {
        **context, "ticket": ticket, "form": form, "bookable": bookable, "agent": agent},
        status=400 if request.method == "POST" else 200)


def _back(appointment: Appointment):
    return redirect(reverse("agent:ticket_detail", args=[appointment.ticket_id]) + "#sessions")


@require_POST
@agent_required
def session_log(request, pk: int):
    tenant = request.tenant
    appointment = selectors.appointment_for_agent(tenant=tenant, pk=pk)
    form = SessionLogForm(request.POST)
    if form.is_valid():
        done = form_service(form, lambda: services.appointment_log(
            tenant=tenant, appointment=appointment, agent=request.membership, minutes=form.cleaned_data["minutes"],
            note=form.cleaned_data["note"], actor=request.user))
        if done is not None:
            messages.success(request, _("Session logged: %(minutes)s min, billed %(billed)s min.") % {
                "minutes": done.time_entry.minutes, "billed": done.time_entry.billed_minutes})
            return _back(appointment)
    for error in form.non_field_errors() + [e for name, errs in form.errors.items() if name != "__all__" for e in errs]:
        messages.error(request, error)
    return _back(appointment)


@require_POST
@agent_required
def session_status(request, pk: int):
    tenant = request.tenant
    appointment = selectors.appointment_for_agent(tenant=tenant, pk=pk)
    action = request.POST.get("action")
    try:
        if action == "no_show":
            services.appointment_no_show(tenant=tenant, appointment=appointment, actor=request.user)
            messages.success(request, _("No-show recorded."))
        elif action == "cancel":
            services.appointment_cancel(tenant=tenant, appointment=appointment, actor=request.user, by_customer=False)
            messages.success(request, _("The session has been cancelled; the customer is told."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back(appointment)


@require_GET
@agent_required
def callbacks(request):
    return render(request, "appointments/agent/callbacks.html", {
        "callbacks": selectors.callbacks_waiting(request.tenant), "now": timezone.now()})


@require_POST
@agent_required
def callback_done(request, pk: int):
    tenant = request.tenant
    callback = Callback.objects.for_tenant(tenant).filter(pk=pk).first()
    if callback is None:
        raise Http404
    try:
        services.callback_done(tenant=tenant, callback=callback, agent=request.membership)
        messages.success(request, _("Marked as called back."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("agent:callbacks")


@require_POST
@agent_required
def callback_new(request, pk: int):
    tenant = request.tenant
    ticket = ticket_selectors.ticket_for_agent(tenant=tenant, pk=pk)
    form = CallbackForm(request.POST)
    if form.is_valid():
        created = form_service(form, lambda: services.callback_request(
            tenant=tenant, phone=form.cleaned_data["phone"], note=form.cleaned_data["note"], ticket=ticket,
            actor=request.user))
        if created is not None:
            messages.success(request, _("Added to the call-back list."))
            return redirect(reverse("agent:ticket_detail", args=[ticket.pk]) + "#sessions")
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(reverse("agent:ticket_detail", args=[ticket.pk]) + "#sessions")


@require_http_methods(["GET", "POST"])
@agent_required
def phone_call(request):
    tenant = request.tenant
    initial = {"started_at": timezone.localtime().replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")}
    form = PhoneCallForm(request.POST or None, initial=initial)
    caller = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = form_service(form, lambda: services.phone_call_log(
            tenant=tenant, agent=request.membership, phone=data["phone"], subject=data["subject"], body=data["body"],
            started_at=data["started_at"], minutes=data["minutes"], callback_wanted=data["callback_wanted"]))
        if ticket is not None:
            if ticket.status == Ticket.Status.TRIAGE:
                messages.warning(request, _("Unknown number: the ticket waits in triage for acceptance."))
            else:
                messages.success(request, _("Call logged as ticket %(ref)s.") % {"ref": ticket.reference})
            return redirect("agent:ticket_detail", pk=ticket.pk)
    phone = request.GET.get("phone", "").strip()
    if phone:
        try:
            caller = services.caller_identify(tenant=tenant, phone=phone)
        except ValidationError:
            caller = None
        form = PhoneCallForm(initial={**initial, "phone": phone})
    terms = (plan_in_force(tenant=tenant, organization=caller.organization, at=timezone.now()).terms
             if caller else None)
    return render(request, "appointments/agent/phone_call.html", {
        "form": form, "caller": caller, "looked_up": bool(phone), "terms": terms},
        status=400 if request.method == "POST" else 200)


@require_GET
def feed(request, token: str):
    """The agent's sessions for a calendar program; the secret in the URL is the credential."""
    schedule = selectors.schedule_by_token(token)
    if schedule is None:
        raise Http404
    since = timezone.now() - timedelta(days=30)
    body = ics.feed(selectors.agent_feed_appointments(schedule=schedule, since=since),
                    name=f"{schedule.tenant.name}: {schedule.membership.user.get_full_name()}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response

