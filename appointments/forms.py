"""Forms of the booking pages, the session log, the phone call log and the availability pages."""
from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from appointments.models import Kind


class SlotChoiceForm(forms.Form):
    """A slot offered on the page: its start as ISO 8601 (checked again by the service)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    length = forms.TypedChoiceField(label=_("Length"), coerce=int, choices=[])
    starts_at = forms.DateTimeField(label=_("Time"), input_formats=["%Y-%m-%dT%H:%M:%S%z"],
                                    error_messages={"required": _("Choose a time.")})
    agent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note for the consultant"), max_length=300, required=False,
                           widget=forms.TextInput)

    def __init__(self, *args, lengths: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["length"].choices = [(n, n) for n in lengths]


class SessionLogForm(forms.Form):
    minutes = forms.IntegerField(label=_("Actual minutes"), min_value=1, max_value=24 * 60)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PhoneCallForm(forms.Form):
    phone = forms.CharField(label=_("Caller's number"), max_length=40)
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("What the caller needs"), widget=forms.Textarea(attrs={"rows": 5}))
    started_at = forms.DateTimeField(label=_("Call started"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), input_formats=["%Y-%m-%dT%H:%M"])
    minutes = forms.IntegerField(label=_("Call length, minutes"), min_value=1, max_value=24 * 60, required=False,
                                 help_text=_("Logged as time on the ticket when the caller is known."))
    callback_wanted = forms.BooleanField(label=_("Call back later"), required=False)


class CallbackForm(forms.Form):
    phone = forms.CharField(label=_("Phone number"), max_length=40)
    note = forms.CharField(label=_("What it is about"), max_length=300, required=False)


DAY_LABELS = (("mon", _("Monday")), ("tue", _("Tuesday")), ("wed", _("Wednesday")), ("thu", _("Thursday")),
              ("fri", _("Friday")), ("sat", _("Saturday")), ("sun", _("Sunday")))
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


def _windows_text(windows: list) -> str:
    return ", ".join(f"{a}–{b}" for a, b in windows)


class WorkingHoursForm(forms.Form):
    """An agent's week as text per day ("08:00–12:00, 12:30–16:00"); all empty: the plan's hours."""

    bookable = forms.BooleanField(label=_("Takes bookings"), required=False)

    def __init__(self, *args, schedule=None, **kwargs):
        super().__init__(*args, **kwargs)
        windows = (schedule.windows if schedule is not None else {}) or {}
        if schedule is not None and not self.is_bound:
            self.initial["bookable"] = schedule.bookable
        for day, label in DAY_LABELS:
            self.fields[day] = forms.CharField(
                label=label, required=False, max_length=100, initial=_windows_text(windows.get(day, [])),
                widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean(self):
        data = super().clean()
        windows = {}
        for day, _label in DAY_LABELS:
            pairs = []
            for part in filter(None, (p.strip() for p in (data.get(day) or "").split(","))):
                match = _TIME.match(part)
                if not match:
                    self.add_error(day, _("Write the hours as 08:00–16:00, several separated by commas."))
                    break
                h1, m1, h2, m2 = (int(g) for g in match.groups())
                pairs.append([f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"])
            if pairs:
                windows[day] = pairs
        data["windows"] = windows
        return data


class AbsenceForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), input_formats=["%Y-%m-%dT%H:%M"])
    ends_at = forms.DateTimeField(label=_("Until"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), input_formats=["%Y-%m-%dT%H:%M"])
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False,
                             help_text=_("Seen by your colleagues, not by customers."))


def _minutes_list(value: str) -> list[int]:
    try:
        return sorted({int(v) for v in value.replace(" ", "").split(",") if v})
    except ValueError:
        raise forms.ValidationError(_("Whole minutes separated by commas, e.g. 30, 60, 90.")) from None


class BookingRulesForm(forms.Form):
    min_notice_minutes = forms.IntegerField(label=_("Minimum notice, minutes"), min_value=0, max_value=60 * 24 * 14)
    horizon_days = forms.IntegerField(label=_("Book up to, days ahead"), min_value=1, max_value=365)
    buffer_minutes = forms.IntegerField(label=_("Buffer between sessions, minutes"), min_value=0, max_value=120)
    step_minutes = forms.TypedChoiceField(label=_("Slots start every, minutes"), coerce=int,
                                          choices=[(n, n) for n in (5, 10, 15, 20, 30, 60)])
    phone_lengths = forms.CharField(label=_("Phone consultation lengths, minutes"), max_length=60)
    remote_lengths = forms.CharField(label=_("Remote session lengths, minutes"), max_length=60)
    late_cancel_hours = forms.IntegerField(label=_("Late cancellation, hours before"), min_value=0, max_value=24 * 14)
    late_cancel_counts = forms.BooleanField(label=_("Late cancellations are counted"), required=False,
                                            help_text=_("A late cancellation by the customer is logged as time, "
                                                        "like a session held."))

    FOLLOW = "terms"
    PLAN_CHOICES = (("terms", _("as the plan's terms say")), ("none", _("nothing")),
                    ("phone", _("phone consultations")), ("remote", _("remote sessions")),
                    ("phone,remote", _("both")))

    def __init__(self, *args, plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.plans = list(plans)
        for plan in self.plans:
            self.fields[f"plan_{plan.code}"] = forms.ChoiceField(label=plan.name, choices=self.PLAN_CHOICES,
                                                                 initial=self.FOLLOW)

    @classmethod
    def initial_for(cls, rules) -> dict:
        initial = {f: getattr(rules, f) for f in ("min_notice_minutes", "horizon_days", "buffer_minutes",
                                                  "step_minutes", "late_cancel_hours", "late_cancel_counts")}
        initial["phone_lengths"] = ", ".join(str(n) for n in rules.lengths(Kind.PHONE))
        initial["remote_lengths"] = ", ".join(str(n) for n in rules.lengths(Kind.REMOTE))
        for code, kinds in (rules.kinds_by_plan or {}).items():
            initial[f"plan_{code}"] = ",".join(k for k in Kind.values if k in kinds) or "none"
        return initial

    def clean_phone_lengths(self):
        return _minutes_list(self.cleaned_data["phone_lengths"])

    def clean_remote_lengths(self):
        return _minutes_list(self.cleaned_data["remote_lengths"])

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        by_plan = {}
        for plan in self.plans:
            chosen = data.pop(f"plan_{plan.code}")
            if chosen != self.FOLLOW:
                by_plan[plan.code] = [] if chosen == "none" else chosen.split(",")
        data["kinds_by_plan"] = by_plan
        return data
