"""The plan terms editor's form: one typed field per term of ``PlanTerms``, grouped as the plan
tables of the catalogue are (price, included hours, service hours, targets, channels, rounding, rates).

The fields come from the model: a term added to ``PlanTerms`` later appears here without a change
(in the group its name suggests, or under "Other terms").
"""
from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from plans.models import Channel, PlanTerms, Product, WorkKind

# Not terms: identity and bookkeeping of a version.
NOT_TERMS = {"id", "tenant", "plan", "version", "effective_from", "created_at", "created_by", "change_note"}

GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("price", _("Price and contract"), (
        "billing_mode", "price_net", "currency", "minimum_term_months", "notice_days", "starts_next_month",
        "update_included", "update_fee_net")),
    ("hours", _("Included hours"), (
        "included_minutes", "included_unlimited", "included_kinds", "package_minutes", "package_validity_months")),
    ("service_hours", _("Service hours"), (
        "service_calendar", "days_off_support", "critical_calendar", "critical_on_days_off")),
    ("targets", _("Reaction and other targets"), (
        "reaction_minutes", "critical_reaction_minutes", "warning_percent", "queue_priority", "email_scope",
        "email_limit_minutes")),
    ("channels", _("Channels and services"), (
        "channels", "config_help_channels", "suggested_contact", "phone_support", "phone_consultations",
        "development", "priority_development", "carrier_contact", "account_manager", "manager_mobile", "products")),
    ("rounding", _("Rounding of billed time"), (
        "rounding_units", "rounding_default_unit", "rounding_minutes_added", "rounding_per_intervention")),
    ("rates", _("Rates"), ("hourly_rate_net", "after_hours_multiplier", "after_hours_rate_net")),
]
OTHER_GROUP = ("other", _("Other terms"))
# Where a term that no group names goes, by a word in its name (first match wins).
GROUP_BY_WORD = (("reaction", "targets"), ("resolution", "targets"), ("reply", "targets"), ("target", "targets"),
                 ("round", "rounding"), ("rate", "rates"), ("price", "price"), ("fee", "price"),
                 ("calendar", "service_hours"), ("channel", "channels"), ("minutes", "targets"))

LIST_CHOICES = {"included_kinds": WorkKind.choices, "channels": Channel.choices,
                "config_help_channels": Channel.choices}
ROUNDING_PREFIX = "rounding_unit__"


def term_fields() -> list[models.Field]:
    """The terms of a version, in the model's order."""
    return [f for f in PlanTerms._meta.concrete_fields if f.name not in NOT_TERMS]


def group_of(name: str) -> str:
    for key, _label, names in GROUPS:
        if name in names:
            return key
    for word, key in GROUP_BY_WORD:
        if word in name:
            return key
    return OTHER_GROUP[0]


@dataclass
class FieldGroup:
    key: str
    label: str
    fields: list


class PlanTermsEditForm(forms.ModelForm):
    """A new version of a plan's terms: every term, typed, plus the date it takes effect from."""

    class Meta:
        model = PlanTerms
        exclude = ("tenant", "plan", "version", "created_at", "created_by")  # noqa: DJ006

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["effective_from"].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["change_note"].required = False
        for name in ("service_calendar", "critical_calendar"):
            self.fields[name].queryset = self.fields[name].queryset.filter(tenant=tenant)
        for name, choices in LIST_CHOICES.items():
            self._multiple(name, choices)
        products = Product.objects.for_tenant(tenant).order_by("name")
        self._multiple("products", [(p.code, f"{p.name} ({p.code})") for p in products])
        del self.fields["rounding_units"]
        units = self.initial.get("rounding_units") or {}
        for kind, label in WorkKind.choices:
            self.fields[ROUNDING_PREFIX + kind] = forms.IntegerField(
                label=_("Billing unit, minutes: %(kind)s") % {"kind": label}, required=False,
                min_value=1, max_value=1440, initial=units.get(kind),
                help_text=_("Empty: the unit for other work applies."))
        for field in self.fields.values():
            if isinstance(field, forms.DecimalField):
                field.widget.attrs.setdefault("inputmode", "decimal")

    def _multiple(self, name: str, choices) -> None:
        model_field = PlanTerms._meta.get_field(name)
        self.fields[name] = forms.MultipleChoiceField(
            label=capfirst(model_field.verbose_name), choices=choices, required=False,
            widget=forms.CheckboxSelectMultiple, help_text=model_field.help_text, initial=self.initial.get(name))

    def clean(self):
        data = super().clean()
        units = {}
        for kind in WorkKind.values:
            value = data.pop(ROUNDING_PREFIX + kind, None)
            if value is not None:
                units[kind] = value
        data["rounding_units"] = units
        return data

    def _post_clean(self):
        # The service validates the whole version (PlanTerms.clean and the plan's rules); the form
        # only types the values, so the instance is not built or checked here.
        pass

    def terms(self) -> dict:
        """The cleaned terms by field name (no effective date, no note)."""
        return {f.name: self.cleaned_data[f.name] for f in term_fields() if f.name in self.cleaned_data}

    def groups(self) -> list[FieldGroup]:
        by_key = {key: FieldGroup(key, label, []) for key, label, _names in GROUPS}
        by_key[OTHER_GROUP[0]] = FieldGroup(OTHER_GROUP[0], OTHER_GROUP[1], [])
        order = {name: i for i, name in enumerate(n for _k, _l, names in GROUPS for n in names)}
        names = [f.name for f in term_fields()]
        names.sort(key=lambda n: order.get(n, len(order)))
        for name in names:
            if name == "rounding_units":
                for kind in WorkKind.values:
                    by_key["rounding"].fields.append(self[ROUNDING_PREFIX + kind])
                continue
            if name in self.fields:
                by_key[group_of(name)].fields.append(self[name])
        return [g for g in by_key.values() if g.fields]


def initial_from(version: PlanTerms | None) -> dict:
    """Initial values of the editor: the latest version's terms, in force from today."""
    initial: dict = {"effective_from": timezone.localdate()}
    if version is None:
        return initial
    for field in term_fields():
        initial[field.name] = getattr(version, field.attname)
    initial["effective_from"] = max(timezone.localdate(), version.effective_from)
    return initial
