"""Staff reports: searches that found nothing, the deflection rate, the most-voted suggestions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet

from core.models import Tenant
from helpcenter.models import DeflectionEvent, SearchQuery, Suggestion


def searches_without_results(*, tenant: Tenant, since: datetime, limit: int = 20) -> list[dict]:
    """The most frequent searches that found nothing, per place (search page, new-ticket page)."""
    rows = list(SearchQuery.objects.for_tenant(tenant).filter(created_at__gte=since, results=0)
                .exclude(normalized="").values("normalized", "source")
                .annotate(count=Count("id"), example=Max("text"), last=Max("created_at"))
                .order_by("-count", "-last", "normalized", "source")[:limit])
    labels = dict(SearchQuery.Source.choices)
    for row in rows:
        row["source_label"] = labels.get(row["source"], row["source"])
    return rows


@dataclass(frozen=True)
class TicketPageSearches:
    """The new-ticket page's searches: one per visit, the last words the customer typed."""

    visits: int
    without_results: int
    deflected: int

    @property
    def rate(self) -> float | None:
        """Visits that ended without a ticket because a suggestion solved the problem."""
        return self.deflected / self.visits if self.visits else None


def ticket_page_searches(*, tenant: Tenant, since: datetime) -> TicketPageSearches:
    logged = SearchQuery.objects.for_tenant(tenant).filter(created_at__gte=since,
                                                           source=SearchQuery.Source.DEFLECTION)
    counts = logged.aggregate(visits=Count("id"), without_results=Count("id", filter=Q(results=0)),
                              deflected=Count("id", filter=Q(deflected=True)))
    return TicketPageSearches(**counts)


def recent_ticket_page_searches(*, tenant: Tenant, since: datetime, limit: int = 20) -> list[SearchQuery]:
    return list(SearchQuery.objects.for_tenant(tenant).filter(created_at__gte=since,
                                                              source=SearchQuery.Source.DEFLECTION)
                .order_by("-created_at", "-id")[:limit])


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
    """Searches of the search page (the new-ticket page's are counted per visit, apart)."""
    return SearchQuery.objects.for_tenant(tenant).filter(created_at__gte=since,
                                                         source=SearchQuery.Source.SEARCH).count()
