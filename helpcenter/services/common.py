"""What the write services share: hand-off of notifications, the posting rate limit, audit."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.models import Tenant, User


# Posts (topics, replies, suggestions) a customer may write per window; staff are not limited.
POST_RATE = getattr(settings, "HELPCENTER_POST_RATE", (6, 600))


def notify(kind: str, object_id: int) -> None:
    """Queue the e-mails of ``kind`` in the caller's transaction (the delivery outbox sends them)."""
    from helpcenter import tasks

    if kind == "post_added":
        tasks.post_added_enqueue(object_id)
    else:
        raise ValueError(f"unknown help center notification {kind!r}")


_rate_limit_on: ContextVar[bool] = ContextVar("helpcenter_rate_limit_on", default=True)


@contextmanager
def rate_limit_off():
    """For loading history (the demo, an import): many posts of one person at once are expected there."""
    token = _rate_limit_on.set(False)
    try:
        yield
    finally:
        _rate_limit_on.reset(token)


def rate_check(*, tenant: Tenant, user: User, is_staff: bool) -> None:
    if is_staff or not _rate_limit_on.get():
        return
    limit, window = POST_RATE
    key = f"helpcenter:posts:{tenant.pk}:{user.pk}"
    if cache.add(key, 1, timeout=window):
        return
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return
    if count > limit:
        raise ValidationError(_("You are writing faster than the forum allows. Please wait a few minutes "
                                "and try again."), code="rate_limited")
