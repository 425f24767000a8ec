"""Typed forms of the subscription and hour-package settings: no JSON typed by hand."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.models import Organization
from plans.models import AddonKind, Calendar, Plan, WorkKind

MONTH_INPUT = forms.DateInput(attrs={"type": "month", "placeholder": "RRRR-MM"}, format="%Y-%m")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0"), "max_value": Decimal("9999999.99")}


class SubscriptionNewForm(forms.Form):
    organization = forms.ModelChoiceField(label=capfirst(_("organization")), queryset=Organization.objects.none())
    plan = forms.ModelChoiceField(label=capfirst(_("plan")), queryset=Plan.objects.none())
    accepted_on = forms.DateField(label=_("Order accepted on"), widget=DATE_INPUT)
    starts_on = forms.DateField(
        label=_("Starts on"), required=False, widget=DATE_INPUT, help_text=_("Empty: the earliest day the rules allow.")
    )
    price_net = forms.DecimalField(
        label=_("Monthly price for this customer, net"),
        required=False,
        **MONEY,
        help_text=_("Empty: the plan's price."),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.for_tenant(tenant).order_by("name")
        self.fields["plan"].queryset = Plan.objects.for_tenant(tenant).filter(active=True).order_by("position", "name")


class SubscriptionChangeForm(forms.Form):
    """A dated change: the price, the rounding per kind of work, the seats and a note."""

    effective_from = forms.DateField(
        label=_("Applies from the month"),
        widget=MONTH_INPUT,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=_("Months before it keep their terms; a billed month cannot change."),
    )
    price_net = forms.DecimalField(
        label=_("Monthly price for this customer, net"),
        required=False,
        **MONEY,
        help_text=_("Empty: the plan's price."),
    )
    seats = forms.IntegerField(
        label=_("Seats"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("How many workstations the price was agreed for."),
    )
    note = forms.CharField(label=_("Why it changes"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in WorkKind.choices:
            self.fields[f"rounding_{kind}"] = forms.IntegerField(
                label=_("Billing unit: %(kind)s, minutes") % {"kind": label},
                required=False,
                min_value=1,
                max_value=24 * 60,
                help_text=_("Empty: the plan's unit."),
            )

    def rounding_fields(self):
        return [self[f"rounding_{kind}"] for kind in WorkKind.values]

    def rounding_units(self) -> dict[str, int]:
        return {
            kind: self.cleaned_data[f"rounding_{kind}"]
            for kind in WorkKind.values
            if self.cleaned_data.get(f"rounding_{kind}") is not None
        }


class AddonRowForm(forms.Form):
    kind = forms.ChoiceField(label=_("Add-on"), required=False, choices=[("", _("— none —"))] + list(AddonKind.choices))
    calendar = forms.ModelChoiceField(
        label=_("Hours"), required=False, queryset=Calendar.objects.none(), empty_label=_("— none —")
    )
    product = forms.CharField(label=_("Product code"), required=False, max_length=40)
    price_net = forms.DecimalField(label=_("Monthly price, net"), required=False, **MONEY)

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = Calendar.objects.for_tenant(tenant).order_by("name")

    def item(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        return {
            "kind": data["kind"],
            "calendar": data.get("calendar"),
            "product": data.get("product") or "",
            "price_net": data.get("price_net"),
        }


AddonFormSet = forms.formset_factory(AddonRowForm, extra=2, max_num=10, absolute_max=10)


class PackageSellForm(forms.Form):
    organization = forms.ModelChoiceField(label=capfirst(_("organization")), queryset=Organization.objects.none())
    purchased_on = forms.DateField(label=_("Bought on"), widget=DATE_INPUT)
    hours = forms.DecimalField(
        label=_("Hours"),
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.25"),
        max_value=Decimal("10000"),
        help_text=_("Empty: the plan's package size."),
    )
    price_net = forms.DecimalField(
        label=_("Price, net"), required=False, **MONEY, help_text=_("Empty: the plan's price.")
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.for_tenant(tenant).order_by("name")

    def minutes(self) -> int | None:
        hours = self.cleaned_data.get("hours")
        return int(hours * 60) if hours is not None else None
