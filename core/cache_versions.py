"""Version tokens in the shared cache: what is cached carries the token of the data it was computed
from, and renewing the token puts every such entry out of reach at once.

A token is random, not a counter: once the cache evicts it, the next one never equals an old one, so
an entry cached under an earlier token cannot come back. Renewing deletes it; the next reader adds a
new one.

Within one request the tokens, and the entries read through ``get_or_compute(..., memo=True)``, are
also kept in a dict of the request (``begin_request`` / ``end_request``, on Django's request
signals): a page that reads four cached lists under the same two tokens asks Redis for the tokens
once, not four times, and a list it shows twice once. Renewing any token empties that dict, so a
request that changes data and reads it again sees the change. Outside a request (workers, commands)
nothing is kept.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache
from django.db import transaction

_MISSING = object()
# (tokens, entries) of the request being served; None outside a request
_request: ContextVar[tuple[dict[str, str], dict[str, Any]] | None] = ContextVar("cache_versions_request",
                                                                                 default=None)


def begin_request(**_kwargs) -> None:
    _request.set(({}, {}))


def end_request(**_kwargs) -> None:
    _request.set(None)


def current(key: str, timeout: int | None = None) -> str:
    memo = _request.get()
    if memo is not None and key in memo[0]:
        return memo[0][key]
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, timeout=timeout):
            token = cache.get(key) or token
    if memo is not None:
        memo[0][key] = token
    return token


def renew(key: str) -> None:
    memo = _request.get()
    if memo is not None:
        memo[0].clear()
        memo[1].clear()
    cache.delete(key)


def renew_now_and_on_commit(key: str) -> None:
    """For a change inside a transaction: at once, and again when it commits, so that a request that
    read the old rows in between does not keep its answer."""
    renew(key)
    transaction.on_commit(lambda: renew(key))


def get_or_compute(key: str, compute: Callable[[], Any], timeout: int, *, memo: bool = False) -> Any:
    """The entry under ``key`` (``None`` included), or ``compute()``'s answer, stored there. With
    ``memo`` the answer is also kept for the rest of the request: the caller must not change it."""
    request = _request.get() if memo else None
    entries = request[1] if request is not None else None
    if entries is not None and key in entries:
        return entries[key]
    hit = cache.get(key, _MISSING)
    if hit is not _MISSING:
        value = hit
    else:
        value = compute()
        cache.set(key, value, timeout=timeout)
    if entries is not None:
        entries[key] = value
    return value
