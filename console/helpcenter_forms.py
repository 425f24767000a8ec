"""The form of the help center settings."""
from __future__ import annotations

from django import forms
from django.utils.text import capfirst

from helpcenter.models import HelpCenterSettings
from plans.models import Product

_field = HelpCenterSettings._meta.get_field


class HelpCenterSettingsForm(forms.Form):
    title = forms.CharField(label=capfirst(_field("title").verbose_name), max_length=200, required=False,
                            help_text=_field("title").help_text)
    intro = forms.CharField(label=capfirst(_field("intro").verbose_name), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}), help_text=_field("intro").help_text)
    forum_moderation = forms.ChoiceField(label=capfirst(_field("forum_moderation").verbose_name),
                                         choices=HelpCenterSettings.Moderation.choices, widget=forms.RadioSelect)
    forum_posting = forms.ChoiceField(label=capfirst(_field("forum_posting").verbose_name),
                                      choices=HelpCenterSettings.Posting.choices, widget=forms.RadioSelect)
    customer_only_manuals = forms.ModelMultipleChoiceField(
        label=capfirst(_field("customer_only_manuals").verbose_name), queryset=Product.objects.none(),
        required=False, widget=forms.CheckboxSelectMultiple, help_text=_field("customer_only_manuals").help_text)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer_only_manuals"].queryset = Product.objects.for_tenant(tenant).order_by("name")
