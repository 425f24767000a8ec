"""Reads of suggestions."""
from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet, Value
from django.http import Http404

from helpcenter.models import Suggestion, SuggestionVote, Viewer


def suggestions(*, viewer: Viewer, status: str = "", sort: str = "votes") -> QuerySet[Suggestion]:
    queryset = (Suggestion.objects.for_tenant(viewer.tenant).filter(merged_into__isnull=True)
                .select_related("product").annotate(voted=_voted(viewer)))
    if status in Suggestion.Status.values:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id") if sort == "new" else queryset.order_by("-vote_count", "-id")


def _voted(viewer: Viewer):
    if viewer.user is None:
        return Value(False)
    return Exists(SuggestionVote.objects.filter(suggestion=OuterRef("pk"), user=viewer.user))


def suggestion_for(*, viewer: Viewer, pk: int) -> Suggestion:
    suggestion = (Suggestion.objects.for_tenant(viewer.tenant).select_related("product", "merged_into", "answered_by")
                  .annotate(voted=_voted(viewer)).filter(pk=pk).first())
    if suggestion is None:
        raise Http404
    return suggestion


def duplicates(*, suggestion: Suggestion) -> QuerySet[Suggestion]:
    return Suggestion.objects.for_tenant(suggestion.tenant_id).filter(merged_into=suggestion).order_by("created_at")


def merge_targets(*, viewer: Viewer, suggestion: Suggestion) -> QuerySet[Suggestion]:
    return (Suggestion.objects.for_tenant(viewer.tenant).filter(merged_into__isnull=True)
            .exclude(pk=suggestion.pk).order_by("title"))
