"""Forms of the billing pages."""
from __future__ import annotations

from decimal import Decimal

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
    after_hours_override = forms.TypedChoiceField(
        label=_("After hours"), required=False, empty_value=None,
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        choices=[("", _("from the service calendar")), ("yes", _("yes (override)")), ("no", _("no (override)"))])
    after_hours_reason = forms.CharField(label=_("Reason for the override"), required=False, max_length=300)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class QuoteForm(forms.Form):
    """An agent's quote for out-of-scope work: a fixed price, or estimated hours at a rate."""

    description = forms.CharField(label=_("Work quoted"), max_length=500)
    hours = forms.DecimalField(label=_("Estimated hours"), required=False, min_value=Decimal("0.01"), max_digits=6,
                               decimal_places=2)
    rate_net = forms.DecimalField(label=_("Hourly rate, net"), required=False, min_value=Decimal("0.01"),
                                  max_digits=10, decimal_places=2)
    fixed_price_net = forms.DecimalField(label=_("Fixed price, net"), required=False, min_value=Decimal("0.01"),
                                         max_digits=10, decimal_places=2)
