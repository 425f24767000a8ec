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
from celery.signals import task_failure
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
    """Beat, every minute: record due warnings and breaches, then put them into one digest per
    recipient (outbox messages, sent by the outbox dispatcher once this commits)."""
    started = time.monotonic()
    recorded = services.sla_scan(batch_size=int(getattr(settings, "SLA_SCAN_BATCH_SIZE", 500)),
                                 between_batches=_pause_between_batches)
    # /healthz and the metrics report the age of the last completed recording step.
    heartbeat_beat(SCAN_HEARTBEAT)
    queued = services.notifications_deliver()
    summary = {"warnings": recorded.warnings, "late_warnings": recorded.late_warnings,
               "breaches": recorded.breaches, "met": recorded.met, "digested_events": queued.events,
               "digests": queued.emails, "seconds": round(time.monotonic() - started, 3)}
    if recorded.warnings or recorded.breaches or queued.events:
        log.info("sla scan: %s", summary)
    return summary


@shared_task(base=ReliableTask, name="monitor.tasks.deliver")
def deliver() -> dict:
    """Put recorded SLA events that are in no digest yet into digests (also done by every scan)."""
    result = services.notifications_deliver()
    return {"events": result.events, "digests": result.emails}


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


def _jsonable(value):
    import json

    try:
        json.dumps(value)
        return value
    except TypeError:
        return json.loads(json.dumps(value, default=repr))
