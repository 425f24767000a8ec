from celery import shared_task

from core.services import heartbeat_beat


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Run by beat every minute: proves that beat schedules and a worker executes."""
    heartbeat_beat("periodic")


@shared_task(ignore_result=True, acks_late=True)
def webhook_deliver(delivery_id: int) -> None:
    """One attempt of a webhook delivery (does nothing when it is not due or already done)."""
    from core.webhooks import deliver

    deliver(delivery_id)


@shared_task(ignore_result=True)
def webhook_retry() -> None:
    """Run by beat every minute: send due webhook retries; forget idempotency keys older than 24 h."""
    from datetime import timedelta

    from django.utils import timezone

    from core.models import IdempotencyKey
    from core.webhooks import deliver, due_deliveries

    for delivery_id in due_deliveries():
        deliver(delivery_id)
    IdempotencyKey.objects.filter(created_at__lt=timezone.now() - timedelta(hours=24)).delete()
