"""Canned replies: the team's ready answers and one's own, with a preview of the Markdown."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.access import tenant_admin_required
from console.canned_forms import CannedReplyForm
from console.views.common import add_service_errors
from core.markdown import render_message
from tickets.selectors import canned_replies
from tickets.settings_services import canned_reply_delete, canned_reply_save


def _replies(request):
    return canned_replies(tenant=request.tenant, membership=request.membership)


@tenant_admin_required
def canned_list(request):
    return render(request, "console/canned_list.html", {"replies": _replies(request), "section": "canned"})


def _edit(request, reply):
    initial = ({"title": reply.title, "body": reply.body, "visibility": reply.visibility,
                "category": reply.category_id} if reply is not None else None)
    form = CannedReplyForm(request.POST or None, initial=initial, tenant=request.tenant)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "preview":
            preview = mark_safe(render_message(data["body"]))  # noqa: S308 (nh3 allow-list output)
        else:
            try:
                saved = canned_reply_save(tenant=request.tenant, reply=reply, author=request.membership, **data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Saved: %(name)s.") % {"name": saved.title})
                return redirect("console:canned_list")
    elif reply is not None and request.method == "GET":
        preview = mark_safe(render_message(reply.body))  # noqa: S308 (nh3 allow-list output)
    return render(request, "console/canned_edit.html", {"form": form, "reply": reply, "preview": preview,
                                                        "section": "canned"})


@tenant_admin_required
def canned_new(request):
    return _edit(request, None)


@tenant_admin_required
def canned_edit(request, pk):
    return _edit(request, get_object_or_404(_replies(request), pk=pk))


@tenant_admin_required
@require_POST
def canned_delete(request, pk):
    reply = get_object_or_404(_replies(request), pk=pk)
    try:
        canned_reply_delete(tenant=request.tenant, reply=reply, actor=request.membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Deleted: %(name)s.") % {"name": reply.title})
    return redirect("console:canned_list")
