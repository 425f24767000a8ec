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
    quote = forms.TypedChoiceField(label=_("Billed by the quote"), required=False, coerce=int, empty_value=None,
                                   help_text=_("Work under an accepted quote is priced by it."))

    def __init__(self, *args, quotes=(), **kwargs):
        """``quotes``: the ticket's accepted quotes, the ones an entry may be billed by."""
        super().__init__(*args, **kwargs)
        self.quotes = {quote.pk: quote for quote in quotes}
        self.fields["quote"].choices = [("", _("no quote (the plan's terms)"))] + [
            (quote.pk, _quote_label(quote)) for quote in self.quotes.values()]

    def clean_quote(self):
        """The chosen quote itself (the choices are only the ticket's accepted quotes)."""
        pk = self.cleaned_data.get("quote")
        return self.quotes.get(pk) if pk is not None else None


def _quote_label(quote) -> str:
    from django.utils.formats import number_format

    if quote.fixed_price_net is not None:
        price = _("fixed price %(amount)s net") % {"amount": number_format(quote.fixed_price_net, 2)}
    else:
        price = _("%(rate)s/h net") % {"rate": number_format(quote.rate_net, 2)}
    return _("No. %(number)s: %(description)s (%(price)s)") % {
        "number": quote.pk, "description": quote.description[:80], "price": price}


class QuoteForm(forms.Form):
    """An agent's quote for out-of-scope work: a fixed price, or estimated hours at a rate."""

    description = forms.CharField(label=_("Work quoted"), max_length=500)
    hours = forms.DecimalField(label=_("Estimated hours"), required=False, min_value=Decimal("0.01"), max_digits=6,
                               decimal_places=2)
    rate_net = forms.DecimalField(label=_("Hourly rate, net"), required=False, min_value=Decimal("0.01"),
                                  max_digits=10, decimal_places=2)
    fixed_price_net = forms.DecimalField(label=_("Fixed price, net"), required=False, min_value=Decimal("0.01"),
                                         max_digits=10, decimal_places=2)
