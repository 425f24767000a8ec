"""Mailboxes: the IMAP boxes polled for tickets, a connection test, and the sender of outgoing mail."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.access import tenant_admin_required
from console.mailbox_forms import MailboxForm, SenderForm
from console.views.common import add_service_errors
from core.services import tenant_set_support_email
from tickets.models import Mailbox
from tickets.settings_services import MAILBOX_FIELDS, mailbox_save, mailbox_set_active, mailbox_test_connection


def _mailboxes(tenant):
    return Mailbox.objects.for_tenant(tenant).order_by("name")


@tenant_admin_required
def mailbox_list(request):
    sender = SenderForm(request.POST or None, initial={"support_email": request.tenant.support_email})
    if request.method == "POST" and sender.is_valid():
        try:
            tenant_set_support_email(tenant=request.tenant, email=sender.cleaned_data["support_email"],
                                     actor=request.user)
        except ValidationError as error:
            add_service_errors(sender, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:mailbox_list")
    return render(request, "console/mailbox_list.html", {
        "mailboxes": _mailboxes(request.tenant), "sender": sender, "section": "mailboxes"})


def _edit(request, mailbox: Mailbox | None):
    initial = {name: getattr(mailbox, name) for name in MAILBOX_FIELDS} if mailbox is not None else None
    form = MailboxForm(request.POST or None, initial=initial,
                       has_password=bool(mailbox is not None and mailbox.password_encrypted))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password")
        try:
            saved = mailbox_save(tenant=request.tenant, mailbox=mailbox, actor=request.user, password=password, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved: %(name)s.") % {"name": saved.name})
            return redirect("console:mailbox_edit", pk=saved.pk)
    return render(request, "console/mailbox_edit.html", {"form": form, "mailbox": mailbox, "section": "mailboxes"})


@tenant_admin_required
def mailbox_new(request):
    return _edit(request, None)


@tenant_admin_required
def mailbox_edit(request, pk):
    return _edit(request, get_object_or_404(_mailboxes(request.tenant), pk=pk))


@tenant_admin_required
@require_POST
def mailbox_test(request, pk):
    mailbox = get_object_or_404(_mailboxes(request.tenant), pk=pk)
    error = mailbox_test_connection(tenant=request.tenant, mailbox=mailbox)
    if error:
        messages.error(request, _("The connection does not work: %(error)s") % {"error": error})
    else:
        messages.success(request, _("The connection works: logged in and opened the folder %(folder)s.")
                         % {"folder": mailbox.folder})
    return redirect("console:mailbox_edit", pk=mailbox.pk)


@tenant_admin_required
@require_POST
def mailbox_active(request, pk):
    mailbox = get_object_or_404(_mailboxes(request.tenant), pk=pk)
    active = not mailbox.active
    try:
        mailbox_set_active(tenant=request.tenant, mailbox=mailbox, active=active, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The mailbox is polled again.") if active
                         else _("The mailbox is no longer polled."))
    return redirect("console:mailbox_edit", pk=mailbox.pk)
