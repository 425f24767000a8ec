"""The calendar editor's forms, the spec they make, its month view and the deadline preview."""
from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from plans.models import WEEKDAY_KEYS, Calendar, CalendarDate, Weekday, hhmm_validator
from sla.calendar import BusinessCalendar

HOLIDAY_COUNTRIES = [("", _("none")), ("PL", _("Poland")), ("CZ", _("Czechia")), ("DE", _("Germany")),
                     ("GB", _("United Kingdom")), ("LT", _("Lithuania")), ("SK", _("Slovakia")),
                     ("UA", _("Ukraine")), ("US", _("United States"))]


class CalendarForm(forms.Form):
    name = forms.CharField(label=capfirst(_("name")), max_length=200)
    timezone = forms.ChoiceField(label=capfirst(_("time zone")), choices=[])
    holidays_country = forms.ChoiceField(label=capfirst(_("public holidays of")), choices=HOLIDAY_COUNTRIES,
                                         required=False, help_text=_("The public holidays that close this calendar."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(z, z) for z in sorted(available_timezones())]
        current = self.initial.get("holidays_country")
        if current and current not in dict(HOLIDAY_COUNTRIES):
            self.fields["holidays_country"].choices = [*HOLIDAY_COUNTRIES, (current, current)]


class WindowForm(forms.Form):
    # The blank choice lets an unused extra row stay empty (unchanged), so it is not validated.
    weekday = forms.TypedChoiceField(label=capfirst(_("day")), choices=[("", "—"), *Weekday.choices], coerce=int)
    start = forms.CharField(label=capfirst(_("from")), max_length=5, validators=[hhmm_validator],
                            widget=forms.TextInput(attrs={"placeholder": "08:00", "inputmode": "numeric",
                                                          "size": 5}))
    end = forms.CharField(label=capfirst(_("to")), max_length=5, validators=[hhmm_validator],
                          widget=forms.TextInput(attrs={"placeholder": "16:00", "inputmode": "numeric", "size": 5}),
                          help_text=_("24:00 is midnight; an end before the start runs overnight."))


class DateForm(forms.Form):
    date = forms.DateField(label=capfirst(_("date")), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=capfirst(_("kind")), choices=[("", "—"), *CalendarDate.Kind.choices])
    note = forms.CharField(label=capfirst(_("note")), max_length=200, required=False)


class _BaseFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")]


class _DateFormSet(_BaseFormSet):
    def clean(self):
        seen = set()
        for form in self.forms:
            day = form.cleaned_data.get("date") if form.cleaned_data else None
            if day and not form.cleaned_data.get("DELETE"):
                if day in seen:
                    form.add_error("date", _("This date is already on the list."))
                seen.add(day)


WindowFormSet = forms.formset_factory(WindowForm, formset=_BaseFormSet, extra=2, can_delete=True, max_num=100)
DateFormSet = forms.formset_factory(DateForm, formset=_DateFormSet, extra=2, can_delete=True, max_num=400)


def initial_of(calendar: Calendar) -> tuple[dict, list[dict], list[dict]]:
    return ({"name": calendar.name, "timezone": calendar.timezone, "holidays_country": calendar.holidays_country},
            [{"weekday": w.weekday, "start": w.start, "end": w.end} for w in calendar.windows.all()],
            [{"date": d.date, "kind": d.kind, "note": d.note} for d in calendar.dates.all()])


def spec_of(form: CalendarForm, windows: WindowFormSet, dates: DateFormSet) -> tuple[dict, dict[str, str]]:
    """The JSON spec ``sla.calendar`` reads, and the notes of the extra dates by ISO date."""
    by_day: dict[str, list[list[str]]] = {key: [] for key in WEEKDAY_KEYS}
    for row in sorted(windows.rows(), key=lambda r: (r["weekday"], r["start"])):
        by_day[WEEKDAY_KEYS[row["weekday"]]].append([row["start"], row["end"]])
    rows = dates.rows()
    spec = {"timezone": form.cleaned_data["timezone"], "windows": by_day,
            "holidays": form.cleaned_data["holidays_country"] or None,
            "closed_dates": sorted(r["date"].isoformat() for r in rows if r["kind"] == CalendarDate.Kind.CLOSED),
            "open_dates": sorted(r["date"].isoformat() for r in rows if r["kind"] == CalendarDate.Kind.OPEN)}
    return spec, {r["date"].isoformat(): r["note"] for r in rows if r.get("note")}


@dataclass(frozen=True)
class Day:
    day: date
    stretches: tuple[tuple[datetime, datetime], ...]
    in_month: bool
    extra: str  # "closed", "open" or ""
    holiday: bool

    @property
    def hours(self) -> float:
        return round(sum((e - s).total_seconds() for s, e in self.stretches) / 3600, 2)


def month_view(spec: dict, month: date) -> list[list[Day]]:
    """Weeks (Monday first) of ``month`` with each day's open stretches in the calendar's wall time."""
    business = BusinessCalendar.from_spec(spec)
    zone = ZoneInfo(spec["timezone"])
    closed, opened = set(spec.get("closed_dates") or ()), set(spec.get("open_dates") or ())
    holidays = set()
    if spec.get("holidays"):
        import holidays as holidays_lib

        holidays = set(holidays_lib.country_holidays(spec["holidays"], years=month.year))
    weeks = []
    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            start = datetime.combine(day, time(0), zone)
            end = datetime.combine(day + timedelta(days=1), time(0), zone)
            stretches = tuple((s.astimezone(zone), e.astimezone(zone)) for s, e in business.open_intervals(start, end))
            iso = day.isoformat()
            row.append(Day(day, stretches, day.month == month.month,
                           "closed" if iso in closed else "open" if iso in opened else "", day in holidays))
        weeks.append(row)
    return weeks


class PreviewForm(forms.Form):
    received = forms.DateTimeField(label=capfirst(_("ticket received at")),
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                              format="%Y-%m-%dT%H:%M"))
    hours = forms.DecimalField(label=capfirst(_("reaction time, business hours")), min_value=0, max_value=2000,
                               decimal_places=2, initial=4)

    def clean_received(self):
        received = self.cleaned_data["received"]
        if not 1900 <= received.year <= 2199:
            raise forms.ValidationError(_("Use a date in the years %(min)s–%(max)s.") % {"min": 1900, "max": 2199})
        return received


@dataclass(frozen=True)
class DeadlinePreview:
    received: datetime
    starts: datetime
    due: datetime


def deadline_preview(spec: dict, received_wall: datetime, hours) -> DeadlinePreview:
    business = BusinessCalendar.from_spec(spec)
    zone = ZoneInfo(spec["timezone"])
    received = received_wall.replace(tzinfo=None).replace(tzinfo=zone)
    due = business.add(received, timedelta(hours=float(hours)))
    return DeadlinePreview(received, business.next_open(received).astimezone(zone), due.astimezone(zone))
