"""Suggestions on the portal's new-ticket page: matching articles and solved topics as the customer types.

The page (tickets' template) asks ``deflect`` through HTMX, debounced, with the subject and the
description. The first answer hands out a visit id (an out-of-band hidden input) so that "shown"
is counted once per visit, and "this solved my problem" once per visit too.
"""
from __future__ import annotations

import secrets

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from helpcenter.models import DeflectionEvent, SearchEntry
from helpcenter.search.engine import search
from helpcenter.selectors.search import resolve
from helpcenter.services.deflection import deflection_record, deflection_search_log
from helpcenter.views.common import language, writer_required

SHOWN = 5


def _visit(value: str) -> str:
    value = (value or "").strip()
    return value if value.isalnum() and 16 <= len(value) <= 64 else secrets.token_hex(16)


@require_GET
@writer_required
def deflect(request):
    viewer = request.viewer
    visit = _visit(request.GET.get("visit", ""))
    query = " ".join([request.GET.get("subject", ""), request.GET.get("body", "")[:300]]).strip()
    found = []
    if len(query) >= 3:
        result = search(viewer=viewer, query=query, limit=12, language=language(), prefix_last=True)
        found = [f for f in resolve(viewer=viewer, result=result)
                 if f.kind == SearchEntry.Kind.ARTICLE or f.solved][:SHOWN]
        deflection_search_log(tenant=viewer.tenant, visit=visit, text=query, normalized=" ".join(result.terms),
                              results=len(found))
    if found:
        deflection_record(tenant=viewer.tenant, kind=DeflectionEvent.Kind.SHOWN, visit=visit, user=viewer.user)
    return render(request, "helpcenter/_deflect.html", {"found": found, "visit": visit, "query": query})


@require_POST
@writer_required
def deflect_solved(request):
    viewer = request.viewer
    visit = _visit(request.POST.get("visit", ""))
    kind = request.POST.get("kind", "")
    if kind not in SearchEntry.Kind.values:
        raise Http404
    try:
        object_id = int(request.POST.get("object_id", ""))
    except ValueError:
        raise Http404 from None
    deflection_record(tenant=viewer.tenant, kind=DeflectionEvent.Kind.SOLVED, visit=visit, user=viewer.user,
                      entry_kind=kind, object_id=object_id)
    return render(request, "helpcenter/_deflect_solved.html", {"visit": visit})
