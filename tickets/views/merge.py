"""The agent's merge and split pages (``tickets.merge``).

Merge: the ticket page's "Merge" action opens a picker (the customer's other open tickets, or a search
by reference or words through the agents' search); choosing a ticket shows both side by side with
what will move, and the confirmation posts the merge. Split: each customer message of the thread has
"Split off into a new ticket", which opens a form with the message and an editable subject.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tickets import search, selectors
from tickets.merge import merge_refusal, message_split, ticket_merge
from tickets.models import Message, Ticket
from tickets.views.common import agent_required, error_text

MAX_CANDIDATES = 10


class MergeForm(forms.Form):
    into = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


class SplitForm(forms.Form):
    message = forms.ModelChoiceField(
        queryset=Message.objects.none(),
        widget=forms.RadioSelect,
        label=gettext_lazy("Message"),
        empty_label=None,
        error_messages={
            "invalid_choice": gettext_lazy(
                "This message cannot be split off (it is not a customer's message of "
                "this ticket, or it opened the ticket)."
            )
        },
    )
    subject = forms.CharField(label=gettext_lazy("Subject of the new ticket"), max_length=250)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].queryset = splittable(ticket)


def splittable(ticket: Ticket):
    """The customer's public messages of ``ticket`` except the one that opened it, oldest first."""
    first = Message.objects.filter(ticket=ticket).order_by("created_at", "id").values_list("pk", flat=True).first()
    return (
        Message.objects.for_tenant(ticket.tenant_id)
        .filter(ticket=ticket, from_staff=False, internal=False)
        .exclude(pk=first)
        .order_by("created_at", "id")
    )


def candidates(ticket: Ticket, query: str) -> list[Ticket]:
    """Tickets ``ticket`` may be merged into: the same customer's, not closed or merged, matching ``query``
    (a reference or words) when given, newest first."""
    tickets = (
        Ticket.objects.for_tenant(ticket.tenant_id)
        .exclude(pk=ticket.pk)
        .filter(merged_into__isnull=True)
        .exclude(status=Ticket.Status.CLOSED)
        .select_related("tenant", "organization")
    )
    if ticket.organization_id:
        tickets = tickets.filter(organization_id=ticket.organization_id)
    else:
        tickets = tickets.filter(organization__isnull=True, requester_email__iexact=ticket.requester_email)
    if query:
        tickets = tickets.filter(
            search.search_condition(tenant_id=ticket.tenant_id, prefix=ticket.tenant.ticket_prefix, query=query)
        )
    return list(tickets.order_by("-received_at", "-id")[:MAX_CANDIDATES])


def _with_counts(ticket: Ticket) -> Ticket:
    counts = Message.objects.filter(ticket=ticket).aggregate(
        messages=Count("pk"), public=Count("pk", filter=Q(internal=False))
    )
    ticket.message_count = counts["messages"]
    ticket.public_count = counts["public"]
    ticket.attachment_count = ticket.attachments.count()
    return ticket


@require_http_methods(["GET", "POST"])
@agent_required
def ticket_merge_view(request, pk: int):
    tenant = request.tenant
    ticket = selectors.ticket_for_agent(tenant=tenant, pk=pk)
    if ticket.merged_into_id is not None:
        messages.info(request, _("%(ref)s has been merged into this ticket already.") % {"ref": ticket.reference})
        return redirect("agent:ticket_detail", pk=ticket.merged_into_id)
    form = MergeForm(request.POST or request.GET or None)
    target = None
    if form.is_bound and form.is_valid():
        target = selectors.ticket_for_agent(tenant=tenant, pk=form.cleaned_data["into"])
    status = 200
    if request.method == "POST":
        if target is None:
            raise Http404
        try:
            ticket_merge(tenant=tenant, source=ticket, target=target, actor=request.user)
        except ValidationError as error:
            for text in error_text(error):
                form.add_error(None, text)
            status = 400
        else:
            messages.success(
                request,
                _("%(source)s has been merged into %(target)s.")
                % {"source": ticket.reference, "target": target.reference},
            )
            return redirect("agent:ticket_detail", pk=target.pk)
    query = request.GET.get("q", "").strip()[:100]
    refusal = merge_refusal(ticket, target) if target is not None and status == 200 else None
    return render(
        request,
        "tickets/agent/merge.html",
        {
            "ticket": _with_counts(ticket),
            "target": _with_counts(target) if target else None,
            "form": form,
            "query": query,
            "refusal": refusal,
            "candidates": candidates(ticket, query) if target is None else [],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@agent_required
def ticket_split_view(request, pk: int):
    tenant = request.tenant
    ticket = selectors.ticket_for_agent(tenant=tenant, pk=pk)
    if ticket.merged_into_id is not None:
        return redirect("agent:ticket_detail", pk=ticket.merged_into_id)
    initial = {"subject": ticket.subject, "message": request.GET.get("message")}
    form = SplitForm(request.POST or None, ticket=ticket, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                new = message_split(
                    tenant=tenant,
                    message=form.cleaned_data["message"],
                    subject=form.cleaned_data["subject"],
                    actor=request.user,
                )
            except ValidationError as error:
                for text in error_text(error):
                    form.add_error(None, text)
            else:
                messages.success(request, _("The message is now ticket %(ref)s.") % {"ref": new.reference})
                return redirect("agent:ticket_detail", pk=new.pk)
    choices = list(form.fields["message"].queryset.prefetch_related("attachments"))
    chosen = str(form["message"].value() or "")
    return render(
        request,
        "tickets/agent/split.html",
        {"ticket": ticket, "form": form, "choices": choices, "chosen": chosen},
        status=status,
    )
