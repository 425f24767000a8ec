"""Notifications of ticket events and mail polling, run by the workers after the transaction commits."""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from core.models import Membership
from tickets.models import Ticket

log = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def notify(kind: str, object_id: int) -> None:
    """Fan-out point for ticket events (e-mail now; webhooks subscribe here too).

    Kinds: ``ticket_created`` (ticket id) acknowledges the request, ``message_added`` (message id)
    mails an agent's public reply, ``page_on_call`` (ticket id) pages the on-call staff.
    Every branch is idempotent: a retry never sends a second e-mail.
    """
    from tickets.webhooks import ticket_event
    from tickets.email import outbound

    # Webhook events first: they carry stable ids, so a retry after a mail error sends none twice.
    ticket_event(kind, object_id)
    if kind == "page_on_call":
        page_on_call(object_id)
    elif kind == "ticket_created":
        outbound.acknowledgement_send(object_id)
    elif kind == "message_added":
        outbound.reply_send(object_id)


def page_on_call(ticket_id: int) -> None:
    ticket = Ticket.objects.select_related("tenant", "organization").filter(pk=ticket_id).first()
    if ticket is None:
        return
    recipients = list(Membership.objects.for_tenant(ticket.tenant).filter(on_call=True)
                      .exclude(user__email="").values_list("user__email", flat=True))
    if not recipients:
        log.warning("ticket %s: nobody is on call", ticket.reference)
        return
    organization = ticket.organization.name if ticket.organization else ticket.requester_email
    send_mail(
        subject=f"[{ticket.reference}] KRYTYCZNE: {ticket.subject}",
        message=(f"Zgłoszenie krytyczne {ticket.reference} od {organization}.\n"
                 f"Termin reakcji: {ticket.due_at.isoformat() if ticket.due_at else 'brak gwarancji'}\n"),
        from_email=ticket.tenant.support_email or settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )


@shared_task(ignore_result=True)
def imap_poll() -> int:
    """Beat, every minute: read new mail of every active mailbox. Returns how many messages were read."""
    from tickets.email.imap import mailbox_poll, mailboxes_due

    count = 0
    for mailbox_id in mailboxes_due():
        count += len(mailbox_poll(mailbox_id))
    return count
