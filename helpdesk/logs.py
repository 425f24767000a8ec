"""Logs: one JSON object a line in production, readable lines in development.

Every line carries the request id (the client's ``X-Request-ID`` when it sends a sane one, else a
new one, echoed in the response) and the tenant, or the Celery task's id and name: the context is
kept in ``contextvars`` by structlog and merged into records of the standard ``logging`` module
too, so Django's, Celery's and the project's own log lines all carry it.
"""
from __future__ import annotations

import logging
import os
import re
import time
import uuid

import structlog
from celery.signals import task_postrun, task_prerun

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("helpdesk.access")

def _add_process(_logger, _method, event: dict) -> dict:
    event.setdefault("pid", os.getpid())
    return event


_SHARED = [
    structlog.contextvars.merge_contextvars,
    _add_process,
    structlog.stdlib.ExtraAdder(allow=["method", "path", "status", "duration_ms", "user_id"]),
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_config(*, json: bool, level: str) -> dict:
    """``LOGGING`` for Django: the standard library's records rendered by structlog."""
    renderer = (structlog.processors.JSONRenderer() if json
                else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": _SHARED,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        }},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }


class RequestContextMiddleware:
    """Bind the request id and the tenant for every log line of the request; echo the id; write
    the access log line (method, path, status, duration), so it carries the same context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        tenant = getattr(request, "tenant", None)
        structlog.contextvars.bind_contextvars(request_id=request_id, tenant=tenant.slug if tenant else None)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            access_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None})
        finally:
            structlog.contextvars.clear_contextvars()
        response["X-Request-ID"] = request_id
        return response


@task_prerun.connect
def _task_context(task_id=None, task=None, **_kwargs) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id, task=getattr(task, "name", None))


@task_postrun.connect
def _task_context_clear(**_kwargs) -> None:
    structlog.contextvars.clear_contextvars()
