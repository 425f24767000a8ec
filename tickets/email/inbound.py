"""Inbound mail: every message is stored raw first, then placed into a ticket, or quarantined.

Order of placement (first match wins):
1. a Message-ID already on a ticket        -> duplicate, nothing new (idempotent per Message-ID)
2. a delivery status report (bounce)       -> delivery failure noted on the ticket it is about
3. an auto-reply / list mail / own address -> discarded, never a ticket, never answered
4. In-Reply-To / References of mail we sent or received -> a message on that ticket
5. a ``[PREFIX-N]`` token of this tenant in the subject, from the requester or the same organization
6. otherwise a new ticket (``ticket_create`` sends unknown senders to triage)
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import Tenant, User
from core.services import audit_record
from tickets.attachments import CheckedFile, attachment_check
from tickets.email.parse import ParsedEmail, ParseError, is_bounce, parse_email, subject_tokens
from tickets.models import InboundEmail, Mailbox, Message, OutboundEmail, Ticket
from tickets.services import event_record, message_add, sender_identify, ticket_create

log = logging.getLogger(__name__)

St = InboundEmail.Status


@dataclass(frozen=True)
class InlineCheckedFile(CheckedFile):
    inline: bool = True


def email_ingest(*, tenant: Tenant, raw: bytes, mailbox: Mailbox | None = None,
                 received_at: datetime | None = None) -> InboundEmail:
    """Store a raw message (committed on its own), then place it. Never raises for bad mail."""
    inbound, created = inbound_store(tenant=tenant, raw=raw, mailbox=mailbox, received_at=received_at)
    if created or inbound.status == St.RECEIVED:
        inbound = inbound_process(inbound=inbound)
    return inbound


def inbound_store(*, tenant: Tenant, raw: bytes, mailbox: Mailbox | None = None,
                  received_at: datetime | None = None) -> tuple[InboundEmail, bool]:
    digest = hashlib.sha256(raw).hexdigest()
    existing = InboundEmail.objects.for_tenant(tenant).filter(raw_sha256=digest).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                tenant=tenant, mailbox=mailbox, raw=raw, raw_sha256=digest, size=len(raw),
                received_at=received_at or timezone.now())
    except IntegrityError:  # The same bytes arrived concurrently: the other delivery owns them.
        return InboundEmail.objects.for_tenant(tenant).get(raw_sha256=digest), False
    return inbound, True


def inbound_process(*, inbound: InboundEmail) -> InboundEmail:
    tenant = inbound.tenant
    raw = bytes(inbound.raw)
    try:
        parsed = parse_email(raw)
    except ParseError as exc:
        return _finish(inbound, St.QUARANTINED, str(exc))
    except Exception as exc:  # A parser bug must not lose the message.
        log.exception("inbound e-mail %s: parser failed", inbound.pk)
        return _finish(inbound, St.QUARANTINED, f"unparseable message: {exc.__class__.__name__}: {exc}")
    inbound.email_message_id = parsed.message_id
    inbound.from_email = parsed.from_email[:254]
    inbound.subject = parsed.subject[:250]
    try:
        with transaction.atomic(), translation.override(tenant.language or "pl"):
            status, reason, ticket, message = _place(tenant, inbound, parsed)
            return _finish(inbound, status, reason, ticket=ticket, message=message)
    except ValidationError as exc:
        return _finish(inbound, St.QUARANTINED, "cannot be placed: " + "; ".join(exc.messages))
    except Exception as exc:
        log.exception("inbound e-mail %s: placing failed", inbound.pk)
        return _finish(inbound, St.QUARANTINED, f"cannot be placed: {exc.__class__.__name__}: {exc}")


def _finish(inbound: InboundEmail, status: str, reason: str, ticket: Ticket | None = None,
            message: Message | None = None) -> InboundEmail:
    inbound.status = status
    inbound.reason = reason
    inbound.ticket = ticket
    inbound.message = message
    inbound.processed_at = timezone.now()
    inbound.save(update_fields=["status", "reason", "ticket", "message", "processed_at", "email_message_id",
                                "from_email", "subject"])
    if status == St.QUARANTINED:
        log.warning("inbound e-mail %s quarantined: %s", inbound.pk, reason)
    return inbound


def _place(tenant: Tenant, inbound: InboundEmail, parsed: ParsedEmail):
    duplicate = (Message.objects.for_tenant(tenant).filter(email_message_id=parsed.message_id)
                 .select_related("ticket__tenant").first())
    if duplicate is not None:
        return St.DISCARDED, f"duplicate of a message already on {duplicate.ticket.reference}", \
            duplicate.ticket, None

    if is_bounce(parsed):
        return _place_bounce(tenant, inbound, parsed)

    if parsed.auto_reply_reason:
        ticket = thread_ticket(tenant, parsed.thread_ids)
        return St.DISCARDED, f"auto-reply ({parsed.auto_reply_reason})", ticket, None

    own = {a.lower() for a in Mailbox.objects.for_tenant(tenant).values_list("username", flat=True) if "@" in a}
    if tenant.support_email:
        own.add(tenant.support_email.lower())
    if parsed.from_email in own:
        return St.DISCARDED, "sent from the helpdesk's own address (mail loop)", None, None

    accepted, rejected = _check_attachments(parsed)
    body = parsed.text or _("(The message has no text.)")

    ticket = thread_ticket(tenant, parsed.thread_ids, sender=parsed.from_email) or _ticket_by_subject(tenant, parsed)
    if ticket is not None and ticket.status != Ticket.Status.CLOSED:
        contact, _organization = sender_identify(tenant=tenant, email=parsed.from_email)
        display = parsed.display_text if parsed.text else body
        message = message_add(tenant=tenant, ticket=ticket, body=display, author_contact=contact,
                              source=Message.Source.EMAIL, from_email=parsed.from_email, attachments=accepted,
                              email_message_id=parsed.message_id, body_html=parsed.html,
                              at=inbound.received_at)
        reason = "reply"
    else:
        subject = parsed.subject or _("(no subject)")
        ticket = ticket_create(tenant=tenant, channel=Ticket.Channel.EMAIL, subject=subject, body=body,
                               received_at=inbound.received_at, from_email=parsed.from_email,
                               from_name=parsed.from_name, attachments=accepted,
                               email_message_id=parsed.message_id, body_html=parsed.html)
        message = ticket.messages.filter(email_message_id=parsed.message_id).first()
        reason = "new ticket"
    if rejected:
        _note_rejected(tenant, ticket, inbound, rejected)
        reason += "; attachments refused: " + "; ".join(f"{name}: {why}" for name, why in rejected)
    return St.PROCESSED, reason, ticket, message


def _check_attachments(parsed: ParsedEmail) -> tuple[list[CheckedFile], list[tuple[str, str]]]:
    accepted: list[CheckedFile] = []
    rejected: list[tuple[str, str]] = []
    for part in parsed.attachments:
        try:
            checked = attachment_check(part.filename, part.content)
        except ValidationError as exc:
            rejected.append((part.filename, " ".join(exc.messages)))
            continue
        if part.inline:
            checked = InlineCheckedFile(filename=checked.filename, content_type=checked.content_type,
                                        content=checked.content)
        accepted.append(checked)
    return accepted, rejected


def _note_rejected(tenant: Tenant, ticket: Ticket, inbound: InboundEmail, rejected: list[tuple[str, str]]) -> None:
    lines = [_("Attachments of this e-mail were not accepted. The original message, with the files, is kept "
               "in inbound e-mail #%(id)s.") % {"id": inbound.pk}]
    lines += [f"- {name}: {why}" for name, why in rejected]
    Message.objects.create(tenant=tenant, ticket=ticket, author_name=tenant.name, from_staff=True, internal=True,
                           body="\n".join(lines), source=Message.Source.SYSTEM)
    event_record(ticket=ticket, kind="attachment_rejected", inbound_email=inbound.pk,
                 files=[name for name, _why in rejected])


def thread_ticket(tenant: Tenant, ids: list[str], sender: str | None = None) -> Ticket | None:
    """The ticket of the first Message-ID (In-Reply-To, then References newest first) we know.

    With ``sender``, only if that address may add to the ticket, as for a subject token: a
    Message-ID is no secret (it travels in every copy and forward of a mail), so anyone else's
    reply starts a ticket of its own (an unknown sender's waits in triage).
    """
    if not ids:
        return None
    found: dict[str, int] = {}
    for msgid, ticket_id in (Message.objects.for_tenant(tenant).filter(email_message_id__in=ids)
                             .values_list("email_message_id", "ticket_id")):
        found.setdefault(msgid, ticket_id)
    for msgid, ticket_id in (OutboundEmail.objects.for_tenant(tenant).filter(email_message_id__in=ids)
                             .values_list("email_message_id", "ticket_id")):
        found.setdefault(msgid, ticket_id)
    for msgid in ids:
        if msgid in found:
            ticket = Ticket.objects.for_tenant(tenant).select_related("tenant").get(pk=found[msgid])
            return ticket if sender is None or _sender_may_add(tenant, ticket, sender) else None
    return None


def _sender_may_add(tenant: Tenant, ticket: Ticket, sender: str) -> bool:
    """The ticket's requester, or a contact of the ticket's organization."""
    if ticket.requester_email and ticket.requester_email.lower() == sender.lower():
        return True
    _contact, organization = sender_identify(tenant=tenant, email=sender)
    return organization is not None and organization.pk == ticket.organization_id


def _ticket_by_subject(tenant: Tenant, parsed: ParsedEmail) -> Ticket | None:
    """A ``[WYS-1042]`` token of this tenant; only its requester or their organization may add to it."""
    for prefix, number in subject_tokens(parsed.subject):
        if prefix != tenant.ticket_prefix:
            continue
        ticket = Ticket.objects.for_tenant(tenant).select_related("tenant").filter(number=number).first()
        if ticket is None:
            continue
        if _sender_may_add(tenant, ticket, parsed.from_email):
            return ticket
    return None


def _place_bounce(tenant: Tenant, inbound: InboundEmail, parsed: ParsedEmail):
    ids = list(dict.fromkeys(parsed.bounce_original_ids + parsed.thread_ids))
    ticket = thread_ticket(tenant, ids)
    if ticket is None:
        for prefix, number in subject_tokens(parsed.subject):
            if prefix == tenant.ticket_prefix:
                ticket = Ticket.objects.for_tenant(tenant).select_related("tenant").filter(number=number).first()
                if ticket:
                    break
    if ticket is None:
        return St.DISCARDED, "delivery failure report for no known ticket", None, None
    recipients = ", ".join(dict.fromkeys(parsed.bounce_recipients)) or ticket.requester_email
    OutboundEmail.objects.for_tenant(tenant).filter(email_message_id__in=ids).update(
        status=OutboundEmail.Status.FAILED, reason=f"bounced {parsed.bounce_status}".strip()[:200])
    note = _("Delivery failed: e-mail to %(to)s could not be delivered%(status)s. The report is kept in inbound "
             "e-mail #%(id)s.") % {"to": recipients, "id": inbound.pk,
                                   "status": f" ({parsed.bounce_status})" if parsed.bounce_status else ""}
    message = Message.objects.create(tenant=tenant, ticket=ticket, author_name=parsed.from_email[:200],
                                     from_staff=True, internal=True, body=note, source=Message.Source.SYSTEM,
                                     email_message_id=parsed.message_id)
    event_record(ticket=ticket, kind="delivery_failed", recipients=recipients, status=parsed.bounce_status,
                 inbound_email=inbound.pk)
    return St.PROCESSED, "delivery failure report", ticket, message


@transaction.atomic
def inbound_retry(*, tenant: Tenant, inbound: InboundEmail, actor: User | None = None) -> InboundEmail:
    """Place a quarantined or discarded message again (after a fix, or to turn it into a ticket)."""
    if inbound.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown message."))
    if inbound.status == St.PROCESSED:
        raise ValidationError(_("This message is already on a ticket."))
    audit_record(tenant=tenant, actor=actor, action="inbound_email.retried", obj=inbound,
                 summary=inbound.subject, data={"old_status": inbound.status, "old_reason": inbound.reason})
    return inbound_process(inbound=inbound)


@transaction.atomic
def inbound_discard(*, tenant: Tenant, inbound: InboundEmail, actor: User | None = None) -> InboundEmail:
    """Mark a message as not to be processed. The raw message stays stored."""
    if inbound.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown message."))
    if inbound.status == St.PROCESSED:
        raise ValidationError(_("This message is already on a ticket."))
    who = actor.get_username() if actor is not None else "system"
    audit_record(tenant=tenant, actor=actor, action="inbound_email.discarded", obj=inbound, summary=inbound.subject,
                 data={"old_status": inbound.status, "old_reason": inbound.reason})
    return _finish(inbound, St.DISCARDED, f"discarded by {who}", ticket=inbound.ticket, message=inbound.message)
