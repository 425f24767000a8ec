"""Mail about sessions goes through the delivery outbox (``core.outbox``), like ticket mail.

Each function writes one outbox row per (message, recipient) — the customer and the agent — in the
transaction of the booking, move or cancellation that causes it, so the mail exists if and only if
the change committed. The row carries the session as it was at the change (time, agent, SEQUENCE);
the handler ``appointments.mail`` renders the e-mail and its iCalendar invitation from that state,
with the row's stable Message-ID, when the dispatcher sends it.
"""
from __future__ import annotations

import uuid

from core import outbox
from appointments.models import Appointment

MAIL = "appointments.mail"
KINDS = ("booked", "proposed", "rescheduled", "cancelled", "reminder_day", "reminder_soon")


def recipients(appointment: Appointment) -> list[str]:
    """The contact's first address, then the agent's (each gets a message of their own)."""
    addresses: list[str] = []
    if appointment.contact_id is not None:
        first = appointment.contact.emails.order_by("id").values_list("email", flat=True).first()
        if first:
            addresses.append(first)
    agent_email = appointment.agent.user.email if appointment.agent_id else ""
    if agent_email and agent_email.lower() not in {a.lower() for a in addresses}:
        addresses.append(agent_email)
    return addresses


def snapshot(appointment: Appointment) -> dict:
    return {"starts_at": appointment.starts_at.isoformat(), "ends_at": appointment.ends_at.isoformat(),
            "sequence": appointment.sequence, "agent": appointment.agent_id}


def enqueue(kind: str, appointment: Appointment, *, key: str | None = None) -> int:
    """Write the outbox rows of one message about ``appointment``; call inside the change's transaction.

    ``key`` names the message for deduplication (a reminder is sent once per session and arming);
    without it every call is a new message.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown appointment mail {kind!r}")
    message = key or f"{kind}:{uuid.uuid4().hex}"
    payload = {"appointment": appointment.pk, "kind": kind, "state": snapshot(appointment)}
    written = 0
    for address in recipients(appointment):
        row = outbox.enqueue(tenant=appointment.tenant_id, handler=MAIL, recipient=address, payload=payload,
                             dedupe_key=f"appointment:{appointment.pk}:{message}:{address.lower()}")
        written += row is not None
    return written


def booked(appointment: Appointment) -> None:
    enqueue("booked", appointment)


def proposed(appointment: Appointment) -> None:
    enqueue("proposed", appointment)


def rescheduled(appointment: Appointment) -> None:
    enqueue("rescheduled", appointment)


def cancelled(appointment: Appointment) -> None:
    enqueue("cancelled", appointment)
