"""GDPR requests of a contact: a copy of their data (art. 15/20) and erasure by anonymising (art. 17).

Anonymising replaces who the person is (name, addresses, phones, portal login) wherever it is
stored in the contact, ticket and message rows, and keeps what happened: tickets, messages'
content, time entries, amounts and statements, so the accounting of past months stays correct.
"""
from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import AuditEvent, Contact, ContactEmail, Membership, Tenant, User
from helpdesk.services import audit_record

ANONYMOUS_DOMAIN = "anonymised.invalid"
PHONE_PLACEHOLDER = "[phone removed]"


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _own_contact(tenant: Tenant, contact: Contact) -> Contact:
    if tenant is None or contact.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown contact."))
    return contact


def _contact_tickets(tenant: Tenant, contact: Contact, emails: list[str]):
    from tickets.models import Ticket

    who = Q(contact=contact)
    if emails:
        who |= Q(requester_email__in=emails)
    return Ticket.objects.for_tenant(tenant).filter(who)


def contact_export(*, tenant: Tenant, contact: Contact) -> dict[str, Any]:
    """Everything stored about ``contact``, as JSON-ready data (strings, numbers, lists, dicts).

    Tickets are those the contact filed (or that came from their addresses) with their public
    messages; messages the contact wrote on other tickets of their organization come separately.
    Internal notes of the staff are not part of the copy.
    """
    from billing.models import TimeEntry
    from tickets.models import Message

    contact = _own_contact(tenant, contact)
    emails = sorted(contact.emails.values_list("email", flat=True))
    tickets = list(_contact_tickets(tenant, contact, emails).select_related("organization", "category")
                   .order_by("received_at", "pk"))
    ticket_ids = [t.pk for t in tickets]
    public = (Message.objects.for_tenant(tenant).filter(ticket_id__in=ticket_ids, internal=False)
              .prefetch_related("attachments").order_by("created_at", "pk"))
    by_ticket: dict[int, list[Message]] = {}
    for message in public:
        by_ticket.setdefault(message.ticket_id, []).append(message)
    own_elsewhere = (Message.objects.for_tenant(tenant).filter(author_contact=contact, internal=False)
                     .exclude(ticket_id__in=ticket_ids).select_related("ticket").prefetch_related("attachments")
                     .order_by("created_at", "pk"))
    entries = (TimeEntry.objects.for_tenant(tenant).filter(ticket_id__in=ticket_ids).select_related("ticket")
               .order_by("started_at", "pk"))
    user = contact.user

    def message_data(message: Message) -> dict[str, Any]:
        return {
            "id": message.pk, "created_at": _iso(message.created_at), "from_staff": message.from_staff,
            "author_name": message.author_name, "from_email": message.from_email,
            "written_by_this_contact": message.author_contact_id == contact.pk, "source": message.source,
            "body": message.body,
            "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                             "created_at": _iso(a.created_at)} for a in message.attachments.all()],
        }

    return {
        "exported_at": _iso(timezone.now()),
        "tenant": {"name": tenant.name},
        "contact": {
            "id": contact.pk, "name": contact.name, "can_file_tickets": contact.can_file_tickets,
            "organization": {"id": contact.organization_id, "name": contact.organization.name},
            "created_at": _iso(contact.created_at), "updated_at": _iso(contact.updated_at),
        },
        "emails": emails,
        "phones": sorted(contact.phones.values_list("number", flat=True)),
        "portal_login": None if user is None else {
            "username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "language": user.language, "is_active": user.is_active,
            "date_joined": _iso(user.date_joined), "last_login": _iso(user.last_login),
        },
        "tickets": [{
            "reference": ticket.reference, "subject": ticket.subject, "status": ticket.status,
            "channel": ticket.channel, "critical": ticket.critical,
            "category": ticket.category.name if ticket.category else None,
            "organization": ticket.organization.name if ticket.organization else None,
            "requester_name": ticket.requester_name, "requester_email": ticket.requester_email,
            "received_at": _iso(ticket.received_at), "resolved_at": _iso(ticket.resolved_at),
            "closed_at": _iso(ticket.closed_at),
            "messages": [message_data(m) for m in by_ticket.get(ticket.pk, [])],
        } for ticket in tickets],
        "messages_on_other_tickets": [{"ticket": m.ticket.reference, **message_data(m)} for m in own_elsewhere],
        "time_entries": [{
            "ticket": entry.ticket.reference, "started_at": _iso(entry.started_at), "kind": entry.kind,
            "minutes": entry.minutes, "billed_minutes": entry.billed_minutes, "pool": entry.pool,
            "amount_net": str(entry.amount_net), "note": entry.note,
        } for entry in entries],
        "audit_events": [{
            "at": _iso(event.at), "action": event.action, "summary": event.summary,
        } for event in AuditEvent.objects.for_tenant(tenant).filter(
            object_type=Contact._meta.label_lower, object_id=str(contact.pk)).order_by("at", "pk")],
    }


def _scrub(text: str, needles: list[str], replacement: str) -> str:
    for needle in needles:
        text = re.sub(re.escape(needle), replacement, text, flags=re.IGNORECASE)
    return text


def _login_used_elsewhere(user: User, tenant: Tenant) -> bool:
    return (user.is_staff or user.is_superuser or Membership.objects.filter(user=user).exists()
            or Contact.objects.filter(user=user).exclude(tenant=tenant).exists())


def _forget_login_attempts(usernames: list[str]) -> None:
    """The login throttle's records carry the user name (and the address it came from)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__in=usernames).delete()


@transaction.atomic
def contact_anonymise(*, tenant: Tenant, contact: Contact, actor: User | None) -> Contact:
    """Erase who the contact is; keep their tickets, time entries and amounts."""
    from tickets.models import Message

    contact = _own_contact(tenant, Contact.objects.select_for_update().get(pk=contact.pk))
    placeholder_name = f"Anonymised #{contact.pk}"
    placeholder_email = f"contact-{contact.pk}@{ANONYMOUS_DOMAIN}"
    emails = list(contact.emails.values_list("email", flat=True))
    phones = sorted(contact.phones.values_list("number", flat=True), key=len, reverse=True)
    user = contact.user
    names = [contact.name]
    if user is not None:
        emails += [e for e in (user.email, user.username) if e and "@" in e]
        names += [n for n in (user.get_full_name(),) if n]
    emails = sorted({e.lower() for e in emails}, key=len, reverse=True)
    # Longest first, so "Anna Nowak" is replaced before a shorter name inside it.
    names = sorted({n for n in names if len(n.strip()) >= 3}, key=len, reverse=True)

    tickets = list(_contact_tickets(tenant, contact, emails))
    ticket_ids = [t.pk for t in tickets]
    for ticket in tickets:
        ticket.requester_email = placeholder_email
        ticket.requester_name = placeholder_name
        ticket.subject = _scrub(_scrub(_scrub(ticket.subject, emails, placeholder_email), names, placeholder_name),
                                phones, PHONE_PLACEHOLDER)[:250]
        ticket.save(update_fields=["requester_email", "requester_name", "subject", "updated_at"])

    messages = Message.objects.for_tenant(tenant).filter(
        Q(author_contact=contact) | Q(ticket_id__in=ticket_ids) | Q(from_email__in=emails))
    for message in messages:
        changed = {field: _scrub(_scrub(_scrub(getattr(message, field), emails, placeholder_email), names,
                                        placeholder_name), phones, PHONE_PLACEHOLDER)
                   for field in ("body", "body_html")}
        if message.author_contact_id == contact.pk or message.from_email.lower() in emails:
            changed["from_email"] = placeholder_email
            changed["author_name"] = placeholder_name
        else:
            changed["author_name"] = _scrub(message.author_name, names, placeholder_name)
        if any(getattr(message, k) != v for k, v in changed.items()):
            Message.objects.filter(pk=message.pk).update(**changed)

    AuditEvent.objects.for_tenant(tenant).filter(
        object_type=Contact._meta.label_lower, object_id=str(contact.pk)).update(summary=placeholder_name)

    contact.phones.all().delete()
    contact.emails.all().delete()
    ContactEmail.objects.create(tenant=tenant, contact=contact, email=placeholder_email)
    if user is not None:
        if not _login_used_elsewhere(user, tenant):
            _forget_login_attempts([user.username, *emails])
            user.username = f"anonymised-{user.pk}"
            user.email = ""
            user.first_name = ""
            user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
        contact.user = None
    contact.name = placeholder_name
    contact.can_file_tickets = False
    contact.save()
    audit_record(tenant=tenant, actor=actor, action="contact.anonymised", obj=contact, summary=placeholder_name,
                 data={"tickets": len(ticket_ids), "login_removed": user is not None})
    return contact
