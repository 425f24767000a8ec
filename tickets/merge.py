"""Merging a ticket into another, and splitting a customer's message off into a new ticket.

**Merge.** The source ticket is merged *into* a target of the same tenant and the same organization
(two tickets without an organization, in triage, only when they share the requester's address): a
merge never moves a customer's conversation, or its billed time, to another customer. In one
transaction, with both tickets locked in id order:

- the messages and their attachments move to the target; the billing app moves the time entries
  (and quotes) through ``hooks.ticket_merging``, and refuses when a month is on an issued statement;
- the source's SLA history (``SlaPause``, the monitor's ``SlaEvent``), its events and the e-mails
  sent about it stay on it: they are what happened to that ticket;
- the source is closed and points at the target (``merged_into``); its pages redirect there, its
  reference still finds it, and e-mail replies to its thread land in the target (``tickets.email``).
  A reaction it still owed is no longer owed (state "none"): the target answers the matter;
- the target's targets are recomputed (``sla_targets.refresh``): a customer message of the source
  still awaiting an answer makes the target owe one (and brings it back to work, as a reply would);
  its reaction deadline stays as fixed at its receipt (RULES 4.1);
- an internal note on each ticket says who merged what, the requester gets one e-mail (outbox),
  webhooks get ``ticket.merged`` and the audit log an entry.

Refused: a ticket into itself, into a merged or closed ticket, a ticket merged already, a ticket
others were merged into (no chains), tickets of another organization or tenant.

**Split.** An agent moves one public message of the customer, with its attachments, to a new ticket
of the same requester and organization. The new ticket is received when the message was (its plan,
terms and reaction deadline are those in force then, RULES 4.1), and waits for an answer from then.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import outbox
from core.models import Tenant, User
from core.services import audit_record
from tickets import hooks, search, sla_targets
from tickets.email import outbound
from tickets.models import Attachment, InboundEmail, Message, Ticket
from tickets.services import (
    S,
    _event,
    _next_number,
    _set_status,
    event_record,
    sla_compute,
    subject_shorten,
    ticket_page_on_call,
)
from tickets.text import clean_text

MERGED_NOTICE = "tickets.merged"


def _locked_pair(first_id: int, second_id: int) -> dict[int, Ticket]:
    """Both tickets locked, the lower id first: two merges of the same pair cannot deadlock."""
    rows = {}
    for pk in sorted({first_id, second_id}):
        rows[pk] = Ticket.objects.select_for_update(of=("self",)).select_related("tenant", "organization").get(pk=pk)
    return rows


def _who(actor: User | None) -> str:
    if actor is None:
        return ""
    return actor.get_full_name() or actor.get_username()


def _note(ticket: Ticket, body: str, actor: User | None, at: datetime) -> Message:
    return Message.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        author_user=actor,
        from_staff=True,
        author_name=_who(actor) or ticket.tenant.name,
        internal=True,
        body=body,
        source=Message.Source.SYSTEM,
        created_at=at,
    )


def customer_waiting_since(ticket: Ticket) -> datetime | None:
    """The first public message of the customer after the last public reply of an agent, or None."""
    answered = (
        Message.objects.filter(ticket=ticket, from_staff=True, internal=False)
        .exclude(source=Message.Source.SYSTEM)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    waiting = Message.objects.filter(ticket=ticket, from_staff=False, internal=False)
    if answered is not None:
        waiting = waiting.filter(created_at__gt=answered)
    return waiting.order_by("created_at").values_list("created_at", flat=True).first()


def merge_refusal(source: Ticket, target: Ticket) -> str | None:
    """Why ``source`` cannot be merged into ``target`` (the tickets as read now), or None."""
    if source.tenant_id != target.tenant_id:
        return _("Unknown ticket.")
    if source.pk == target.pk:
        return _("A ticket cannot be merged into itself.")
    if source.merged_into_id is not None:
        return _("%(ref)s has been merged into another ticket already.") % {"ref": source.reference}
    if target.merged_into_id is not None:
        return _("%(ref)s has been merged into another ticket: merge into that one.") % {"ref": target.reference}
    if Ticket.objects.filter(merged_into=source).exists():
        return _("Other tickets were merged into %(ref)s: it cannot be merged in turn (no chains of merges).") % {
            "ref": source.reference
        }
    if target.status == S.CLOSED:
        return _("%(ref)s is closed: re-open it before merging into it.") % {"ref": target.reference}
    if source.organization_id != target.organization_id:
        return _("The tickets belong to different organizations: only tickets of one customer can be merged.")
    if (
        source.organization_id is None
        and (source.requester_email or "").lower() != (target.requester_email or "").lower()
    ):
        return _("The tickets have no organization and different requesters: accept them first.")
    return None


@transaction.atomic
def ticket_merge(*, tenant: Tenant, source: Ticket, target: Ticket, actor: User | None) -> Ticket:
    """Merge ``source`` into ``target`` (see the module's description); returns the target."""
    if source.tenant_id != tenant.pk or target.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown ticket."))
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    rows = _locked_pair(source.pk, target.pk)
    source, target = rows[source.pk], rows[target.pk]
    refusal = merge_refusal(source, target)
    if refusal:
        raise ValidationError(refusal)
    at = timezone.now()
    moved = hooks.ticket_merging(source=source, target=target, actor=actor)
    messages = Message.objects.filter(ticket=source).update(ticket=target)
    files = Attachment.objects.filter(ticket=source).update(ticket=target)
    InboundEmail.objects.filter(ticket=source).update(ticket=target)
    moved.update(messages=messages, attachments=files)

    previous_status = source.status
    if source.status != S.CLOSED:
        _set_status(source, S.CLOSED, actor, at, reason="merged")
    source.merged_into = target
    source.merged_at = at
    if source.sla_state == Ticket.SlaState.RUNNING:
        # The matter is answered on the target now: the source owes no reaction of its own (nor a breach).
        source.sla_state = Ticket.SlaState.NONE
    source.customer_waiting_since = None
    sla_targets.refresh(source, at)
    source.save()

    target_status = target.status
    target.customer_waiting_since = customer_waiting_since(target)
    if target.customer_waiting_since is not None and target.status in (S.RESOLVED, S.WAITING_CUSTOMER):
        # A customer's message that waits for an answer came with the source: as if it had been a reply.
        _set_status(target, S.OPEN, None, at, reason="merged_customer_message")
    sla_targets.refresh(target, at)
    target.save()

    data = {
        "source": source.pk,
        "source_reference": source.reference,
        "target": target.pk,
        "target_reference": target.reference,
        **moved,
    }
    event_record(ticket=source, kind="merged_into", actor=actor, at=at, **data)
    event_record(ticket=target, kind="merged_from", actor=actor, at=at, **data)
    with translation.override(tenant.language or "pl"):
        counts = _("messages: %(messages)s, attachments: %(attachments)s, time entries: %(time)s") % {
            "messages": messages,
            "attachments": files,
            "time": moved.get("time_entries", 0),
        }
        _note(
            source,
            _("%(who)s merged this ticket into %(target)s “%(subject)s” (%(counts)s moved).")
            % {
                "who": _who(actor) or _("The system"),
                "target": target.reference,
                "subject": target.subject,
                "counts": counts,
            },
            actor,
            at,
        )
        _note(
            target,
            _("%(who)s merged %(source)s “%(subject)s” into this ticket (%(counts)s moved).")
            % {
                "who": _who(actor) or _("The system"),
                "source": source.reference,
                "subject": source.subject,
                "counts": counts,
            },
            actor,
            at,
        )
    search.ticket_reindex_body(source.pk, tenant.pk)
    search.ticket_reindex_body(target.pk, tenant.pk)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="ticket.merged",
        obj=source,
        summary=f"{source.reference} → {target.reference}",
        data=data,
    )
    if source.requester_email and previous_status != S.TRIAGE:
        outbox.enqueue(
            tenant=tenant,
            handler=MERGED_NOTICE,
            recipient=source.requester_email,
            payload={"source": source.pk, "target": target.pk},
            dedupe_key=f"merged:{source.pk}",
        )
    _merged_event(source, target)
    if target.status != target_status:
        _event("ticket.updated", target, previous_status=target_status, changes=["status"])
    return target


def _merged_event(source: Ticket, target: Ticket) -> None:
    from core import webhooks
    from tickets.webhooks import ticket_data

    endpoints = webhooks.subscribers(source.tenant_id, "ticket.merged")
    if endpoints:
        webhooks.emit(
            source.tenant_id,
            "ticket.merged",
            {"ticket": ticket_data(source), "into": ticket_data(target)},
            endpoints=endpoints,
        )


def split_refusal(message: Message, ticket: Ticket) -> str | None:
    if ticket.merged_into_id is not None:
        return _("This ticket has been merged into another one.")
    if message.internal or message.from_staff:
        return _("Only a customer's message can be split off into a new ticket.")
    first = Message.objects.filter(ticket=ticket).order_by("created_at", "id").values_list("pk", flat=True).first()
    if first == message.pk:
        return _("This message opened the ticket: it stays. Split off later messages.")
    return None


def _channel_of(message: Message, ticket: Ticket) -> str:
    return {
        Message.Source.EMAIL: Ticket.Channel.EMAIL,
        Message.Source.PORTAL: Ticket.Channel.PORTAL,
        Message.Source.API: Ticket.Channel.API,
    }.get(message.source, ticket.channel)


@transaction.atomic
def message_split(*, tenant: Tenant, message: Message, subject: str, actor: User | None) -> Ticket:
    """Move a customer's ``message`` (with its attachments) to a new ticket named ``subject``."""
    if message.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown message."))
    subject = subject_shorten(clean_text(subject or "").strip())
    if not subject:
        raise ValidationError({"subject": _("Give the ticket a subject.")})
    source = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("tenant", "organization")
        .get(pk=message.ticket_id)
    )
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.ticket_id != source.pk:
        raise ValidationError(_("The message has moved to another ticket meanwhile."))
    refusal = split_refusal(message, source)
    if refusal:
        raise ValidationError(refusal)
    received_at = message.created_at
    at = timezone.now()
    ticket = Ticket(
        tenant=tenant,
        number=_next_number(tenant),
        subject=subject,
        organization=source.organization,
        contact=source.contact,
        requester_email=source.requester_email,
        requester_name=source.requester_name,
        channel=_channel_of(message, source),
        category=source.category,
        product=source.product,
        received_at=received_at,
        status=S.TRIAGE if source.status == S.TRIAGE else S.NEW,
        customer_waiting_since=received_at,
    )
    deadline = sla_compute(ticket=ticket, at=received_at)
    stopped = ticket.status in sla_targets.CLOCK_STOPPED
    sla_targets.refresh(ticket, at, pauses=[(received_at, None)] if stopped else [])
    ticket.save()
    if stopped:
        sla_targets.status_changed(ticket, None, ticket.status, received_at)
    Message.objects.filter(pk=message.pk).update(ticket=ticket)
    files = Attachment.objects.filter(message=message).update(ticket=ticket)
    InboundEmail.objects.filter(message=message).update(ticket=ticket)

    source.customer_waiting_since = customer_waiting_since(source)
    sla_targets.refresh(source, at)
    source.save()
    data = {
        "source": source.pk,
        "source_reference": source.reference,
        "new_ticket": ticket.pk,
        "new_reference": ticket.reference,
        "message": message.pk,
        "attachments": files,
    }
    event_record(
        ticket=ticket,
        kind="created",
        actor=actor,
        at=received_at,
        channel=ticket.channel,
        status=ticket.status,
        sla_reason=deadline.reason,
        split_from=source.pk,
        due_at=deadline.due_at.isoformat() if deadline.due_at else None,
    )
    event_record(ticket=source, kind="split", actor=actor, at=at, **data)
    with translation.override(tenant.language or "pl"):
        who = _who(actor) or _("The system")
        _note(
            source,
            _("%(who)s split a message of %(when)s off into the new ticket %(ref)s “%(subject)s”.")
            % {
                "who": who,
                "when": timezone.localtime(received_at).strftime("%Y-%m-%d %H:%M"),
                "ref": ticket.reference,
                "subject": ticket.subject,
            },
            actor,
            at,
        )
        _note(
            ticket,
            _("%(who)s split this message off ticket %(ref)s “%(subject)s”.")
            % {"who": who, "ref": source.reference, "subject": source.subject},
            actor,
            at,
        )
    search.ticket_reindex(ticket)
    search.ticket_reindex_body(source.pk, tenant.pk)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="ticket.split",
        obj=ticket,
        summary=f"{source.reference} → {ticket.reference}",
        data=data,
    )
    if deadline.page_on_call:
        ticket_page_on_call(ticket=ticket)
    _event("ticket.created", ticket)
    if ticket.channel in outbound.ACK_CHANNELS and ticket.requester_email:
        outbox.enqueue(
            tenant=tenant,
            handler="tickets.acknowledgement",
            recipient=ticket.requester_email,
            payload={"ticket": ticket.pk},
            dedupe_key=f"ack:{ticket.pk}",
        )
    return ticket
