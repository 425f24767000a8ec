"""The agent's saved views, unread markers and notifications (``tickets.saved_views``,
``tickets.unread``, ``tickets.notifications``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tickets import notifications, saved_views, selectors
from tickets.queue_query import normalise_query
from tickets.unread import ticket_mark_unread
from tickets.views.common import agent_required, error_text, paginate

VIEW_ACTIONS = ("rename", "up", "down", "delete", "share")


def queue_url(query: str) -> str:
    return reverse("agent:queue") + (f"?{query}" if query else "")


@require_http_methods(["GET", "POST"])
@agent_required
def views_manage(request):
    """GET: the agent's views (team views first) to rename, reorder, share and delete. POST: save the
    queue's current filters as a new view, then show it."""
    membership = request.membership
    if request.method == "POST":
        query = normalise_query(request.POST.get("query", "")[:2000])
        try:
            view = saved_views.view_create(
                membership=membership,
                name=request.POST.get("name", ""),
                query=query,
                team=request.POST.get("team") == "1",
            )
        except ValidationError as error:
            for text in error_text(error):
                messages.error(request, text)
            return redirect(queue_url(query))
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return redirect(queue_url(view.query))
    views = list(saved_views.views_for(membership=membership))
    return render(
        request,
        "tickets/agent/views.html",
        {
            "team_views": [v for v in views if v.is_team],
            "own_views": [v for v in views if not v.is_team],
            "is_admin": membership.is_admin,
        },
    )


@require_POST
@agent_required
def view_edit(request, pk: int):
    membership = request.membership
    view = saved_views.view_for(membership=membership, pk=pk)
    action = request.POST.get("action", "")
    if action not in VIEW_ACTIONS:
        return HttpResponseBadRequest(_("Unknown action."))
    try:
        if action == "rename":
            saved_views.view_rename(membership=membership, view=view, name=request.POST.get("name", ""))
            messages.success(request, _("View renamed."))
        elif action in ("up", "down"):
            saved_views.view_move(membership=membership, view=view, step=-1 if action == "up" else 1)
        elif action == "share":
            saved_views.view_share(membership=membership, view=view)
            messages.success(request, _("“%(name)s” is now a team view.") % {"name": view.name})
        else:
            saved_views.view_delete(membership=membership, view=view)
            messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    except ValidationError as error:
        for text in error_text(error):
            messages.error(request, text)
        return redirect("agent:views")
    return redirect("agent:views")


@require_POST
@agent_required
def ticket_unread(request, pk: int):
    ticket = selectors.ticket_for_agent(tenant=request.tenant, pk=pk)
    ticket_mark_unread(ticket=ticket, membership=request.membership)
    messages.success(request, _("%(ref)s marked as unread.") % {"ref": ticket.reference})
    return redirect("agent:queue")


@require_GET
@agent_required
def notification_list(request):
    page = paginate(request, notifications.for_member(membership=request.membership))
    return render(
        request,
        "tickets/agent/notifications.html",
        {
            "page": page,
            "items": page.object_list,
            "unread": notifications.unread_count(membership=request.membership),
            "cap": notifications.BELL_CAP,
        },
    )


@require_GET
@agent_required
def notification_count(request):
    """The bell's badge, polled by the page header (HTMX)."""
    return render(
        request,
        "tickets/agent/_bell_count.html",
        {"unread": notifications.unread_count(membership=request.membership), "cap": notifications.BELL_CAP},
    )


@require_POST
@agent_required
def notification_read(request, pk: int):
    """Mark one read; with ``open`` go to its ticket, else back to the list."""
    from django.http import Http404

    item = notifications.for_member(membership=request.membership).filter(pk=pk).first()
    if item is None:
        raise Http404
    notifications.mark_read(membership=request.membership, pk=item.pk)
    if request.POST.get("open") == "1":
        return redirect("agent:ticket_detail", pk=item.ticket_id)
    return redirect("agent:notifications")


@require_POST
@agent_required
def notification_read_all(request):
    done = notifications.mark_all_read(membership=request.membership)
    if done:
        messages.success(request, _("All notifications marked as read."))
    return redirect("agent:notifications")
