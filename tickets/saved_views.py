"""Saved views of the agent queue: personal and team views, and their counts in the sidebar.

A view stores the queue's query string in normal form (``tickets.queue_query``). An agent sees the
tenant's team views and their own; anyone else's personal view, or another tenant's, is a 404. Team
views are created by admins, or made from a personal view by its owner ("share"); admins rename,
reorder and delete them, owners their own views.

Counts: every view of the sidebar is counted in ONE statement (a capped count subquery per view,
each on the queue's indexes), and the result is cached for ``COUNT_TTL`` seconds under a key that
carries the tenant's "tickets changed" version. The version is bumped after the commit of any ticket
saved through the ORM (``tickets.apps``), so a change shows at the next page; changes written with
``update()`` (the SLA monitor's scan) show when the entry expires.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from core import cache_versions
from core.models import Membership, Tenant
from tickets import selectors
from tickets.models import SavedView
from tickets.queue_query import filters_from_query, normalise_query

log = logging.getLogger(__name__)

MAX_VIEWS = 30
COUNT_CAP = 999
COUNT_TTL = 30


# --- reads -----------------------------------------------------------------------------------------


def views_for(*, membership: Membership) -> QuerySet[SavedView]:
    """The team's views, then the agent's own, each in their order."""
    return (
        SavedView.objects.for_tenant(membership.tenant_id)
        .filter(Q(owner__isnull=True) | Q(owner=membership))
        .order_by(F("owner").asc(nulls_first=True), "position", "id")
    )


def view_for(*, membership: Membership, pk: int) -> SavedView:
    view = views_for(membership=membership).filter(pk=pk).first()
    if view is None:
        raise Http404
    return view


def can_manage(membership: Membership, view: SavedView) -> bool:
    return view.owner_id == membership.pk if view.owner_id else membership.is_admin


# --- counts --------------------------------------------------------------------------------------


def _version_key(tenant_id: int) -> str:
    return f"tickets-version:{tenant_id}"


def tickets_version(tenant_id: int) -> str:
    return cache_versions.current(_version_key(tenant_id))


def tickets_changed(tenant_id: int) -> None:
    """Renew the tenant's version: cached view counts are stale (run after commit)."""
    try:
        cache_versions.renew(_version_key(tenant_id))
    except Exception:  # the cache down: the counts expire on their own (COUNT_TTL)
        log.warning("tickets version of tenant %s not bumped", tenant_id, exc_info=True)


def _count_sql(view: SavedView, tenant: Tenant, membership: Membership, now: datetime) -> RawSQL:
    filters = filters_from_query(QueryDict(view.query))
    tickets = selectors.queue_matches(tenant=tenant, membership=membership, filters=filters, now=now,
                                      inline_search=True)
    sql, params = tickets.order_by().values("pk")[: COUNT_CAP + 1].query.sql_with_params()
    return RawSQL(f"SELECT COUNT(*) FROM ({sql}) AS counted", params)


def view_counts(
    *, tenant: Tenant, membership: Membership, views: list[SavedView], now: datetime | None = None
) -> dict[int, int]:
    """``{view id: number of tickets}`` (at most ``COUNT_CAP`` + 1) for ``views``: from the cache, or
    one query for all of them."""
    if not views:
        return {}
    signature = hashlib.sha256("|".join(f"{v.pk}:{v.query}" for v in views).encode()).hexdigest()[:24]
    key = f"view-counts:{tenant.pk}:{tickets_version(tenant.pk)}:{membership.pk}:{signature}"
    counts = cache.get(key)
    if counts is not None:
        return counts
    now = now or timezone.now()
    row = (
        tenant.__class__.objects.filter(pk=tenant.pk)
        .annotate(**{f"view_{v.pk}": _count_sql(v, tenant, membership, now) for v in views})
        .values(*(f"view_{v.pk}" for v in views))
        .first()
    ) or {}
    counts = {v.pk: row.get(f"view_{v.pk}") or 0 for v in views}
    cache.set(key, counts, COUNT_TTL)
    return counts


# --- writes ----------------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if len(name) > 80:
        raise ValidationError({"name": _("The name can have at most 80 characters.")})
    return name


@transaction.atomic
def view_create(*, membership: Membership, name: str, query: str, team: bool = False) -> SavedView:
    """Save the queue's current filters and sort; a team view only by an admin."""
    if team and not membership.is_admin:
        raise ValidationError(_("Only an administrator can create team views."))
    name = _clean_name(name)
    owner = None if team else membership
    siblings = SavedView.objects.for_tenant(membership.tenant_id).filter(owner=owner)
    if owner is not None and siblings.count() >= MAX_VIEWS:
        raise ValidationError(_("You have %(n)s views already; delete one first.") % {"n": MAX_VIEWS})
    last = siblings.aggregate(last=Max("position"))["last"]
    return SavedView.objects.create(
        tenant_id=membership.tenant_id,
        owner=owner,
        name=name,
        query=normalise_query(query),
        position=(last or 0) + 1,
        created_by=membership,
    )


def _managed(membership: Membership, view: SavedView) -> SavedView:
    if view.tenant_id != membership.tenant_id or view.owner_id not in (None, membership.pk):
        raise Http404
    if not can_manage(membership, view):
        raise ValidationError(_("Only an administrator can change team views."))
    return view


@transaction.atomic
def view_rename(*, membership: Membership, view: SavedView, name: str) -> SavedView:
    _managed(membership, view)
    view.name = _clean_name(name)
    view.save(update_fields=["name"])
    return view


@transaction.atomic
def view_delete(*, membership: Membership, view: SavedView) -> None:
    _managed(membership, view)
    view.delete()


@transaction.atomic
def view_move(*, membership: Membership, view: SavedView, step: int) -> SavedView:
    """Move a view one place up (``step`` -1) or down (+1) among its siblings (the team's or the agent's)."""
    _managed(membership, view)
    siblings = list(
        SavedView.objects.for_tenant(membership.tenant_id)
        .select_for_update()
        .filter(owner_id=view.owner_id)
        .order_by("position", "id")
    )
    index = next(i for i, v in enumerate(siblings) if v.pk == view.pk)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    return next(v for v in siblings if v.pk == view.pk)


@transaction.atomic
def view_share(*, membership: Membership, view: SavedView) -> SavedView:
    """The owner makes a personal view a team view (every agent of the tenant sees it)."""
    if view.tenant_id != membership.tenant_id or view.owner_id != membership.pk:
        raise Http404
    last = (
        SavedView.objects.for_tenant(membership.tenant_id)
        .filter(owner__isnull=True)
        .aggregate(last=Max("position"))["last"]
    )
    view.owner = None
    view.position = (last or 0) + 1
    view.save(update_fields=["owner", "position"])
    return view
