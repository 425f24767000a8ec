"""The webhook events of tickets, emitted inside the transaction of each change.

Each change is one event carrying the ticket as the API shows it at that moment (the same
serializer, built in the change's transaction), so three quick status changes are three events
with three states, and a message posted while the ticket was "new" says "new".
"""
from __future__ import annotations

from core import webhooks
from tickets.api import MessageSerializer, TicketSerializer
from tickets.models import Message, Ticket


def ticket_data(ticket: Ticket) -> dict:
    """The API's representation of ``ticket`` as it is now (in this transaction)."""
    return dict(TicketSerializer(ticket).data)


def ticket_event(event_type: str, ticket: Ticket, **extra) -> str | None:
    """Emit ``ticket.created`` or ``ticket.updated`` with the ticket's current state.

    ``extra`` is added to ``data``: ``previous_status`` on status changes, ``changes`` (the names
    of the changed fields) on updates.
    """
    endpoints = webhooks.subscribers(ticket.tenant_id, event_type)
    if not endpoints:
        return None
    return webhooks.emit(ticket.tenant_id, event_type, {"ticket": ticket_data(ticket), **extra}, endpoints=endpoints)


def message_event(ticket: Ticket, message: Message) -> str | None:
    """``ticket.message_added`` for a public message; internal notes never produce an event."""
    if message.internal:
        return None
    endpoints = webhooks.subscribers(ticket.tenant_id, "ticket.message_added")
    if not endpoints:
        return None
    message = Message.objects.prefetch_related("attachments").get(pk=message.pk)
    return webhooks.emit(ticket.tenant_id, "ticket.message_added",
                         {"ticket": ticket_data(ticket), "message": dict(MessageSerializer(message).data)},
                         endpoints=endpoints)
