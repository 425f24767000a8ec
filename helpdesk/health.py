"""``/healthz``: the probe that load balancers and docker-compose ask whether the web process is fit.

200 when the database answers, 503 when it does not. The time of the last periodic heartbeat is
reported but does not fail the probe: a stopped worker or beat must not take the web servers out
of rotation, while the admin index shows it (amber, then red) and alerts can watch the field.
"""
from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.models import Heartbeat

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        seen_at = Heartbeat.objects.filter(name="periodic").values_list("seen_at", flat=True).first()
    except DatabaseError as exc:
        logger.warning("Health check: the database does not answer: %s", exc)
        return JsonResponse({"status": "error", "database": "unavailable", "periodic_heartbeat": None},
                            status=503)
    return JsonResponse({"status": "ok", "database": "ok",
                         "periodic_heartbeat": seen_at.isoformat() if seen_at else None})
