"""The form of a customer notification's wording: subject and text with ``{{ placeholders }}``."""
from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tickets.email import wording


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(label=capfirst(_("subject")), max_length=wording.MAX_SUBJECT)
    body = forms.CharField(label=capfirst(_("text")), max_length=wording.MAX_BODY, strip=False,
                           widget=forms.Textarea(attrs={"rows": 16}))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean(self):
        from django.core.exceptions import ValidationError

        data = super().clean()
        if "subject" in data and "body" in data:
            try:
                wording.check(self.kind, data["subject"], data["body"].replace("\r\n", "\n"))
            except ValidationError as error:
                for field, errors in error.error_dict.items():
                    self.add_error(field, errors)
        return data
