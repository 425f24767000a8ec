"""Forms of the mailboxes page: an IMAP mailbox (password write-only) and the sender of outgoing mail."""
from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tickets.models import Mailbox


class MailboxForm(forms.Form):
    name = forms.CharField(label=capfirst(_("name")), max_length=100)
    username = forms.CharField(label=_("Address (IMAP login)"), max_length=200,
                               help_text=_("Usually the mailbox's e-mail address, e.g. pomoc@example.com."))
    password = forms.CharField(label=capfirst(_("password")), required=False, strip=False, max_length=500,
                               widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    host = forms.CharField(label=capfirst(_("IMAP server")), max_length=200)
    port = forms.IntegerField(label=capfirst(_("port")), min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(label=capfirst(_("connection security")), choices=Mailbox.Security.choices,
                                 initial=Mailbox.Security.TLS)
    folder = forms.CharField(label=capfirst(_("folder")), max_length=200, initial="INBOX")
    processed_folder = forms.CharField(label=capfirst(_("folder for processed mail")), max_length=200, required=False,
                                       help_text=Mailbox._meta.get_field("processed_folder").help_text)
    robot_addresses = forms.CharField(label=capfirst(_("form and robot addresses")), required=False,
                                      max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                                      help_text=Mailbox._meta.get_field("robot_addresses").help_text)
    active = forms.BooleanField(label=_("Poll this mailbox"), required=False, initial=True)

    def __init__(self, *args, has_password: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = (_("A password is stored; leave empty to keep it.") if has_password
                                             else _("Needed to log in to the mailbox."))


class SenderForm(forms.Form):
    support_email = forms.EmailField(
        label=_("Address of outgoing mail"), required=False, max_length=254,
        help_text=_("Notifications to customers come from this address and replies go to it. "
                    "Empty: the installation's address."))
