"""Bulk actions on the queue's selected tickets: assign, set a status, set a category, close with a
canned reply, merge into another ticket.

Each ticket gets the same service call an agent's click on its page makes (``tickets.services``),
in a transaction of its own: one ticket refused (a status it cannot reach, a closed ticket…) leaves
the others done. The result says which were done and, for each refused one, why.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import Membership, Tenant, User
from tickets.merge import ticket_merge
from tickets.models import CannedReply, Category, Message, Ticket
from tickets.services import message_add, ticket_assign, ticket_set_status, ticket_update

MAX_TICKETS = 100


class Action:
    ASSIGN = "assign"
    STATUS = "status"
    CATEGORY = "category"
    CLOSE = "close"
    MERGE = "merge"
    ALL = (ASSIGN, STATUS, CATEGORY, CLOSE, MERGE)


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _reason(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(m for messages in error.message_dict.values() for m in messages)
    return " ".join(error.messages)


def _apply(*, tenant: Tenant, ticket: Ticket, actor: User, action: str, assignee: Membership | None,
           status: str, category: Category | None, canned: CannedReply | None, target: Ticket | None) -> None:
    if action == Action.ASSIGN:
        ticket_assign(tenant=tenant, ticket=ticket, assignee=assignee, actor=actor)
    elif action == Action.STATUS:
        ticket_set_status(tenant=tenant, ticket=ticket, status=status, actor=actor)
    elif action == Action.CATEGORY:
        ticket_update(tenant=tenant, ticket=ticket, actor=actor, category=category)
    elif action == Action.CLOSE:
        if ticket.status == Ticket.Status.CLOSED:
            raise ValidationError(_("The ticket is closed already."))
        message_add(tenant=tenant, ticket=ticket, body=canned.body, author_user=actor, source=Message.Source.AGENT,
                    new_status=Ticket.Status.CLOSED)
    elif action == Action.MERGE:
        if target is None:
            raise ValidationError(_("Give the reference of the ticket to merge into."))
        if ticket.pk == target.pk:
            raise ValidationError(_("It is the ticket the others are merged into."))
        ticket_merge(tenant=tenant, source=ticket, target=target, actor=actor)  # re-reads both, locked
    else:
        raise ValidationError(_("Unknown action."))


def bulk_apply(*, tenant: Tenant, actor: User, ticket_ids: list[int], action: str,
               assignee: Membership | None = None, status: str = "", category: Category | None = None,
               canned: CannedReply | None = None, target: Ticket | None = None) -> BulkResult:
    """Apply ``action`` to each of the tenant's tickets in ``ticket_ids``, one transaction per ticket."""
    result = BulkResult()
    tickets = {t.pk: t for t in Ticket.objects.for_tenant(tenant).select_related("tenant")
               .filter(pk__in=ticket_ids[:MAX_TICKETS])}
    for pk in dict.fromkeys(ticket_ids[:MAX_TICKETS]):
        ticket = tickets.get(pk)
        if ticket is None:
            result.failed.append((f"#{pk}", _("No such ticket.")))
            continue
        try:
            with transaction.atomic():
                _apply(tenant=tenant, ticket=ticket, actor=actor, action=action, assignee=assignee, status=status,
                       category=category, canned=canned, target=target)
        except ValidationError as error:
            result.failed.append((ticket.reference, _reason(error)))
        else:
            result.done.append(ticket.reference)
    return result
