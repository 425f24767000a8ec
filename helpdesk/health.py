"""``/healthz``: is the installation fit, and is its background work keeping up?

Two probes:

- ``/healthz/live``: the web process and its database. Load balancers and the web container's own
  healthcheck use it: a stopped worker must not take the web servers out of rotation.
- ``/healthz``: everything an operator watches, each check with its figure and threshold — the
  database, the broker, the age of the last SLA scan, the oldest undelivered notification (the
  outbox), the oldest inbound e-mail not yet processed and the oldest IMAP poll. 503 as soon as one
  is past its threshold, so a monitoring system alerts while deadlines still can be kept.

Thresholds are settings (``HEALTH_*_MAX_AGE`` seconds, README's configuration table).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from helpdesk import backlog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: dict

    def as_dict(self) -> dict:
        return {"status": "ok" if self.ok else "failing", **self.detail}


def _age(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else round(max((now - since).total_seconds(), 0.0), 1)


def _aged(name: str, since: datetime | None, now: datetime, limit: int, *, missing_ok: bool) -> Check:
    """A check that fails when ``since`` is older than ``limit`` seconds (or absent, unless allowed)."""
    age = _age(since, now)
    ok = (age is None and missing_ok) or (age is not None and age <= limit)
    return Check(name, ok, {"since": since.isoformat() if since else None, "age_seconds": age,
                            "max_age_seconds": limit})


def database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Health check: the database does not answer: %s", exc)
        return Check("database", False, {"error": exc.__class__.__name__})
    return Check("database", True, {})


def broker_check() -> Check:
    from helpdesk.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            # Some transports connect lazily (Redis opens its socket on first use): ask it.
            client = getattr(conn.default_channel, "client", None)
            if client is not None and hasattr(client, "ping"):
                client.ping()
    except Exception as exc:  # kombu raises transport-specific errors
        logger.warning("Health check: the broker does not answer: %s", exc)
        return Check("broker", False, {"error": exc.__class__.__name__})
    return Check("broker", True, {})


def checks(now: datetime | None = None) -> list[Check]:
    now = now or timezone.now()
    result = [database_check()]
    if not result[0].ok:
        return result
    result.append(broker_check())
    figures = backlog.figures(now=now)
    result += [
        # A fresh installation has not scanned yet: absent is fine until beat's first minute.
        _aged("sla_scan", figures.last_sla_scan, now, settings.HEALTH_SLA_SCAN_MAX_AGE,
              missing_ok=figures.running_tickets == 0),
        _aged("outbox", figures.oldest_undelivered, now, settings.HEALTH_OUTBOX_MAX_AGE, missing_ok=True),
        _aged("intake", figures.oldest_unprocessed_inbound, now, settings.HEALTH_INTAKE_MAX_AGE, missing_ok=True),
        _aged("imap_poll", figures.oldest_mailbox_poll, now, settings.HEALTH_INTAKE_MAX_AGE, missing_ok=True),
    ]
    return result


@never_cache
@require_safe
def live(request):
    check = database_check()
    return JsonResponse({"status": "ok" if check.ok else "error", "database": check.as_dict()},
                        status=200 if check.ok else 503)


@never_cache
@require_safe
def healthz(request):
    results = checks()
    healthy = all(c.ok for c in results)
    body = {"status": "ok" if healthy else "error", "checks": {c.name: c.as_dict() for c in results}}
    if results[0].ok:
        body["periodic_heartbeat"] = backlog.periodic_heartbeat()
    return JsonResponse(body, status=200 if healthy else 503)
