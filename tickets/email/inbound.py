"""Inbound mail: every message is stored raw first, then placed into a ticket, or quarantined.

Order of placement (first match wins):
1. a Message-ID already on a ticket        -> duplicate, nothing new (idempotent per Message-ID)
2. a delivery status report (bounce)       -> delivery failure noted on the ticket it is about
3. an auto-reply / list mail / own address -> discarded, never a ticket, never answered (header
   evidence only: an out-of-office subject alone is flagged in the reason, never discarded)
4. In-Reply-To / References of mail we sent or received -> a message on that ticket
5. a ``[PREFIX-N]`` token of this tenant in the subject, from the requester or the same organization
6. otherwise a new ticket (``ticket_create`` sends unknown senders to triage)

The requester is the From address, or the Reply-To address when the From is a form or robot
(a mailbox's ``robot_addresses``), the tenant's own domain or one of its mailboxes: a web form
sends as itself on behalf of the customer it names in Reply-To.

Each message is stored twice over: the new part (what the thread shows first) and the whole text
as received (the quoted history, one click away), besides the raw bytes in ``InboundEmail``.
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
from tickets.email.intake_cache import IntakeCache, uncached
from tickets.email.outbound import mail_domain
from tickets.email.parse import ParsedEmail, ParseError, is_bounce, parse_email, split_reply, subject_tokens
from tickets.models import InboundEmail, Mailbox, Message, OutboundEmail, Ticket
from tickets.services import event_record, message_add, sender_identify, ticket_create
from tickets.text import clean_text

log = logging.getLogger(__name__)

St = InboundEmail.Status


@dataclass(frozen=True)
class InlineCheckedFile(CheckedFile):
    inline: bool = True


def email_ingest(*, tenant: Tenant, raw: bytes, mailbox: Mailbox | None = None,
                 received_at: datetime | None = None, cache: IntakeCache | None = None) -> InboundEmail:
    """Store a raw message (committed on its own), then place it. Never raises for bad mail."""
    inbound, created = inbound_store(tenant=tenant, raw=raw, mailbox=mailbox, received_at=received_at)
    if created or inbound.status == St.RECEIVED:
        inbound = inbound_process(inbound=inbound, cache=cache)
    return inbound


def inbound_store(*, tenant: Tenant, raw: bytes, mailbox: Mailbox | None = None,
                  received_at: datetime | None = None) -> tuple[InboundEmail, bool]:
    digest = hashlib.sha256(raw).hexdigest()
    try:  # New bytes are the rule: insert first, look up only when the unique constraint says "seen".
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                tenant=tenant, mailbox=mailbox, raw=raw, raw_sha256=digest, size=len(raw),
                received_at=received_at or timezone.now())
    except IntegrityError:  # The same bytes again (MTA retry, re-poll), maybe concurrently: one record.
        return InboundEmail.objects.for_tenant(tenant).get(raw_sha256=digest), False
    return inbound, True


def inbound_process(*, inbound: InboundEmail, cache: IntakeCache | None = None) -> InboundEmail:
    """Place a stored message. Whatever goes wrong, the message ends quarantined with the cause."""
    try:
        return _process(inbound, cache or uncached())
    except Exception as exc:  # Even recording the outcome failed: record the cause alone.
        log.exception("inbound e-mail %s: processing failed", inbound.pk)
        inbound.email_message_id = inbound.from_email = inbound.subject = ""
        return _finish(inbound, St.QUARANTINED, f"processing failed: {exc.__class__.__name__}: {exc}")


def _process(inbound: InboundEmail, cache: IntakeCache) -> InboundEmail:
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
    inbound.subject = parsed.subject
    try:
        with transaction.atomic(), translation.override(tenant.language or "pl"):
            status, reason, ticket, message = _place(tenant, inbound, parsed, cache)
            return _finish(inbound, status, reason, ticket=ticket, message=message)
    except ValidationError as exc:
        return _finish(inbound, St.QUARANTINED, "cannot be placed: " + "; ".join(exc.messages))
    except Exception as exc:
        log.exception("inbound e-mail %s: placing failed", inbound.pk)
        return _finish(inbound, St.QUARANTINED, f"cannot be placed: {exc.__class__.__name__}: {exc}")


def _finish(inbound: InboundEmail, status: str, reason: str, ticket: Ticket | None = None,
            message: Message | None = None) -> InboundEmail:
    inbound.email_message_id = clean_text(inbound.email_message_id)[:255]
    inbound.from_email = clean_text(inbound.from_email)[:254]
    inbound.subject = clean_text(inbound.subject)
    inbound.status = status
    inbound.reason = clean_text(reason)
    inbound.ticket = ticket
    inbound.message = message
    inbound.processed_at = timezone.now()
    inbound.save(update_fields=["status", "reason", "ticket", "message", "processed_at", "email_message_id",
                                "from_email", "subject"])
    if status == St.QUARANTINED:
        log.warning("inbound e-mail %s quarantined: %s", inbound.pk, reason)
    return inbound


def requester_of(tenant: Tenant, parsed: ParsedEmail, mailbox: Mailbox | None,
                 cache: IntakeCache) -> tuple[str, str, str]:
    """``(email, name, why)`` of the person a message is from (see the module's docstring)."""
    sender = parsed.from_email
    if parsed.reply_to:
        name, address = parsed.reply_to[0]
        mailboxes = cache.mailboxes(tenant)
        own = _own_addresses(tenant, cache)
        own_domains = {mail_domain(tenant)} | {a.rpartition("@")[2] for a in own}
        if mailbox is not None:
            robots = next((r for _a, r, pk in mailboxes if pk == mailbox.pk), set())
        else:  # the MTA pipe names no mailbox: every mailbox's robots count
            robots = set().union(*(r for _a, r, _pk in mailboxes)) if mailboxes else set()
        domain = sender.rpartition("@")[2]
        if address != sender and address not in own:
            if sender in robots or f"@{domain}" in robots:
                return address, name, "Reply-To (form or robot sender)"
            if sender in own or domain in own_domains:
                return address, name, "Reply-To (sent from our own domain)"
    return sender, parsed.from_name, ""


def _own_addresses(tenant: Tenant, cache: IntakeCache) -> set[str]:
    own = {address for address, _robots, _pk in cache.mailboxes(tenant) if "@" in address}
    if tenant.support_email:
        own.add(tenant.support_email.lower())
    return own


def _place(tenant: Tenant, inbound: InboundEmail, parsed: ParsedEmail, cache: IntakeCache):
    # One query answers both "seen this Message-ID?" and "which ticket does it answer?".
    known = _known_message_ids(tenant, [parsed.message_id, *parsed.thread_ids])
    if parsed.message_id in known:
        duplicate = Ticket.objects.for_tenant(tenant).select_related("tenant").get(pk=known[parsed.message_id])
        return St.DISCARDED, f"duplicate of a message already on {duplicate.reference}", duplicate, None

    if is_bounce(parsed):
        return _place_bounce(tenant, inbound, parsed)

    if parsed.auto_reply_reason:
        ticket = thread_ticket(tenant, parsed.thread_ids, known)
        return St.DISCARDED, f"auto-reply ({parsed.auto_reply_reason})", ticket, None

    from_email, from_name, requester_reason = requester_of(tenant, parsed, inbound.mailbox, cache)
    if from_email in _own_addresses(tenant, cache):
        return St.DISCARDED, "sent from the helpdesk's own address (mail loop)", None, None

    accepted, rejected = _check_attachments(parsed)
    full = parsed.text
    new, _quoted = split_reply(full, forwarded=parsed.is_forward) if full else ("", "")
    body = new or _("(The message has no text.)")
    body_full = full if full and full != new else ""

    ticket = (thread_ticket(tenant, parsed.thread_ids, known, sender=from_email)
              or _ticket_by_subject(tenant, parsed, from_email))
    if ticket is not None and ticket.status != Ticket.Status.CLOSED:
        contact, _organization = sender_identify(tenant=tenant, email=from_email)
        message = message_add(tenant=tenant, ticket=ticket, body=body, author_contact=contact,
                              source=Message.Source.EMAIL, from_email=from_email, attachments=accepted,
                              email_message_id=parsed.message_id, body_html=parsed.html,
                              at=inbound.received_at, body_full=body_full, subject=parsed.subject)
        reason = "reply"
    else:
        subject = parsed.subject or _("(no subject)")
        ticket = ticket_create(tenant=tenant, channel=Ticket.Channel.EMAIL, subject=subject, body=body,
                               received_at=inbound.received_at, from_email=from_email,
                               from_name=from_name, attachments=accepted,
                               email_message_id=parsed.message_id, body_html=parsed.html,
                               body_full=body_full, message_subject=parsed.subject,
                               plan_lookup=cache.plan_in_force)
        message = ticket.first_message
        reason = "new ticket"
    if requester_reason:
        reason += f"; requester {from_email} from {requester_reason}"
    if parsed.auto_reply_hint:
        # Not discarded: a subject like "Nieobecności chorobowe…" is a real request more often than not.
        reason += f"; possibly automatic ({parsed.auto_reply_hint})"
        event_record(ticket=ticket, kind="possible_auto_reply", inbound_email=inbound.pk,
                     hint=parsed.auto_reply_hint)
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


def _known_message_ids(tenant: Tenant, ids: list[str]) -> dict[str, int]:
    """Ticket ids of the Message-IDs received on a ticket."""
    return dict(Message.objects.for_tenant(tenant).filter(email_message_id__in=ids).order_by()
                .values_list("email_message_id", "ticket_id"))


def thread_ticket(tenant: Tenant, ids: list[str], received: dict[str, int] | None = None,
                  sender: str | None = None) -> Ticket | None:
    """The ticket of the first Message-ID (In-Reply-To, then References newest first) we know.

    ``received``: what ``_known_message_ids`` already found for these ids, to save the query.
    With ``sender``, only if that address may add to the ticket, as for a subject token: a
    Message-ID is no secret (it travels in every copy and forward of a mail), so anyone else's
    reply starts a ticket of its own (an unknown sender's waits in triage).
    """
    if not ids:
        return None
    found: dict[str, int] = {}
    for msgid, ticket_id in (received.items() if received is not None else
                             _known_message_ids(tenant, ids).items()):
        found.setdefault(msgid, ticket_id)
    for msgid, ticket_id in (OutboundEmail.objects.for_tenant(tenant).filter(email_message_id__in=ids)
                             .values_list("email_message_id", "ticket_id")):
        found.setdefault(msgid, ticket_id)
    for msgid in ids:
        if msgid in found:
            ticket = _live(Ticket.objects.for_tenant(tenant).select_related("tenant").get(pk=found[msgid]))
            return ticket if sender is None or _sender_may_add(tenant, ticket, sender) else None
    return None


def _live(ticket: Ticket) -> Ticket:
    """A merged ticket's mail goes to the ticket it was merged into (``tickets.merge``)."""
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.select_related("tenant").get(pk=ticket.merged_into_id)
    return ticket


def _sender_may_add(tenant: Tenant, ticket: Ticket, sender: str) -> bool:
    """The ticket's requester, or a contact of the ticket's organization."""
    if ticket.requester_email and ticket.requester_email.lower() == sender.lower():
        return True
    _contact, organization = sender_identify(tenant=tenant, email=sender)
    return organization is not None and organization.pk == ticket.organization_id


def _ticket_by_subject(tenant: Tenant, parsed: ParsedEmail, from_email: str) -> Ticket | None:
    """A ``[WYS-1042]`` token of this tenant; only its requester or their organization may add to it."""
    for prefix, number in subject_tokens(parsed.subject):
        if prefix != tenant.ticket_prefix:
            continue
        ticket = Ticket.objects.for_tenant(tenant).select_related("tenant").filter(number=number).first()
        if ticket is None:
            continue
        ticket = _live(ticket)
        if _sender_may_add(tenant, ticket, from_email):
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
                    ticket = _live(ticket)
                    break
    if ticket is None:
        return St.DISCARDED, "delivery failure report for no known ticket", None, None
    failed = parsed.failed_recipients
    if parsed.bounce_reports and not failed:
        return St.DISCARDED, "delivery report without a failed recipient (delayed or delivered)", ticket, None
    recipients = ", ".join(sorted(failed)) or ticket.requester_email
    sent = OutboundEmail.objects.for_tenant(tenant).filter(email_message_id__in=ids)
    if failed:  # only the recipient that failed; a report about another one leaves ours as sent
        sent = sent.filter(to_email__in=failed)
    sent.update(status=OutboundEmail.Status.FAILED, reason=f"bounced {parsed.bounce_status}".strip()[:200])
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
