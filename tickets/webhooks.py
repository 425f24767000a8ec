"""The webhook events of tickets: what each kind of ticket notification sends to subscribed CRMs."""
from __future__ import annotations

from core import webhooks
from tickets.api import message_payload, ticket_payload

# kind passed to tickets.tasks.notify -> event type.
TICKET_KINDS = {
    "ticket_created": "ticket.created",
    "ticket_updated": "ticket.updated",
    "message_added": "ticket.message_added",
}


def ticket_event(kind: str, object_id: int) -> None:
    """Emit the webhook of a ``tickets.tasks.notify`` kind (ticket_created, ticket_updated, message_added).

    Other kinds are ignored. Internal notes never produce an event.
    """
    event_type = TICKET_KINDS.get(kind)
    if event_type is None:
        return
    if kind == "message_added":
        payload = message_payload(object_id)
    else:
        payload = ticket_payload(object_id)
    if payload is None:
        return
    tenant_id, data = payload
    # Stable ids: a retried notify task does not send the same event again.
    if kind == "ticket_updated":
        event_id = f"msg_ticket_{object_id}_updated_{data['ticket']['updated_at']}"
    else:
        event_id = f"msg_{kind}_{object_id}"
    webhooks.emit(tenant_id, event_type, data, event_id=event_id[:64])
