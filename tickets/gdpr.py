"""The tickets' part of a contact's data: their tickets and messages (RODO access and erasure)."""
from __future__ import annotations

from typing import Any

from django.db.models import Q

from core.gdpr import DataSubject, iso
from core.models import Contact, Tenant
from tickets import search
from tickets.models import Message, Ticket


def contact_tickets(tenant: Tenant, contact: Contact, emails: list[str]):
    """The tickets the contact filed, or that came from one of their addresses."""
    who = Q(contact=contact)
    if emails:
        who |= Q(requester_email__in=emails)
    return Ticket.objects.for_tenant(tenant).filter(who)


class TicketData:
    def export(self, subject: DataSubject) -> dict[str, Any]:
        tenant, contact = subject.tenant, subject.contact
        tickets = list(contact_tickets(tenant, contact, subject.emails).select_related("organization", "category")
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

        def message_data(message: Message) -> dict[str, Any]:
            return {
                "id": message.pk, "created_at": iso(message.created_at), "from_staff": message.from_staff,
                "author_name": message.author_name, "from_email": message.from_email,
                "written_by_this_contact": message.author_contact_id == contact.pk, "source": message.source,
                "body": message.body,
                "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                                 "created_at": iso(a.created_at)} for a in message.attachments.all()],
            }

        return {
            "tickets": [{
                "reference": ticket.reference, "subject": ticket.subject, "status": ticket.status,
                "channel": ticket.channel, "critical": ticket.critical,
                "category": ticket.category.name if ticket.category else None,
                "organization": ticket.organization.name if ticket.organization else None,
                "requester_name": ticket.requester_name, "requester_email": ticket.requester_email,
                "received_at": iso(ticket.received_at), "resolved_at": iso(ticket.resolved_at),
                "closed_at": iso(ticket.closed_at),
                "messages": [message_data(m) for m in by_ticket.get(ticket.pk, [])],
            } for ticket in tickets],
            "messages_on_other_tickets": [{"ticket": m.ticket.reference, **message_data(m)} for m in own_elsewhere],
        }

    def anonymise(self, subject: DataSubject) -> dict[str, Any]:
        tenant, contact = subject.tenant, subject.contact
        tickets = list(contact_tickets(tenant, contact, subject.emails))
        ticket_ids = [t.pk for t in tickets]
        for ticket in tickets:
            ticket.requester_email = subject.placeholder_email
            ticket.requester_name = subject.placeholder_name
            ticket.subject = subject.scrub(ticket.subject)[:250]
            ticket.save(update_fields=["requester_email", "requester_name", "subject", "updated_at"])

        messages = Message.objects.for_tenant(tenant).filter(
            Q(author_contact=contact) | Q(ticket_id__in=ticket_ids) | Q(from_email__in=subject.emails))
        touched: set[int] = set()
        for message in messages:
            changed = {field: subject.scrub(getattr(message, field)) for field in ("body", "body_html")}
            if message.author_contact_id == contact.pk or message.from_email.lower() in subject.emails:
                changed["from_email"] = subject.placeholder_email
                changed["author_name"] = subject.placeholder_name
            else:
                changed["author_name"] = subject.scrub(message.author_name)
            if any(getattr(message, k) != v for k, v in changed.items()):
                Message.objects.filter(pk=message.pk).update(**changed)
                touched.add(message.ticket_id)
        for ticket_id in sorted(touched):
            # update() sends no signal: the erased words leave the search index here.
            search.ticket_reindex_body(ticket_id, tenant.pk)
        return {"tickets": len(ticket_ids)}
