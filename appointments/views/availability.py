"""Staff pages for availability: working hours and absences (an agent their own, a tenant admin
anyone's) and the tenant's booking rules (tenant admins)."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appointments import availability, selectors, services
from appointments.forms import DAY_LABELS, AbsenceForm, BookingRulesForm, WorkingHoursForm
from appointments.models import Absence
from core.models import Membership, Role
from plans.models import Plan
from tickets.views.common import agent_required, form_service


def _member(request) -> Membership:
    """Whose availability: one's own; a tenant admin may pick any agent or admin of the tenant."""
    me = request.membership
    wanted = request.GET.get("member") or request.POST.get("member")
    if not wanted or wanted == str(me.pk):
        return me
    if not me.is_admin:
        raise Http404
    try:
        return Membership.objects.for_tenant(request.tenant).select_related("user").get(pk=int(wanted))
    except (ValueError, Membership.DoesNotExist):
        raise Http404 from None


def _url(member: Membership, me: Membership) -> str:
    url = reverse("agent:availability")
    return url if member.pk == me.pk else f"{url}?member={member.pk}"


@require_http_methods(["GET", "POST"])
@agent_required
def working_hours(request):
    tenant, me = request.tenant, request.membership
    member = _member(request)
    schedule = services.schedule_for(tenant=tenant, membership=member)
    form = WorkingHoursForm(request.POST or None, schedule=schedule)
    if request.method == "POST" and form.is_valid():
        saved = form_service(form, lambda: availability.schedule_update(
            tenant=tenant, membership=member, windows=form.cleaned_data["windows"],
            bookable=form.cleaned_data["bookable"]))
        if saved is not None:
            messages.success(request, _("Working hours saved."))
            return redirect(_url(member, me))
    now = timezone.now()
    tomorrow = timezone.localtime(now).replace(second=0, microsecond=0) + timedelta(days=1)
    absences = list(Absence.objects.for_tenant(tenant).filter(membership=member, ends_at__gt=now)
                    .order_by("starts_at")[:50])
    staff = (list(Membership.objects.for_tenant(tenant).select_related("user").order_by("user__first_name", "id"))
             if me.is_admin else [])
    return render(request, "appointments/agent/availability.html", {
        "member": member, "me": me, "staff": staff, "form": form, "days": [d for d, _label in DAY_LABELS],
        "absences": absences, "absence_form": AbsenceForm(initial={
            "starts_at": tomorrow.replace(hour=8, minute=0), "ends_at": tomorrow.replace(hour=16, minute=0)}),
    }, status=400 if request.method == "POST" else 200)


@require_POST
@agent_required
def absences(request):
    tenant, me = request.tenant, request.membership
    member = _member(request)
    if request.POST.get("action") == "delete":
        try:
            pk = int(request.POST.get("absence", ""))
        except ValueError:
            raise Http404 from None
        try:
            availability.absence_remove(tenant=tenant, membership=member, pk=pk)
        except ValidationError:  # already gone
            raise Http404 from None
        messages.success(request, _("Absence removed."))
        return redirect(_url(member, me))
    form = AbsenceForm(request.POST)
    if form.is_valid():
        added = form_service(form, lambda: availability.absence_add(
            tenant=tenant, membership=member, starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"], reason=form.cleaned_data["reason"]))
        if added is not None:
            messages.success(request, _("Absence added: no sessions can be booked with you then."))
            return redirect(_url(member, me))
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(_url(member, me))


@require_http_methods(["GET", "POST"])
@agent_required
def booking_rules(request):
    tenant, me = request.tenant, request.membership
    if me.role != Role.ADMIN:
        raise Http404
    rules = selectors.booking_rules(tenant)
    plans = list(Plan.objects.for_tenant(tenant).order_by("position", "name"))
    form = BookingRulesForm(request.POST or None, plans=plans, initial=BookingRulesForm.initial_for(rules))
    if request.method == "POST" and form.is_valid():
        saved = form_service(form, lambda: availability.rules_update(tenant=tenant, values=form.values()))
        if saved is not None:
            messages.success(request, _("Booking rules saved."))
            return redirect("agent:booking_rules")
    return render(request, "appointments/agent/booking_rules.html", {
        "form": form, "plans": plans, "plan_fields": [form[f"plan_{p.code}"] for p in plans]},
        status=400 if request.method == "POST" else 200)
