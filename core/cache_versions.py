"""Version tokens in the shared cache: what is cached carries the token of the data it was computed
from, and renewing the token puts every such entry out of reach at once.

A token is random, not a counter: once the cache evicts it, the next one never equals an old one, so
an entry cached under an earlier token cannot come back. Renewing deletes it; the next reader adds a
new one.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

_MISSING = object()


def current(key: str, timeout: int | None = None) -> str:
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, timeout=timeout):
            token = cache.get(key) or token
    return token


def renew(key: str) -> None:
    cache.delete(key)


def renew_now_and_on_commit(key: str) -> None:
    """For a change inside a transaction: at once, and again when it commits, so that a request that
    read the old rows in between does not keep its answer."""
    renew(key)
    transaction.on_commit(lambda: renew(key))


def get_or_compute(key: str, compute: Callable[[], Any], timeout: int) -> Any:
    """The entry under ``key`` (``None`` included), or ``compute()``'s answer, stored there."""
    hit = cache.get(key, _MISSING)
    if hit is not _MISSING:
        return hit
    value = compute()
    cache.set(key, value, timeout=timeout)
    return value
