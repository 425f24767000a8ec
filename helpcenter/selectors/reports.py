"""Staff reports: searches that found nothing, the deflection rate, the most-voted suggestions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, QuerySet

from core.models import Tenant
from helpcenter.models import DeflectionEvent, SearchQuery, Suggestion


def searches_without_results(*, tenant: Tenant, since: datetime, limit: int = 20) -> list[dict]:
    return list(SearchQuery.objects.for_tenant(tenant).filter(created_at__gte=since, results=0)
                .exclude(normalized="").values("normalized")
                .annotate(count=Count("id"), example=Max("text"), last=Max("created_at"))
                .order_by("-count", "-last")[:limit])


@dataclass(frozen=True)
class Deflection:
    shown: int
    solved: int

    @property
    def rate(self) -> float | None:
        return self.solved / self.shown if self.shown else None


def deflection(*, tenant: Tenant, since: datetime) -> Deflection:
    counts = dict(DeflectionEvent.objects.for_tenant(tenant).filter(created_at__gte=since)
                  .values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    return Deflection(shown=counts.get(DeflectionEvent.Kind.SHOWN, 0),
                      solved=counts.get(DeflectionEvent.Kind.SOLVED, 0))


def top_suggestions(*, tenant: Tenant, limit: int = 10) -> QuerySet[Suggestion]:
    return (Suggestion.objects.for_tenant(tenant).filter(merged_into__isnull=True).select_related("product")
            .order_by("-vote_count", "-created_at")[:limit])


def search_volume(*, tenant: Tenant, since: datetime) -> int:
    return SearchQuery.objects.for_tenant(tenant).filter(created_at__gte=since).count()
