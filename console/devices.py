"""Whether a user has a confirmed second factor, remembered in the session.

``SecondFactorMiddleware`` asks on every request of a session not yet confirmed; the answer is kept
in the session with the user's *device version*, a random token in the shared cache that every
save or delete of one of their devices replaces (``connect``). A session on another browser sees
the new version on its next request and asks the database again, so a device added elsewhere
is never missed; without the cache entry (evicted, restarted) the database is asked as well.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django_otp import user_has_device

from core import cache_versions

SESSION_KEY = "second_factor_device"
TIMEOUT = 60 * 60 * 24


def _version_key(user_id) -> str:
    return f"otp-devices:{user_id}"


def device_version(user_id) -> str:
    return cache_versions.current(_version_key(user_id), timeout=TIMEOUT)


def has_confirmed_device(request) -> bool:
    version = device_version(request.user.pk)
    remembered = request.session.get(SESSION_KEY)
    if isinstance(remembered, list) and len(remembered) == 2 and remembered[0] == version:
        return bool(remembered[1])
    answer = user_has_device(request.user, confirmed=True)
    request.session[SESSION_KEY] = [version, answer]
    return answer


def _on_device_change(sender, instance, **_kwargs) -> None:
    cache_versions.renew_now_and_on_commit(_version_key(instance.user_id))


def connect() -> None:
    """Every kind of django-otp device installed (TOTP, static codes…) invalidates on change."""
    from django_otp.models import Device

    from django.apps import apps

    for model in apps.get_models():
        if issubclass(model, Device):
            post_save.connect(_on_device_change, sender=model, dispatch_uid=f"otp-devices-save-{model._meta.label}")
            post_delete.connect(_on_device_change, sender=model, dispatch_uid=f"otp-devices-delete-{model._meta.label}")
