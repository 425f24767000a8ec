"""Outbound mail: acknowledgements of new tickets, agents' public replies and merge notices, threaded
by Message-ID.

Each e-mail is logged in ``OutboundEmail`` under a dedupe key ("ack:<ticket>", "reply:<message>")
before it is sent: a retried task re-sends the same e-mail with the same Message-ID, never a second
one, and the customer's reply to it finds the ticket through that Message-ID.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import select_template
from django.utils import formats, timezone, translation

from tickets.email import wording
from tickets.models import EmailTemplate, Mailbox, Message, OutboundEmail, Ticket
from tickets.text import message_html

log = logging.getLogger(__name__)

Out = OutboundEmail.Status

# Channels whose requester gets an acknowledgement: written requests that expect an answer by mail.
ACK_CHANNELS = {Ticket.Channel.EMAIL, Ticket.Channel.PORTAL}


def ack_limit_per_hour() -> int:
    return int(getattr(settings, "EMAIL_ACK_LIMIT_PER_HOUR", 5))


def mail_domain(tenant) -> str:
    if tenant.support_email and "@" in tenant.support_email:
        return tenant.support_email.rpartition("@")[2].lower()
    if tenant.domain and "." in tenant.domain:
        return tenant.domain.split(":")[0].lower()
    return "helpdesk.example.com"


def new_message_id(tenant) -> str:
    return f"<{uuid.uuid4().hex}@{mail_domain(tenant)}>"


def from_address(tenant) -> str:
    address = tenant.support_email or settings.DEFAULT_FROM_EMAIL
    return f"{tenant.name} <{address}>" if tenant.name else address


def _own_addresses(tenant) -> set[str]:
    own = {a.lower() for a in Mailbox.objects.for_tenant(tenant).values_list("username", flat=True) if "@" in a}
    if tenant.support_email:
        own.add(tenant.support_email.lower())
    return own


def _thread_ids(ticket: Ticket) -> list[str]:
    """Message-IDs of the conversation so far, oldest first (customer mail and ours)."""
    received = list(ticket.messages.filter(email_message_id__isnull=False, internal=False)
                    .exclude(source=Message.Source.SYSTEM)
                    .values_list("created_at", "email_message_id"))
    sent = list(OutboundEmail.objects.filter(ticket=ticket, status=Out.SENT)
                .values_list("created_at", "email_message_id"))
    ids = [mid for _at, mid in sorted(received + sent, key=lambda pair: pair[0]) if mid]
    return list(dict.fromkeys(ids))


def _last_customer_id(ticket: Ticket) -> str | None:
    return (ticket.messages.filter(email_message_id__isnull=False, from_staff=False, internal=False)
            .order_by("-created_at", "-id").values_list("email_message_id", flat=True).first())


def deadline_text(ticket: Ticket) -> str:
    if ticket.due_at is None or ticket.sla_state != Ticket.SlaState.RUNNING:
        return ""
    local = ticket.due_at.astimezone(ZoneInfo(ticket.tenant.time_zone))
    return f"{formats.date_format(local, 'l, j E Y, H:i')} ({ticket.tenant.time_zone})"


KINDS = {"acknowledgement": OutboundEmail.Kind.ACKNOWLEDGEMENT, "reply": OutboundEmail.Kind.REPLY}


def wording_values(context: dict) -> dict[str, str]:
    """The placeholders of ``tickets.email.wording`` from the context of the default templates."""
    ticket, tenant = context["ticket"], context["tenant"]
    values = {"ticket_number": ticket.reference, "ticket_subject": ticket.subject,
              "requester_name": ticket.requester_name, "company": tenant.name,
              "deadline": context.get("deadline", ""),
              "notes": "\n\n".join(note.body for note in context.get("notes", ()))}
    if context.get("message") is not None:
        values.update(message=context["message"].body, agent_name=context.get("author", ""))
    return values


def _render(tenant, name: str, context: dict, language: str = "") -> tuple[str, str, str]:
    language = language or tenant.language or "pl"
    own = (EmailTemplate.objects.for_tenant(tenant).filter(kind=KINDS[name], language=language).first()
           if name in KINDS else None)
    if own is not None:
        with translation.override(language):
            mail = wording.render(own.subject, own.body, wording_values(context),
                                  message_html=str(context.get("body_html", "")))
        return mail.subject, mail.text, mail.html
    with translation.override(language):
        def pick(suffix: str):
            return select_template([f"emails/{language}/{name}{suffix}", f"emails/pl/{name}{suffix}"])
        subject = " ".join(pick("_subject.txt").render(context).split())
        text = pick(".txt").render(context).strip() + "\n"
        html = pick(".html").render(context)
    return subject, text, html


def _claim(*, ticket: Ticket, kind: str, key: str, to_email: str, message: Message | None) -> OutboundEmail:
    try:
        with transaction.atomic():
            record, _created = OutboundEmail.objects.get_or_create(
                tenant_id=ticket.tenant_id, dedupe_key=key,
                defaults={"ticket": ticket, "message": message, "kind": kind, "to_email": to_email,
                          "email_message_id": new_message_id(ticket.tenant), "subject": ""})
    except IntegrityError:
        record = OutboundEmail.objects.get(tenant_id=ticket.tenant_id, dedupe_key=key)
    return record


def _suppress(record: OutboundEmail, reason: str) -> OutboundEmail:
    record.status = Out.SUPPRESSED
    record.reason = reason
    record.save(update_fields=["status", "reason"])
    return record


def acknowledgement_send(ticket_id: int) -> OutboundEmail | None:
    """Tell the requester their ticket number and, with a guarantee, the reaction deadline."""
    ticket = Ticket.objects.select_related("tenant", "organization").filter(pk=ticket_id).first()
    if ticket is None or ticket.channel not in ACK_CHANNELS or not ticket.requester_email:
        return None
    tenant = ticket.tenant
    to_email = ticket.requester_email.lower()
    record = _claim(ticket=ticket, kind=OutboundEmail.Kind.ACKNOWLEDGEMENT, key=f"ack:{ticket.pk}",
                    to_email=to_email, message=None)
    if record.status in (Out.SENT, Out.SUPPRESSED):
        return record
    if record.status == Out.PENDING and record.attempts == 0:
        if ticket.status == Ticket.Status.TRIAGE:
            return _suppress(record, "triage: sender not verified")
        if to_email in _own_addresses(tenant):
            return _suppress(record, "own address")
        since = timezone.now() - timedelta(hours=1)
        recent = (OutboundEmail.objects.for_tenant(tenant)
                  .filter(kind=OutboundEmail.Kind.ACKNOWLEDGEMENT, to_email=to_email, status=Out.SENT,
                          sent_at__gte=since).count())
        if recent >= ack_limit_per_hour():
            return _suppress(record, f"rate limited: {recent} acknowledgements to this address in the last hour")
    first = ticket.messages.order_by("created_at", "id").first()
    notes = list(ticket.messages.filter(source=Message.Source.SYSTEM, internal=False).order_by("created_at"))
    context = {"ticket": ticket, "tenant": tenant, "deadline": deadline_text(ticket), "notes": notes,
               "first_message": first}
    parent = first.email_message_id if first is not None and first.email_message_id else None
    return _send(record, ticket, context, "acknowledgement", parent=parent, references=[parent] if parent else [])


def reply_send(message_id: int) -> OutboundEmail | None:
    """Mail an agent's public reply to the requester, threaded to the customer's last e-mail."""
    message = (Message.objects.select_related("ticket__tenant", "author_user").filter(pk=message_id).first())
    if message is None or message.internal or not message.from_staff or message.source == Message.Source.SYSTEM:
        return None
    ticket = message.ticket
    if not ticket.requester_email:
        return None
    record = _claim(ticket=ticket, kind=OutboundEmail.Kind.REPLY, key=f"reply:{message.pk}",
                    to_email=ticket.requester_email.lower(), message=message)
    if record.status in (Out.SENT, Out.SUPPRESSED):
        return record
    if record.to_email in _own_addresses(ticket.tenant):
        return _suppress(record, "own address")
    context = {"ticket": ticket, "tenant": ticket.tenant, "message": message, "body_html": message_html(message),
               "author": message.author_name or ticket.tenant.name}
    parent = _last_customer_id(ticket)
    references = _thread_ids(ticket)[-20:]
    attachments = [(a.filename, a.file.read(), a.content_type) for a in message.attachments.all()]
    return _send(record, ticket, context, "reply", parent=parent, references=references, files=attachments)


def merged_send(source_id: int, target_id: int) -> OutboundEmail | None:
    """Tell the requester that their ticket was merged into another (``tickets.merge``), in their language.

    Recorded on the target: a reply to this e-mail lands there, with the rest of the conversation."""
    source = Ticket.objects.select_related("tenant", "contact__user").filter(pk=source_id).first()
    target = Ticket.objects.select_related("tenant").filter(pk=target_id).first()
    if source is None or target is None or not source.requester_email:
        return None
    record = _claim(ticket=target, kind=OutboundEmail.Kind.REPLY, key=f"merged:{source.pk}",
                    to_email=source.requester_email.lower(), message=None)
    if record.status in (Out.SENT, Out.SUPPRESSED):
        return record
    if record.to_email in _own_addresses(source.tenant):
        return _suppress(record, "own address")
    user = source.contact.user if source.contact else None
    language = (user.language if user else "") or ""
    context = {"ticket": target, "source": source, "tenant": source.tenant}
    references = _thread_ids(target)[-20:]
    return _send(record, target, context, "merged", parent=references[-1] if references else None,
                 references=references, language=language)


def _send(record: OutboundEmail, ticket: Ticket, context: dict, template: str, *, parent: str | None,
          references: list[str], files: list[tuple[str, bytes, str]] = (), language: str = "") -> OutboundEmail:
    tenant = ticket.tenant
    subject, text, html = _render(tenant, template, context, language)
    headers = {"Message-ID": record.email_message_id, "Auto-Submitted": "auto-replied"
               if template == "acknowledgement" else "no", "X-Helpdesk-Ticket": ticket.reference}
    if template == "acknowledgement":
        # RFC 3834: stop the customer's own autoresponder from answering our acknowledgement.
        headers["X-Auto-Response-Suppress"] = "All"
    if parent:
        headers["In-Reply-To"] = parent
    if references:
        headers["References"] = " ".join(references)
    reply_to = [tenant.support_email] if tenant.support_email else None
    mail = EmailMultiAlternatives(subject=subject, body=text, from_email=from_address(tenant), to=[record.to_email],
                                  reply_to=reply_to, headers=headers, connection=get_connection())
    mail.attach_alternative(html, "text/html")
    for name, content, content_type in files:
        mail.attach(name, content, content_type)
    record.subject = subject[:300]
    record.attempts += 1
    try:
        mail.send()
    except Exception as exc:
        record.status = Out.FAILED
        record.reason = f"{exc.__class__.__name__}: {exc}"[:200]
        record.save(update_fields=["subject", "attempts", "status", "reason"])
        raise
    record.status = Out.SENT
    record.reason = ""
    record.sent_at = timezone.now()
    record.save(update_fields=["subject", "attempts", "status", "reason", "sent_at"])
    return record
