"""What the tickets app sends through the outbox, and mail polling.

The messages are written by ``tickets.services`` in the transaction of the change (a new ticket, a
public reply, a critical ticket); the outbox dispatcher (``core.outbox``) calls the handlers below,
each for one row: one e-mail to one recipient.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings

from core import outbox
from tickets.models import OutboundEmail, Ticket



def acknowledgement_send(row) -> None:
    """Outbox handler ``tickets.acknowledgement``: the requester's acknowledgement of a new ticket."""
    from tickets.email import outbound

    record = outbound.acknowledgement_send(row.payload["ticket"])
    if record is None:
        raise outbox.Skip("no acknowledgement for this ticket")
    if record.status == OutboundEmail.Status.SUPPRESSED:
        raise outbox.Skip(record.reason or "suppressed")


def reply_send(row) -> None:
    """Outbox handler ``tickets.reply``: an agent's public reply, mailed to the requester."""
    from tickets.email import outbound

    record = outbound.reply_send(row.payload["message"])
    if record is None:
        raise outbox.Skip("not a public staff reply")
    if record.status == OutboundEmail.Status.SUPPRESSED:
        raise outbox.Skip(record.reason or "suppressed")


def merged_send(row) -> None:
    """Outbox handler ``tickets.merged``: the requester learns their ticket was merged into another."""
    from tickets.email import outbound

    record = outbound.merged_send(row.payload["source"], row.payload["target"])
    if record is None:
        raise outbox.Skip("no requester to tell")
    if record.status == OutboundEmail.Status.SUPPRESSED:
        raise outbox.Skip(record.reason or "suppressed")


def local_time_text(moment, tenant) -> str:
    """A deadline as people read it: the tenant's local time, "30.11.2026, 10:50 (Europe/Warsaw)"."""
    zone = ZoneInfo(tenant.time_zone)
    return f"{moment.astimezone(zone):%d.%m.%Y, %H:%M} ({tenant.time_zone})"


def page_send(row) -> None:
    """Outbox handler ``tickets.page``: page one on-call person about a critical ticket."""
    ticket = Ticket.objects.select_related("tenant", "organization").filter(pk=row.payload["ticket"]).first()
    if ticket is None:
        raise outbox.Skip("the ticket was deleted")
    organization = ticket.organization.name if ticket.organization else ticket.requester_email
    deadline = local_time_text(ticket.due_at, ticket.tenant) if ticket.due_at else "brak gwarancji"
    outbox.mail_send(
        row,
        subject=f"[{ticket.reference}] KRYTYCZNE: {ticket.subject}",
        body=(f"Zgłoszenie krytyczne {ticket.reference} od {organization}.\n"
              f"Termin reakcji: {deadline}\n"),
        from_email=ticket.tenant.support_email or settings.DEFAULT_FROM_EMAIL,
        headers={"X-Helpdesk-Ticket": ticket.reference, "Importance": "high"})


def handlers_register() -> None:
    outbox.handler_register("tickets.acknowledgement", acknowledgement_send)
    outbox.handler_register("tickets.reply", reply_send)
    outbox.handler_register("tickets.page", page_send)
    outbox.handler_register("tickets.merged", merged_send)


@shared_task(ignore_result=True)
def imap_poll() -> int:
    """Beat, every minute: read new mail of every active mailbox. Returns how many messages were read."""
    from tickets.email.imap import mailbox_poll, mailboxes_due

    count = 0
    for mailbox_id in mailboxes_due():
        count += len(mailbox_poll(mailbox_id))
    return count
