"""The core's Celery tasks: the heartbeat and the outbox dispatchers.

Celery only wakes the dispatchers: the work itself (messages, webhook deliveries) is rows in the
database, written with the changes that cause it. A wake-up that never reaches a worker (the broker
was down) loses nothing: beat's ``outbox_sweep`` runs both dispatchers every minute.
"""
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from core.services import heartbeat_beat


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Run by beat every minute: proves that beat schedules and a worker executes."""
    heartbeat_beat("periodic")


@shared_task(ignore_result=True, acks_late=True)
def outbox_dispatch() -> dict:
    """Send due outbound messages (e-mails, pages, digests), each marked sent on its own."""
    from core import outbox

    result = outbox.dispatch()
    return {"sent": result.sent, "failed": result.failed, "skipped": result.skipped}


@shared_task(ignore_result=True, acks_late=True)
def webhook_dispatch() -> int:
    """Deliver due webhooks, each (event, endpoint) marked delivered on its own."""
    from core import webhooks

    return webhooks.dispatch()


@shared_task(ignore_result=True, acks_late=True)
def outbox_sweep() -> None:
    """Beat, every minute: wake both dispatchers (catches up after a broker outage and runs retries);
    forget API idempotency keys older than 24 h."""
    from core import outbox
    from core.models import IdempotencyKey

    outbox.wake(outbox_dispatch)
    outbox.wake(webhook_dispatch)
    IdempotencyKey.objects.filter(created_at__lt=timezone.now() - timedelta(hours=24)).delete()


@shared_task(ignore_result=True)
def webhook_retry() -> None:
    """The sweep's former name, kept for schedules and queued messages that still use it."""
    from core import outbox, webhooks

    webhooks.dispatch()
    outbox.dispatch()


@shared_task(ignore_result=True, acks_late=True)
def webhook_deliver(delivery_id: int) -> None:
    """One attempt of one webhook delivery (a manual retry); does nothing when it is not due or done."""
    from core.webhooks import deliver

    deliver(delivery_id)
