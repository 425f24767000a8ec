from celery import shared_task

from helpdesk.services import heartbeat_beat


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Run by beat every minute: proves that beat schedules and a worker executes."""
    heartbeat_beat("periodic")
