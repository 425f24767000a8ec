"""Forms of the billing pages."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from plans.models import WorkKind


class TimeEntryForm(forms.Form):
    """Work logged on a ticket; the rounding, the pool and the amount come from the plan's terms."""

    kind = forms.ChoiceField(label=_("Kind of work"), choices=WorkKind.choices, initial=WorkKind.PHONE)
    started_at = forms.DateTimeField(label=_("Started"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    emergency = forms.BooleanField(label=_("Emergency outside working hours"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
