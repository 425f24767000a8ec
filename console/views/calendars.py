"""Calendars: weekly windows, holidays and extra dates, a month view and the deadline preview."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from console.access import tenant_admin_required
from console.calendar_forms import (
    CalendarForm,
    DateFormSet,
    PreviewForm,
    WindowFormSet,
    deadline_preview,
    initial_of,
    month_view,
    spec_of,
)
from console.views.common import add_service_errors
from plans.selectors import calendars_for_tenant
from plans.services import calendar_update
from sla.calendar import BusinessCalendar, InvalidCalendarSpec


@tenant_admin_required
def calendar_list(request):
    return render(request, "console/calendar_list.html", {
        "calendars": calendars_for_tenant(request.tenant).order_by("name"), "section": "calendars"})


def _month(value: str | None) -> date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1) if 1900 <= year <= 2199 else _this_month()
    except ValueError:
        return _this_month()


def _this_month() -> date:
    return timezone.localdate().replace(day=1)


def _sample_received() -> datetime:
    """Friday of this week at 15:00: the weekend shows what the calendar does."""
    today = timezone.localdate()
    return datetime.combine(today + timedelta(days=(4 - today.weekday()) % 7), time(15, 0))


@tenant_admin_required
def calendar_edit(request, pk):
    calendar = get_object_or_404(calendars_for_tenant(request.tenant), pk=pk)
    saved_spec = calendar.to_spec()
    initial, window_rows, date_rows = initial_of(calendar)
    post = request.POST if request.method == "POST" else None
    form = CalendarForm(post, initial=initial)
    # Bound formsets take no initial rows: every submitted row is what the calendar will have (a row
    # equal to a saved one must not count as "unchanged" and be dropped).
    windows = WindowFormSet(post, initial=None if post is not None else window_rows, prefix="windows")
    dates = DateFormSet(post, initial=None if post is not None else date_rows, prefix="dates")
    preview_form = PreviewForm(post or request.GET or None, prefix="preview",
                               initial={"received": _sample_received(), "hours": 4})
    month = _month((post or request.GET).get("month"))
    edited_spec = None
    if post is not None and form.is_valid() and windows.is_valid() and dates.is_valid():
        spec, notes = spec_of(form, windows, dates)
        try:
            if post.get("action") == "save":
                calendar_update(tenant=request.tenant, calendar=calendar, name=form.cleaned_data["name"],
                                spec=spec, date_notes=notes, actor=request.user)
                messages.success(request, _("The calendar %(name)s is saved.") % {"name": form.cleaned_data["name"]})
                return redirect(f"{request.path}?month={month:%Y-%m}")
            edited_spec = BusinessCalendar.from_spec(spec).to_spec()
            # Shown again unbound, with blank rows to add more windows or dates to the preview.
            windows = WindowFormSet(initial=windows.rows(), prefix="windows")
            dates = DateFormSet(initial=dates.rows(), prefix="dates")
        except InvalidCalendarSpec as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_service_errors(form, error)
    shown_spec = edited_spec or saved_spec
    deadlines = None
    if preview_form.is_bound and preview_form.is_valid() or not preview_form.is_bound:
        received = (preview_form.cleaned_data["received"] if preview_form.is_bound else _sample_received())
        hours = preview_form.cleaned_data["hours"] if preview_form.is_bound else 4
        deadlines = {"saved": deadline_preview(saved_spec, received, hours),
                     "edited": deadline_preview(edited_spec, received, hours) if edited_spec else None,
                     "hours": hours}
    previous_month = (month - timedelta(days=1)).replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    return render(request, "console/calendar_edit.html", {
        "calendar": calendar, "form": form, "windows": windows, "dates": dates, "preview_form": preview_form,
        "deadlines": deadlines, "weeks": month_view(shown_spec, month), "month": month,
        "previous_month": previous_month, "next_month": next_month, "edited": edited_spec is not None,
        "section": "calendars"})

