"""What tenant admins configure for the ticket desk: mailboxes, canned replies, notification wording.

Every change is checked here (not only in a form) and written to the audit log with the values
before and after; a mailbox's password never enters the log, only whether it changed.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import netpolicy
from core.models import Membership, Tenant, User
from core.services import audit_record
from tickets.email import wording
from tickets.models import CannedReply, Category, EmailTemplate, Mailbox

MAILBOX_FIELDS = ("name", "host", "port", "security", "username", "folder", "processed_folder", "robot_addresses",
                  "active")
CANNED_FIELDS = ("title", "body", "visibility", "category_id")


def _own(obj, tenant: Tenant, message: str) -> None:
    if obj is not None and obj.tenant_id != tenant.pk:
        raise ValidationError(message)


def _snapshot(obj, fields) -> dict:
    return {name: getattr(obj, name) for name in fields}


@transaction.atomic
def mailbox_save(*, tenant: Tenant, mailbox: Mailbox | None, actor: User | None, password: str = "",
                 **fields) -> Mailbox:
    """Add a mailbox or change one. An empty ``password`` keeps the stored one; a new mailbox needs one.
    The server must be one the outbound policy lets the installation connect to (``core.netpolicy``)."""
    unknown = set(fields) - set(MAILBOX_FIELDS)
    if unknown:
        raise ValidationError({name: _("Cannot be changed here.") for name in sorted(unknown)})
    _own(mailbox, tenant, _("Unknown mailbox."))
    before = _snapshot(mailbox, MAILBOX_FIELDS) if mailbox is not None else None
    mailbox = mailbox or Mailbox(tenant=tenant)
    for name, value in fields.items():
        setattr(mailbox, name, value.strip() if isinstance(value, str) and name != "robot_addresses" else value)
    if not 1 <= int(mailbox.port or 0) <= 65535:
        raise ValidationError({"port": _("Give a port from 1 to 65535.")})
    try:
        netpolicy.check_host(mailbox.host, mailbox.port)
    except netpolicy.OutboundRefused as exc:
        raise ValidationError({"host": str(exc)}) from exc
    if password:
        mailbox.password = password
    elif not mailbox.password_encrypted:
        raise ValidationError({"password": _("Enter the mailbox password.")})
    mailbox.full_clean()
    mailbox.save()
    audit_record(tenant=tenant, actor=actor, action="mailbox.saved", obj=mailbox, summary=mailbox.name,
                 data={"before": before, "after": _snapshot(mailbox, MAILBOX_FIELDS),
                       "password_changed": bool(password)})
    return mailbox


@transaction.atomic
def mailbox_set_active(*, tenant: Tenant, mailbox: Mailbox, active: bool, actor: User | None) -> Mailbox:
    """Stop or resume polling. Stopping always works; resuming checks the server against the policy again."""
    _own(mailbox, tenant, _("Unknown mailbox."))
    if active:
        try:
            netpolicy.check_host(mailbox.host, mailbox.port)
        except netpolicy.OutboundRefused as exc:
            raise ValidationError({"host": str(exc)}) from exc
    before = mailbox.active
    Mailbox.objects.filter(pk=mailbox.pk).update(active=active)
    mailbox.active = active
    audit_record(tenant=tenant, actor=actor, action="mailbox.saved", obj=mailbox, summary=mailbox.name,
                 data={"before": {"active": before}, "after": {"active": active}})
    return mailbox


def mailbox_test_connection(*, tenant: Tenant, mailbox: Mailbox) -> str:
    """Log in to the mailbox and open its folder: '' when it works, else the error to show.
    The connection goes only where the outbound policy allows, checked again at connect time."""
    from tickets.email.imap import mailbox_test

    _own(mailbox, tenant, _("Unknown mailbox."))
    try:
        netpolicy.check_host(mailbox.host, mailbox.port)
    except netpolicy.OutboundRefused as exc:
        return str(exc)
    return mailbox_test(mailbox)


@transaction.atomic
def canned_reply_save(*, tenant: Tenant, reply: CannedReply | None, author: Membership, title: str, body: str,
                      visibility: str, category: Category | None) -> CannedReply:
    """Add or change a canned reply. A personal one belongs to its author: nobody else may see or change it."""
    _own(reply, tenant, _("Unknown canned reply."))
    _own(category, tenant, _("Unknown category."))
    if author.tenant_id != tenant.pk:
        raise ValidationError(_("Choose a member of your own staff."))
    if reply is not None and reply.visibility == CannedReply.Visibility.PERSONAL and reply.owner_id != author.pk:
        raise ValidationError(_("Unknown canned reply."))
    before = _snapshot(reply, CANNED_FIELDS) if reply is not None else None
    reply = reply or CannedReply(tenant=tenant, owner=author)
    reply.title, reply.body, reply.visibility, reply.category = (title or "").strip(), body or "", visibility, category
    if reply.owner_id is None or visibility == CannedReply.Visibility.PERSONAL:
        reply.owner = author
    reply.full_clean()
    reply.save()
    audit_record(tenant=tenant, actor=author.user, action="canned_reply.saved", obj=reply, summary=reply.title,
                 data={"before": before, "after": _snapshot(reply, CANNED_FIELDS)})
    return reply


@transaction.atomic
def canned_reply_delete(*, tenant: Tenant, reply: CannedReply, actor: Membership) -> None:
    _own(reply, tenant, _("Unknown canned reply."))
    if reply.visibility == CannedReply.Visibility.PERSONAL and reply.owner_id != actor.pk:
        raise ValidationError(_("Unknown canned reply."))
    audit_record(tenant=tenant, actor=actor.user, action="canned_reply.deleted", obj=reply, summary=reply.title,
                 data={"before": _snapshot(reply, CANNED_FIELDS), "after": None})
    reply.delete()


@transaction.atomic
def email_template_save(*, tenant: Tenant, kind: str, language: str, subject: str, body: str,
                        actor: User | None) -> EmailTemplate:
    """The tenant's own wording of one notification in one language (checked by ``wording.check``)."""
    if kind not in wording.PLACEHOLDERS or language not in wording.LANGUAGES:
        raise ValidationError(_("Unknown notification."))
    body = (body or "").replace("\r\n", "\n")
    subject = (subject or "").strip()
    wording.check(kind, subject, body)
    current = EmailTemplate.objects.for_tenant(tenant).select_for_update().filter(kind=kind, language=language).first()
    before = _snapshot(current, ("subject", "body")) if current is not None else None
    template = current or EmailTemplate(tenant=tenant, kind=kind, language=language)
    template.subject, template.body = subject, body
    template.full_clean()
    template.save()
    audit_record(tenant=tenant, actor=actor, action="email_template.saved", obj=template, summary=str(template),
                 data={"before": before, "after": _snapshot(template, ("subject", "body"))})
    return template


@transaction.atomic
def email_template_reset(*, tenant: Tenant, kind: str, language: str, actor: User | None) -> None:
    """Back to the product's default wording: the tenant's own text is removed (and kept in the audit log)."""
    current = EmailTemplate.objects.for_tenant(tenant).filter(kind=kind, language=language).first()
    if current is None:
        return
    audit_record(tenant=tenant, actor=actor, action="email_template.reset", obj=current, summary=str(current),
                 data={"before": _snapshot(current, ("subject", "body")), "after": None})
    current.delete()
