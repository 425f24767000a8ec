"""Forms of the booking pages, the session log and the phone call log."""
from __future__ import annotations

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
