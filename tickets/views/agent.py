"""The agent workspace: the prioritised queue and the ticket page with every action an agent takes."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from plans.selectors import plan_in_force_for_page
from sla import policy
from tickets import hooks, list_cache, saved_views, selectors
from tickets.bulk import bulk_apply
from tickets.presence import POLL_SECONDS, presence_touch
from tickets.presence import others as presence_others
from tickets.forms import AgentMessageForm, BulkForm, AssignForm, StatusForm, TriageAcceptForm
from tickets.models import Message, Ticket
from tickets.queue_query import filters_from_query, filters_to_query
from tickets.search import search_match
from tickets.selectors import product_names
from tickets.services import TRANSITIONS, message_add, ticket_accept, ticket_assign, ticket_set_status
from tickets.templatetags.helpdesk_ui import terms_lines
from tickets.unread import is_unread, ticket_seen
from tickets.views.common import (CSRF_PLACEHOLDER, SEARCH_COUNT_CAP, agent_required, attachment_response,
                                  cached_page, form_service, paginate, thumbnail_response, with_csrf_token)


@require_GET
@agent_required
def queue(request):
    """The queue page, or its table alone for the page's HTMX refresh. Both are cached until the
    tenant's lists change (``tickets.list_cache``), but for searches: what they match is not counted."""
    tenant = request.tenant
    filters = filters_from_query(request.GET)
    now = timezone.now()
    key = (request.membership.pk, request.get_full_path(), list_cache.minute(now))

    def table() -> str:
        if filters.search:
            return queue_table(request, filters, now)
        return list_cache.cached(tenant.pk, "queue-table", key, lambda: queue_table(request, filters, now),
                                 timeout=list_cache.MINUTE_TIMEOUT)

    def page() -> str:
        return render_to_string("tickets/agent/queue.html", {
            "queue_table": mark_safe(table()),
            "filters": filters, "now": now,
            **views_sidebar(request, now),
            "statuses": Ticket.Status.choices,
            "filtered": filters.any(),
            **filter_choices(tenant),
            **({} if request.membership.read_only else {
                "bulk_choices": BulkForm.choices_for_page(tenant=tenant, membership=request.membership)}),
            "csrf_token": CSRF_PLACEHOLDER,
        }, request)

    if request.htmx:
        return HttpResponse(table())
    if filters.search:
        return HttpResponse(with_csrf_token(request, page()))
    return cached_page(request, tenant.pk, "queue-page", key, page)


def queue_table(request, filters, now) -> str:
    """The queue's table: the count, the page of rows, the pagination."""
    tenant = request.tenant
    if filters.search:
        # Counted and ordered over the bare tickets; the page's rows read by id (CappedPaginator). A
        # search alone was counted while it ran.
        match = search_match(tenant_id=tenant.pk, prefix=tenant.ticket_prefix, query=filters.search,
                             count_cap=SEARCH_COUNT_CAP)
        tickets = selectors.queue_matches(tenant=tenant, membership=request.membership, filters=filters, now=now,
                                          search=match)
        counting = {"count": match.count}
        if filters.narrowed():
            # With other filters: counted over the matches' ids when they are known, else not at all
            # (CappedPaginator: checking the text of every candidate cost 15–45 ms, bench/README.md).
            counting = ({"counted": selectors.queue_matches(tenant=tenant, membership=request.membership,
                                                            filters=filters, now=now, search=match.listed())}
                        if match.ids is not None else {"uncounted": True})
        page = paginate(request, tickets, count_cap=SEARCH_COUNT_CAP,
                        rows=selectors.queue_rows(tenant=tenant, membership=request.membership), **counting)
    else:
        page = paginate(request, selectors.queue(tenant=tenant, membership=request.membership, filters=filters,
                                                 now=now))
    return render_to_string("tickets/agent/_queue_table.html", {
        "page": page, "tickets": page.object_list, "now": now, "filtered": filters.any(),
        "row_names": selectors.queue_row_names(tenant=tenant),
        "unread": {t.pk for t in page.object_list if is_unread(t, request.membership)},
    }, request)


def views_sidebar(request, now) -> dict:
    """The saved views with their counts (one query for all, or none when cached) and the one shown."""
    views = list(saved_views.views_for(membership=request.membership))
    counts = saved_views.view_counts(tenant=request.tenant, membership=request.membership, views=views, now=now)
    current = filters_to_query(filters_from_query(request.GET))
    for view in views:
        view.count = counts.get(view.pk, 0)
        view.active = view.query == current
    return {"saved_views": views, "count_cap": saved_views.COUNT_CAP, "current_query": current,
            "is_admin": request.membership.is_admin}


def filter_choices(tenant) -> dict:
    """The choices of the search form's filters, cached between requests (``core.page_cache``)."""
    choices = selectors.queue_choices_for_page(tenant=tenant)
    return {
        "organizations": choices["organizations"], "plans": choices["plans"],
        "agent_choices": selectors.agent_choices(tenant=tenant),
        "products": choices["products"],
        "category_choices": choices["categories"],
        "channels": Ticket.Channel.choices, "sla_states": Ticket.SlaState.choices,
        "sorts": [("", _("Default: the queue's order, newest first when searching")), ("queue", _("Queue order")),
                  ("newest", _("Newest first")), ("oldest", _("Oldest first")),
                  ("updated", _("Recently updated")), ("due", _("Nearest deadline"))],
    }


def written_since(*, ticket: Ticket, seen: int | None, user) -> list[Message]:
    """Messages others added to the ticket after the one the agent last saw (``seen``: its id)."""
    if seen is None:
        return []
    return list(Message.objects.for_tenant(ticket.tenant_id).filter(ticket=ticket, pk__gt=seen)
                .exclude(author_user=user).order_by("id")[:5])


def ticket_page(request, ticket: Ticket, *, message_form=None, status_form=None, assign_form=None,
                accept_form=None, panel_overrides: dict[str, dict] | None = None, status: int = 200,
                extra: dict | None = None):
    """The agent's ticket page; ``panel_overrides`` replaces parts of a registered panel's context
    (a panel's own POST view passes its bound form back with the errors)."""
    tenant = request.tenant
    now = timezone.now()
    in_force = (plan_in_force_for_page(tenant=tenant, organization=ticket.organization, at=now)
                if ticket.organization else None)
    contacts = (selectors.organization_contacts_for_page(tenant=tenant, organization=ticket.organization)
                if ticket.organization else [])
    _share_contact_lists(ticket, contacts)
    panels = hooks.agent_panels(request, ticket, in_force=in_force)
    for panel in panels:
        panel["context"].update((panel_overrides or {}).get(panel["name"], {}))
    thread = list(selectors.thread(ticket=ticket, public_only=False))
    # what the SLA block would ask the database (tickets.templatetags.sla_ui.has_public_reply)
    ticket.replied = any(m.from_staff and not m.internal and m.source != Message.Source.SYSTEM for m in thread)
    return render(request, "tickets/agent/ticket_detail.html", {
        "ticket": ticket, "now": now,
        "thread": thread,
        "events": selectors.ticket_history(ticket=ticket),
        "canned": selectors.canned_replies_for_page(tenant=tenant, membership=request.membership),
        "message_form": message_form or AgentMessageForm(
            ticket=ticket, transitions=TRANSITIONS, last_message_id=max((m.pk for m in thread), default=0)),
        "status_form": status_form or StatusForm(ticket=ticket, transitions=TRANSITIONS),
        "assign_form": assign_form or AssignForm(tenant=tenant, initial={"assignee": ticket.assignee_id}),
        "accept_form": accept_form or (TriageAcceptForm(tenant=tenant, initial={
            "organization": ticket.organization_id, "contact": ticket.contact_id})
            if ticket.status == Ticket.Status.TRIAGE else None),
        "in_force": in_force, "terms_lines": terms_lines(in_force.terms, product_names(tenant)) if in_force else [],
        "contacts": contacts,
        "sla_reason_text": str(policy.REASONS.get(ticket.sla_reason, "")) if ticket.sla_reason else "",
        "panels": panels,
        "customer": selectors.customer_tickets(ticket=ticket),
        "poll_seconds": POLL_SECONDS,
        **(extra or {}),
    }, status=status)


def _share_contact_lists(ticket: Ticket, contacts: list) -> None:
    """Give the ticket's contact the e-mails and phones already read with the organization's contacts."""
    if not ticket.contact_id:
        return
    for contact in contacts:
        if contact.pk == ticket.contact_id:
            ticket.contact._prefetched_objects_cache = dict(contact._prefetched_objects_cache)
            return


@require_GET
@agent_required
def ticket_detail(request, pk: int):
    ticket = selectors.ticket_for_agent(tenant=request.tenant, pk=pk, membership=request.membership)
    if ticket.merged_into_id is not None:
        messages.info(request, _("%(ref)s has been merged into this ticket.") % {"ref": ticket.reference})
        return redirect("agent:ticket_detail", pk=ticket.merged_into_id)
    ticket_seen(ticket=ticket, membership=request.membership)
    return ticket_page(request, ticket)


def done(request, ticket: Ticket, text: str):
    messages.success(request, text)
    return redirect("agent:ticket_detail", pk=ticket.pk)


@require_POST
@agent_required
def ticket_message(request, pk: int):
    tenant = request.tenant
    ticket = selectors.ticket_for_agent(tenant=tenant, pk=pk)
    form = AgentMessageForm(request.POST, request.FILES, ticket=ticket, transitions=TRANSITIONS)
    if form.is_valid() and not form.cleaned_data["send_anyway"]:
        newer = written_since(ticket=ticket, seen=form.cleaned_data["seen"], user=request.user)
        if newer:
            # Someone wrote while this reply was being typed: show it, keep the text, ask once more.
            data = request.POST.copy()
            data["send_anyway"] = "1"
            form = AgentMessageForm(data, ticket=ticket, transitions=TRANSITIONS)
            form.is_valid()
            return ticket_page(request, ticket, message_form=form, status=409,
                               extra={"written_since": newer})
    if form.is_valid():
        internal = form.cleaned_data["kind"] == AgentMessageForm.KIND_NOTE
        added = form_service(form, lambda: message_add(
            tenant=tenant, ticket=ticket, body=form.cleaned_data["body"], author_user=request.user,
            internal=internal, source=Message.Source.AGENT, attachments=form.cleaned_data["attachments"],
            new_status=form.cleaned_data["new_status"] or None))
        if added is not None:
            return done(request, ticket, _("Internal note added.") if internal else _("Reply sent."))
    ticket = selectors.ticket_for_agent(tenant=tenant, pk=pk)
    return ticket_page(request, ticket, message_form=form, status=400)


@require_POST
@agent_required
def ticket_status(request, pk: int):
    tenant = request.tenant
    ticket = selectors.ticket_for_agent(tenant=tenant, pk=pk)
    form = StatusForm(request.POST, ticket=ticket, transitions=TRANSITIONS)
    if form.is_valid():
        changed = form_service(form, lambda: ticket_set_status(
            tenant=tenant, ticket=ticket, status=form.cleaned_data["status"], actor=request.user))
        if changed is not None:
            ticket = changed
            return done(request, ticket, _("Status changed to “%(status)s”.") % {
                "status": Ticket.Status(ticket.status).label})
    return ticket_page(request, ticket, status_form=form, status=400)


@require_POST
@agent_required
def ticket_assign_view(request, pk: int):
    tenant = request.tenant
    ticket = selectors.ticket_for_agent(tenant=tenant, pk=pk)
    form = AssignForm(request.POST, tenant=tenant)
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        ticket_assign(tenant=tenant, ticket=ticket, assignee=assignee, actor=request.user)
        if assignee is None:
            return done(request, ticket, _("Nobody is assigned now."))
        return done(request, ticket, _("Assigned to %(name)s.") % {
            "name": assignee.user.get_full_name() or assignee.user.get_username()})
    return ticket_page(request, ticket, assign_form=form, status=400)


@require_POST
@agent_required
def ticket_take(request, pk: int):
    tenant = request.tenant
    ticket = selectors.ticket_for_agent(tenant=tenant, pk=pk)
    ticket_assign(tenant=tenant, ticket=ticket, assignee=request.membership, actor=request.user)
    return done(request, ticket, _("You took this ticket."))


@require_POST
@agent_required
def ticket_accept_view(request, pk: int):
    tenant = request.tenant
    ticket = selectors.ticket_for_agent(tenant=tenant, pk=pk)
    form = TriageAcceptForm(request.POST, tenant=tenant)
    if form.is_valid():
        accepted = form_service(form, lambda: ticket_accept(
            tenant=tenant, ticket=ticket, actor=request.user,
            organization=form.cleaned_data["organization"], contact=form.cleaned_data["contact"]))
        if accepted is not None:
            return done(request, ticket, _("Ticket accepted; its reaction time runs from now."))
    return ticket_page(request, ticket, accept_form=form, status=400)


@require_POST
@agent_required
def ticket_reject(request, pk: int):
    tenant = request.tenant
    ticket = selectors.ticket_for_agent(tenant=tenant, pk=pk)
    if ticket.status != Ticket.Status.TRIAGE:
        messages.error(request, _("Only tickets in triage can be rejected."))
        return redirect("agent:ticket_detail", pk=ticket.pk)
    ticket_set_status(tenant=tenant, ticket=ticket, status=Ticket.Status.CLOSED, actor=request.user)
    return done(request, ticket, _("Ticket rejected and closed."))


@require_GET
@agent_required
def attachment_download(request, pk: int):
    attachment = selectors.attachment_for_agent(tenant=request.tenant, pk=pk)
    return attachment_response(attachment)


@require_GET
@agent_required
def attachment_thumbnail(request, pk: int):
    attachment = selectors.attachment_for_agent(tenant=request.tenant, pk=pk)
    return thumbnail_response(attachment)


@require_POST
@agent_required
def queue_bulk(request):
    """The queue's bulk action; back to the queue (its filters kept) with what was done and what was not."""
    form = BulkForm(request.POST, tenant=request.tenant, membership=request.membership)
    if not form.is_valid():
        return render(request, "tickets/agent/bulk_errors.html", {"form": form}, status=400)
    data = form.cleaned_data
    result = bulk_apply(tenant=request.tenant, actor=request.user, ticket_ids=data["ids"], action=data["action"],
                        assignee=data.get("assignee"), status=data.get("status") or "",
                        category=data.get("category"), canned=data.get("canned"), target=data.get("target_ticket"))
    if result.done:
        messages.success(request, ngettext("Done for %(n)s ticket.", "Done for %(n)s tickets.",
                                           len(result.done)) % {"n": len(result.done)})
    for reference, reason in result.failed:
        messages.error(request, _("%(ref)s not changed: %(reason)s") % {"ref": reference, "reason": reason})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/agent/"):
        back = reverse("agent:queue")
    return redirect(back)


@require_POST
@agent_required
def ticket_presence(request, pk: int):
    """The page's poll: record this agent on the ticket (typing or not), return who else is here."""
    ticket = selectors.ticket_for_agent(tenant=request.tenant, pk=pk)
    presence_touch(ticket=ticket, membership=request.membership, typing=request.POST.get("typing") == "1")
    return render(request, "tickets/agent/_presence.html", {
        "ticket": ticket, "others": presence_others(ticket=ticket, membership=request.membership),
        "poll_seconds": POLL_SECONDS})
