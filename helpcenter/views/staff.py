"""Staff pages of the help center: the moderation queue, the reports, article revisions."""
from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from helpcenter.selectors import forum, kb, reports
from helpcenter.views.common import staff_required

PERIODS = (7, 30, 90, 365)


@require_GET
@staff_required
def moderation(request):
    return render(request, "helpcenter/staff/moderation.html", {
        **forum.moderation_queue(tenant=request.tenant), "help_section": "staff"})


@require_GET
@staff_required
def report_page(request):
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    since = timezone.now() - timedelta(days=days)
    tenant = request.tenant
    return render(request, "helpcenter/staff/reports.html", {
        "days": days, "periods": PERIODS,
        "no_results": reports.searches_without_results(tenant=tenant, since=since),
        "searches": reports.search_volume(tenant=tenant, since=since),
        "deflection": reports.deflection(tenant=tenant, since=since),
        "ticket_page": reports.ticket_page_searches(tenant=tenant, since=since),
        "ticket_page_recent": reports.recent_ticket_page_searches(tenant=tenant, since=since),
        "top_suggestions": reports.top_suggestions(tenant=tenant), "help_section": "staff"})


@require_GET
@staff_required
def article_revisions(request, pk: int):
    article = kb.article_for_staff(viewer=request.viewer, pk=pk)
    revisions = list(kb.revisions(article=article))
    wanted = request.GET.get("r")
    selected = next((r for r in revisions if str(r.number) == wanted), revisions[0] if revisions else None)
    previous = next((r for r in revisions if selected and r.number < selected.number), None)
    return render(request, "helpcenter/staff/revisions.html", {
        "article": article, "revisions": revisions, "selected": selected, "previous": previous,
        "diff": kb.revision_diff(previous, selected) if selected else [], "help_section": "staff"})
