"""The SLA monitor's Celery tasks and the reliability every periodic task of the product shares.

``ReliableTask`` is the base for tasks that must not be lost: late acknowledgement (a task whose
worker dies is delivered again), retries with exponential backoff and jitter, time limits. A task
that exhausts its retries, or fails with an error that is not retried, leaves a ``FailedTask`` row
(the ``task_failure`` handler below covers every task of the app, whatever its base).
"""
from __future__ import annotations

import logging
import smtplib
import time
import traceback as traceback_module

from celery import Task, shared_task
from celery.signals import task_failure, task_postrun
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from core.services import heartbeat_beat
from monitor import services

SCAN_HEARTBEAT = "sla-scan"

log = logging.getLogger(__name__)


class ReliableTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (OperationalError, OSError, smtplib.SMTPException)
    max_retries = 6
    retry_backoff = 5          # 5 s, 10 s, 20 s … (exponential)
    retry_backoff_max = 600
    retry_jitter = True
    time_limit = settings.CELERY_TASK_TIME_LIMIT
    soft_time_limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
    ignore_result = True


def _pause_between_batches() -> None:
    # Operational knob (and the crash tests' window): slow a scan down between batches.
    seconds = float(getattr(settings, "SLA_SCAN_PAUSE_SECONDS", 0) or 0)
    if seconds > 0:
        time.sleep(seconds)


@shared_task(base=ReliableTask, name="monitor.tasks.scan")
def scan() -> dict:
    """Beat, every minute: record due warnings/breaches/lost pages, then notify once."""
    started = time.monotonic()
    recorded = services.sla_scan(batch_size=int(getattr(settings, "SLA_SCAN_BATCH_SIZE", 500)),
                                 between_batches=_pause_between_batches)
    # /healthz and the metrics report the age of the last completed recording step.
    heartbeat_beat(SCAN_HEARTBEAT)
    delivered = services.notifications_deliver()
    summary = {"warnings": recorded.warnings, "breaches": recorded.breaches, "met": recorded.met,
               "pages": recorded.pages, "notified_events": delivered.events, "emails": delivered.emails,
               "pages_sent": delivered.pages, "seconds": round(time.monotonic() - started, 3)}
    if recorded.warnings or recorded.breaches or recorded.pages or delivered.events:
        log.info("sla scan: %s", summary)
    return summary


@shared_task(base=ReliableTask, name="monitor.tasks.deliver")
def deliver() -> dict:
    """Send recorded SLA events that are still unsent (also run at the end of every scan)."""
    result = services.notifications_deliver()
    return {"events": result.events, "emails": result.emails, "pages": result.pages}


@task_failure.connect
def failed_task_record(sender=None, task_id=None, exception=None, args=None, kwargs=None, traceback=None,
                       einfo=None, **_extra) -> None:
    """Dead-letter record: a task that finally failed (retries exhausted or not retryable)."""
    from monitor.models import FailedTask

    try:
        request = getattr(sender, "request", None)
        FailedTask.objects.create(
            task_name=getattr(sender, "name", str(sender)),
            task_id=task_id or "",
            args=_jsonable(list(args or [])),
            kwargs=_jsonable(dict(kwargs or {})),
            exception=f"{type(exception).__name__}: {exception}"[:5000],
            traceback=str(einfo) if einfo else "".join(traceback_module.format_tb(traceback)) if traceback else "",
            retries=getattr(request, "retries", 0) or 0,
            failed_at=timezone.now(),
        )
    except Exception:  # The dead-letter record must never hide the original failure.
        log.exception("could not record failed task %s", task_id)


@task_postrun.connect
def page_sent_confirm(sender=None, args=None, state=None, **_extra) -> None:
    """tickets.tasks.notify("page_on_call", id) finished: the page went out, don't re-send it."""
    if getattr(sender, "name", "") != "tickets.tasks.notify" or state != "SUCCESS":
        return
    if not args or len(args) < 2 or args[0] != "page_on_call":
        return
    try:
        services.page_confirm(ticket_id=int(args[1]))
    except Exception:  # Worst case the monitor re-sends the page once: never fail the task for it.
        log.exception("could not confirm the page of ticket %s", args[1])


def _jsonable(value):
    import json

    try:
        json.dumps(value)
        return value
    except TypeError:
        return json.loads(json.dumps(value, default=repr))
