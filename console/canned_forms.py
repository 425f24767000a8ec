"""The form of a canned reply: title, Markdown text, who sees it, the category it suits."""
from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tickets.models import CannedReply, Category


class CannedReplyForm(forms.Form):
    title = forms.CharField(label=capfirst(_("title")), max_length=200)
    body = forms.CharField(label=capfirst(_("text")), max_length=20000, strip=False,
                           widget=forms.Textarea(attrs={"rows": 10}),
                           help_text=_("Markdown: **bold**, *italics*, lists, links. "
                                       "Agents can edit it before sending."))
    visibility = forms.ChoiceField(label=capfirst(_("visible to")), choices=CannedReply.Visibility.choices,
                                   initial=CannedReply.Visibility.TEAM, widget=forms.RadioSelect)
    category = forms.ModelChoiceField(label=capfirst(_("category")), queryset=Category.objects.none(), required=False,
                                      empty_label=_("— any category —"))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.for_tenant(tenant).order_by("position", "name")
