"""The tenant, membership and contact of a request, cached between requests.

``core.middleware.resolve`` costs three queries (tenant by host, contact, memberships) on every
request; what they return changes rarely. The answer is kept in the shared cache (Redis in
production) under a key made of a *version*, the user, the host and the tenant chosen in the
session. Any save or delete of a tenant, organization, contact or membership sets a new random
version (``bump``), so every cached answer is out of reach at once — at the time of the change and
again when its transaction commits, so that a request that read the old rows in between does not
keep them. A random version (not a counter) cannot come back after the cache evicts the key.

Cached objects are unpickled copies: a request may change them without touching the next one's.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from core import cache_versions

VERSION_KEY = "tenancy:version"
TIMEOUT = 60 * 60


def version() -> str:
    return cache_versions.current(VERSION_KEY)


def bump() -> None:
    cache_versions.renew(VERSION_KEY)


def bump_now_and_on_commit(**_kwargs) -> None:
    cache_versions.renew_now_and_on_commit(VERSION_KEY)


def cached(key_parts: tuple, compute):
    """``compute()``'s answer, cached under the current version and ``key_parts``."""
    key = "tenancy:" + ":".join([version(), *(str(part) for part in key_parts)])
    return cache_versions.get_or_compute(key, compute, TIMEOUT)


def connect() -> None:
    """Invalidate on every change of what ``resolve`` reads (called from ``CoreConfig.ready``)."""
    from core.models import Contact, Membership, Organization, Tenant

    for model in (Tenant, Organization, Contact, Membership):
        post_save.connect(bump_now_and_on_commit, sender=model, dispatch_uid=f"tenancy-save-{model.__name__}")
        post_delete.connect(bump_now_and_on_commit, sender=model, dispatch_uid=f"tenancy-delete-{model.__name__}")
