"""The SLA block of the ticket pages: every target of the ticket, honestly (RULES 4.1, 4.7).

A reaction by a status change is "accepted", not "answered": the customer has had no reply then.
A missed target says when it was due and by how much it was missed, to the customer as to the agent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import sla_targets
from tickets.models import Message, Ticket
from tickets.templatetags.helpdesk_ui import SlaBadge, _local, duration_text

register = template.Library()


@dataclass(frozen=True)
class TargetRow:
    label: str
    text: str
    tone: str  # ok, warn, danger, muted, met
    badge: SlaBadge | None = None


def has_public_reply(ticket: Ticket) -> bool:
    """Whether an agent has written to the customer (automatic messages do not count)."""
    annotated = getattr(ticket, "replied", None)
    if annotated is not None:
        return bool(annotated)
    return (Message.objects.filter(ticket_id=ticket.pk, from_staff=True, internal=False)
            .exclude(source=Message.Source.SYSTEM).exists())


def reaction_text(ticket: Ticket, replied: bool) -> str:
    """“answered 08:48” only when a public reply exists; else “accepted for handling 08:48”."""
    at = _local(ticket.reacted_at)
    return (_("answered %(at)s") if replied else _("accepted for handling %(at)s")) % {"at": at}


def _row(state: sla_targets.TargetState, ticket: Ticket, replied: bool, now: datetime) -> TargetRow:
    label = state.label.capitalize()
    late = state.late_by(now)
    if state.met_at is not None:
        done = reaction_text(ticket, replied) if state.target == sla_targets.REACTION else _local(state.met_at)
        if late is None:
            return TargetRow(label, _("%(done)s, in time") % {"done": done}, "met")
        return TargetRow(label, _("%(done)s — missed: due %(due)s, %(late)s late") % {
            "done": done, "due": _local(state.due_at), "late": duration_text(late)}, "danger")
    if state.paused:
        return TargetRow(label, _("paused while the ticket waits"), "muted")
    if state.due_at is None:
        return TargetRow(label, _("not running"), "muted")
    if late is not None:
        badge = SlaBadge("danger", _("overdue %(time)s") % {"time": duration_text(late)}, "", due=state.due_at)
        return TargetRow(label, _("missed: was due %(due)s") % {"due": _local(state.due_at)}, "danger", badge)
    warn = {sla_targets.REACTION: ticket.warn_at, sla_targets.NEXT_REPLY: ticket.reply_warn_at,
            sla_targets.RESOLUTION: ticket.resolution_warn_at}.get(state.target)
    tone = "warn" if warn is not None and now >= warn else "ok"
    badge = SlaBadge(tone, _("%(time)s left") % {"time": duration_text(state.due_at - now)}, "",
                     due=state.due_at, warn=warn)
    return TargetRow(label, _("due %(due)s") % {"due": _local(state.due_at)}, tone, badge)


def target_rows(ticket: Ticket, now: datetime | None = None) -> list[TargetRow]:
    now = now or timezone.now()
    states = sla_targets.states(ticket)
    replied = has_public_reply(ticket) if ticket.reacted_at else False
    return [_row(state, ticket, replied, now) for state in states]


@register.inclusion_tag("tickets/_sla_targets.html", takes_context=True)
def sla_targets_block(context, ticket: Ticket):
    return {"rows": target_rows(ticket, context.get("now"))}


@register.simple_tag
def reaction_status(ticket: Ticket, now: datetime | None = None) -> str:
    """The reaction in a few words for lists: accepted / answered / missed / due."""
    now = now or timezone.now()
    if ticket.reacted_at is not None:
        return _("answered") if has_public_reply(ticket) else _("accepted for handling")
    if ticket.due_at is not None and ticket.is_active and now >= ticket.due_at:
        return _("missed, was due %(due)s") % {"due": _local(ticket.due_at)}
    if ticket.due_at is not None and ticket.is_active:
        return _local(ticket.due_at)
    return "—"
