"""A rate limit per token (or per staff session), with ``RateLimit-*`` headers."""
from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from core.models import ApiToken


def parse_rate(rate: str) -> tuple[int, int]:
    number, _sep, period = rate.partition("/")
    seconds = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
               "d": 86400, "day": 86400}[period.strip().lower()]
    return int(number), seconds


class ApiRateThrottle(BaseThrottle):
    """A fixed window per token (or per staff login) in the shared cache (Redis in production).

    ``settings.API_RATE`` is read on each request, e.g. ``"600/min"``.
    """

    def allow_request(self, request, view):
        limit, period = parse_rate(settings.API_RATE)
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        now = time.time()
        window = int(now // period)
        key = f"api-rate:{ident}:{period}:{window}"
        if cache.add(key, 1, timeout=period + 1):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # Expired between add and incr.
                cache.set(key, 1, timeout=period + 1)
                count = 1
        self._wait = max(1, math.ceil((window + 1) * period - now))
        request._request.api_rate = (limit, max(0, limit - count), self._wait)
        return count <= limit

    def wait(self):
        return self._wait
