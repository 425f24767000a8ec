"""How far behind the background work is: the figures ``/healthz`` judges and ``/metrics`` exports.

Every figure is one indexed query (an oldest row, an existence test or a grouped count), so a
probe every few seconds costs the database nothing worth measuring at 100 000 tickets.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min

from core.models import Heartbeat, OutboxMessage, WebhookDelivery
from monitor.models import SlaEvent
from monitor.tasks import SCAN_HEARTBEAT
from tickets.models import InboundEmail, Mailbox, Ticket


@dataclass(frozen=True)
class Figures:
    last_sla_scan: datetime | None
    running_tickets: bool
    oldest_undelivered: datetime | None
    oldest_unprocessed_inbound: datetime | None
    oldest_mailbox_poll: datetime | None


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def figures(*, now: datetime) -> Figures:
    return Figures(
        last_sla_scan=Heartbeat.objects.filter(name=SCAN_HEARTBEAT).values_list("seen_at", flat=True).first(),
        running_tickets=Ticket.objects.filter(sla_state=Ticket.SlaState.RUNNING).exists(),
        oldest_undelivered=_earliest(
            OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).aggregate(at=Min("created_at"))["at"],
            WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).aggregate(at=Min("created_at"))["at"],
            SlaEvent.objects.filter(notified_at__isnull=True).aggregate(at=Min("recorded_at"))["at"],
        ),
        oldest_unprocessed_inbound=InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED)
        .aggregate(at=Min("received_at"))["at"],
        # A mailbox never polled counts from when it was created.
        oldest_mailbox_poll=_earliest(
            Mailbox.objects.filter(active=True, last_polled_at__isnull=False).aggregate(at=Min("last_polled_at"))["at"],
            Mailbox.objects.filter(active=True, last_polled_at__isnull=True).aggregate(at=Min("created_at"))["at"],
        ),
    )


def periodic_heartbeat() -> str | None:
    seen_at = Heartbeat.objects.filter(name="periodic").values_list("seen_at", flat=True).first()
    return seen_at.isoformat() if seen_at else None


def tickets_by_sla_state() -> dict[str, int]:
    counts = dict(Ticket.objects.values_list("sla_state").annotate(n=Count("pk")).order_by())
    return {state: counts.get(state, 0) for state in Ticket.SlaState.values}


def webhook_deliveries_by_status() -> dict[str, int]:
    counts = dict(WebhookDelivery.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {status: counts.get(status, 0) for status in WebhookDelivery.Status.values}


def outbox_messages_by_status() -> dict[str, int]:
    counts = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {status: counts.get(status, 0) for status in OutboxMessage.Status.values}
