"""A tenant's slow-changing reads, cached between requests for the pages that show them.

The agent's ticket page shows, besides the ticket itself, what changes rarely: the organization's
plan in force today, its contacts with their e-mails and phones, the team's canned replies, the
staff a ticket may be assigned to. Each is cached under the tenant's *page version*; every save or
delete of a row those reads come from renews the version of that row's tenant (``invalidate_on``),
at the change and again when its transaction commits, so that a request that read the old rows in
between does not keep them. A change in one tenant leaves the other tenants' entries alone.

Keys also carry the tenancy cache's version (``core.tenancy_cache``), so whatever puts every
tenancy answer out of reach puts these out of reach too.

Only pages read through here. Services that compute deadlines or money read the rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models.signals import post_delete, post_save

from core import cache_versions, tenancy_cache

TIMEOUT = 60 * 60


def _version_key(tenant_id: int) -> str:
    return f"page:version:{tenant_id}"


def version(tenant_id: int) -> str:
    """The tenant's current page version (a token: compare, do not order)."""
    return cache_versions.current(_version_key(tenant_id))


def cached(tenant_id: int, key_parts: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``'s answer, cached under the tenant's current page version and ``key_parts`` (and
    kept for the rest of the request: pages must not change it)."""
    versions = (tenancy_cache.version(), version(tenant_id))
    key = "page:" + ":".join([*versions, str(tenant_id), *(str(part) for part in key_parts)])
    return cache_versions.get_or_compute(key, compute, TIMEOUT, memo=True)


def renew(tenant_id: int | None) -> None:
    """Put the tenant's cached page reads out of reach (now and when the transaction commits)."""
    if tenant_id is not None:
        cache_versions.renew_now_and_on_commit(_version_key(tenant_id))


def invalidate_on(models: Iterable[type], tenant_ids: Callable[[Any], Iterable[int]] | None = None) -> None:
    """Renew the page version of the tenant of every saved or deleted row of ``models``.

    ``tenant_ids(instance)`` names the tenants of a row that has no ``tenant_id`` of its own."""
    def handler(sender, instance, **kwargs):
        if kwargs.get("update_fields") is not None and set(kwargs["update_fields"]) <= {"last_login"}:
            return  # a login changes nothing any page shows
        for tenant_id in (tenant_ids(instance) if tenant_ids else [instance.tenant_id]):
            renew(tenant_id)

    for model in models:
        label = f"{model._meta.label_lower}"
        post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"page-cache-save-{label}")
        post_delete.connect(handler, sender=model, weak=False, dispatch_uid=f"page-cache-delete-{label}")
