"""What searches and the new-ticket suggestions record: the query log and deflection events."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from core.models import Tenant, User
from helpcenter.models import DeflectionEvent, SearchQuery


def search_log(*, tenant: Tenant, text: str, normalized: str, results: int, source: str) -> SearchQuery:
    return SearchQuery.objects.create(tenant=tenant, text=text[:200], normalized=normalized[:200], results=results,
                                      source=source)


def deflection_search_log(*, tenant: Tenant, visit: str, text: str, normalized: str, results: int) -> SearchQuery:
    """The new-ticket page's search of one visit: the last words searched and what they found."""
    values = {"text": text[:200], "normalized": normalized[:200], "results": results,
              "source": SearchQuery.Source.DEFLECTION}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                logged, _created = SearchQuery.objects.update_or_create(tenant=tenant, visit=visit[:64],
                                                                        defaults=values)
            return logged
        except IntegrityError:  # the same visit's previous request created it meanwhile
            continue
    raise RuntimeError("the visit's search could not be logged")


def deflection_record(*, tenant: Tenant, kind: str, visit: str, user: User | None = None, entry_kind: str = "",
                      object_id: int | None = None) -> bool:
    """Once per visit of the new-ticket page and kind; ``False`` when already recorded."""
    if not visit:
        return False
    try:
        with transaction.atomic():
            DeflectionEvent.objects.create(tenant=tenant, kind=kind, visit=visit[:64], user=user,
                                           entry_kind=entry_kind[:8], object_id=object_id)
    except IntegrityError:
        return False
    if kind == DeflectionEvent.Kind.SOLVED:
        SearchQuery.objects.for_tenant(tenant).filter(visit=visit[:64]).update(deflected=True)
    return True
