"""Periodic tasks the product relies on, kept as django-celery-beat rows (editable in the admin)."""
from __future__ import annotations

# name -> (task, every N seconds). Other apps' tasks are listed here so one place shows them all.
SCHEDULES: dict[str, tuple[str, int]] = {
    "heartbeat": ("core.tasks.heartbeat", 60),
    "outbox-sweep": ("core.tasks.outbox_sweep", 60),
    "imap-poll": ("tickets.tasks.imap_poll", 60),
    "sla-scan": ("monitor.tasks.scan", 60),
    "billing-package-notices": ("billing.tasks.package_notices", 24 * 3600),
    "billing-close-month": ("billing.tasks.close_month", 24 * 3600),
    "appointment-reminders": ("appointments.tasks.reminders_send", 60),
}

# Periodic tasks of earlier versions, removed when the schedules are synchronised.
RETIRED = ("webhook-retry",)


def schedules_sync(**_kwargs) -> None:
    """Create missing periodic tasks; never overwrite what an admin changed (interval, enabled).

    The task path is the code's, not an admin's choice: a row whose task moved to another module
    is pointed at the new path.
    """
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    # The sweep of the outbox replaced the webhook retry task: one periodic task, not two.
    PeriodicTask.objects.filter(name__in=RETIRED).delete()
    for name, (task, seconds) in SCHEDULES.items():
        if PeriodicTask.objects.filter(name=name).exists():
            PeriodicTask.objects.filter(name=name).exclude(task=task).update(task=task)
            continue
        interval, _created = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=name, task=task, interval=interval)
