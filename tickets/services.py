"""Writes of tickets: creation by every channel, messages, status, assignment, reaction."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Iterable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox
from core.models import Contact, ContactEmail, Membership, Organization, Tenant, User
from core.services import audit_record
from plans.models import Product
from plans.selectors import plan_in_force
from sla import policy
from tickets import hooks, notifications, sla_targets
from tickets.attachments import CheckedFile
from tickets.email import outbound
from tickets.models import Attachment, Category, Message, Ticket, TicketCounter, TicketEvent
from tickets.text import clean_text

log = logging.getLogger(__name__)

S = Ticket.Status

# Which status may follow which (RULES 3). Reaching "open" counts as the reaction (RULES 4.1).
TRANSITIONS: dict[str, set[str]] = {
    S.TRIAGE: {S.NEW, S.CLOSED},
    S.NEW: {S.OPEN, S.WAITING_CUSTOMER, S.WAITING_PACKAGE, S.RESOLVED, S.CLOSED},
    S.OPEN: {S.WAITING_CUSTOMER, S.WAITING_PACKAGE, S.RESOLVED, S.CLOSED},
    S.WAITING_CUSTOMER: {S.OPEN, S.RESOLVED, S.CLOSED},
    S.WAITING_PACKAGE: {S.NEW, S.OPEN, S.CLOSED},
    S.RESOLVED: {S.OPEN, S.CLOSED},
    S.CLOSED: {S.OPEN},
}

# Public mail providers: a sender there says nothing about which organization they belong to.
PUBLIC_DOMAINS = {"gmail.com", "wp.pl", "o2.pl", "onet.pl", "interia.pl", "op.pl", "outlook.com", "hotmail.com",
                  "yahoo.com", "icloud.com", "gazeta.pl", "tlen.pl", "poczta.fm", "proton.me", "protonmail.com"}

COMMUNITY_EMAIL_ANSWER = _(
    "Thank you for your message. Your plan covers bug reports by e-mail; questions about configuration and "
    "use are answered on the program's forum, where many answers are already waiting. If you prefer, we can "
    "help you by phone or remotely at the hourly rate of the price list — reply to this message to order it."
)


def event_record(*, ticket: Ticket, kind: str, actor: User | None = None, at: datetime | None = None,
                 **data) -> TicketEvent:
    return TicketEvent.objects.create(tenant_id=ticket.tenant_id, ticket=ticket, kind=kind, at=at or timezone.now(),
                                      actor=actor if actor is not None and actor.is_authenticated else None,
                                      data=data)


def _next_number(tenant: Tenant) -> int:
    # One statement: the UPDATE takes the row lock (concurrent tickets of a tenant queue here) and
    # returns the number. SQLite has had RETURNING since 3.35.
    sql = (f'UPDATE "{TicketCounter._meta.db_table}" SET "last_number" = "last_number" + 1 '
           f'WHERE "tenant_id" = %s RETURNING "last_number"')
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant.pk])
        row = cursor.fetchone()
        if row is None:
            TicketCounter.objects.get_or_create(tenant=tenant)
            cursor.execute(sql, [tenant.pk])
            row = cursor.fetchone()
    return row[0]


def sender_identify(*, tenant: Tenant, email: str) -> tuple[Contact | None, Organization | None]:
    """The contact owning an address, else the organization whose contacts share its domain."""
    email = (email or "").strip().lower()
    if not email:
        return None, None
    match = (ContactEmail.objects.for_tenant(tenant).filter(email__iexact=email)
             .select_related("contact__organization", "contact__user").first())
    if match is not None:
        return match.contact, match.contact.organization
    domain = email.rpartition("@")[2]
    if not domain or domain in PUBLIC_DOMAINS:
        return None, None
    organizations = set(ContactEmail.objects.for_tenant(tenant).filter(email__iendswith="@" + domain)
                        .values_list("contact__organization_id", flat=True)[:2])
    if len(organizations) == 1:
        return None, Organization.objects.for_tenant(tenant).get(pk=organizations.pop())
    return None, None


def _check_tenant(tenant: Tenant, **objects) -> None:
    for name, obj in objects.items():
        if obj is not None and obj.tenant_id != tenant.pk:
            raise ValidationError({name: _("Unknown %(name)s.") % {"name": name}})


def sla_compute(*, ticket: Ticket, at: datetime, plan_lookup: Callable = plan_in_force) -> policy.Deadline:
    """Apply the deadline policy to a ticket as received (terms in force at ``at``).

    ``plan_lookup`` is ``plan_in_force`` or a caller's cache of it (mail intake reads the same few
    organizations' terms for every message of a batch).
    """
    tenant = ticket.tenant
    in_force = plan_lookup(tenant=tenant, organization=ticket.organization, at=at)
    facts = policy.TicketFacts(
        received_at=at, channel=ticket.channel, critical=ticket.critical,
        is_bug=bool(ticket.category and ticket.category.is_bug),
        in_scope=ticket.category.in_scope if ticket.category else True,
        product=ticket.product.code if ticket.product else None,
        sender_verified=ticket.status != S.TRIAGE,
        email_limit_used_minutes=hooks.entitlements().email_guarantee_used_minutes(
            tenant=tenant, organization=ticket.organization, at=at),
        has_valid_package=hooks.entitlements().organization_has_valid_package(
            tenant=tenant, organization=ticket.organization, at=at),
    )
    deadline = policy.reaction_deadline(in_force.terms, facts)
    ticket.plan = in_force.plan
    ticket.terms_id = in_force.terms_row_id
    ticket.queue_priority = in_force.terms.queue_priority if in_force.terms else 0
    ticket.sla_reason = deadline.reason
    ticket.due_at = deadline.due_at
    ticket.warn_at = deadline.warn_at
    ticket.sla_started_at = deadline.started_at
    ticket.sla_state = Ticket.SlaState.RUNNING if deadline.guaranteed else Ticket.SlaState.NONE
    sla_targets.targets_fix(ticket, in_force.terms, deadline, at)
    if deadline.reason in (policy.OUT_OF_SCOPE, policy.PRODUCT_NOT_COVERED):
        ticket.coverage = Ticket.Coverage.NOT_COVERED
    if deadline.reason == policy.NO_VALID_PACKAGE and ticket.status == S.NEW:
        ticket.status = S.WAITING_PACKAGE
    return deadline


@transaction.atomic
def ticket_create(*, tenant: Tenant, channel: str, subject: str, body: str, received_at: datetime | None = None,
                  contact: Contact | None = None, organization: Organization | None = None,
                  from_email: str = "", from_name: str = "", category: Category | None = None,
                  product: Product | None = None, critical: bool = False, actor: User | None = None,
                  attachments: Iterable[CheckedFile] = (), external_id: str | None = None,
                  email_message_id: str | None = None, body_html: str = "", body_full: str = "",
                  message_subject: str = "", plan_lookup: Callable = plan_in_force) -> Ticket:
    """Create a ticket from any channel, apply entitlements and fix its reaction deadline.

    Senders: an authorised contact gets a normal ticket; anyone else (another address of a known
    organization, an unknown address) lands in triage for an agent to accept or reject (RULES 1).
    A ticket logged by an agent (phone) is vouched for by that agent.
    """
    if channel not in Ticket.Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    subject, body, body_html, body_full, message_subject, from_name = (
        clean_text(v) for v in (subject, body, body_html, body_full, message_subject, from_name))
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("Give the ticket a subject.")})
    if not (body or "").strip():
        raise ValidationError({"body": _("Describe the problem.")})
    _check_tenant(tenant, contact=contact, organization=organization, category=category, product=product)
    received_at = received_at or timezone.now()
    if contact is None and from_email:
        contact, found_org = sender_identify(tenant=tenant, email=from_email)
        organization = organization or found_org
    if contact is not None:
        if organization is not None and contact.organization_id != organization.pk:
            raise ValidationError({"contact": _("The contact belongs to another organization.")})
        organization = contact.organization
    staff_logged = actor is not None and channel == Ticket.Channel.PHONE
    verified = (contact is not None and contact.can_file_tickets) or (staff_logged and organization is not None)

    ticket = Ticket(tenant=tenant, number=_next_number(tenant), subject=subject_shorten(subject),
                    organization=organization,
                    contact=contact, requester_email=(from_email or _contact_email(contact)).lower(),
                    requester_name=from_name or (contact.name if contact else ""), channel=channel,
                    category=category, product=product, critical=critical, received_at=received_at,
                    external_id=external_id or None, status=S.NEW if verified else S.TRIAGE,
                    customer_waiting_since=None if staff_logged else received_at)
    deadline = sla_compute(ticket=ticket, at=received_at, plan_lookup=plan_lookup)
    stopped = ticket.status in sla_targets.CLOCK_STOPPED
    sla_targets.refresh(ticket, received_at, pauses=[(received_at, None)] if stopped else [])
    ticket.save()
    if stopped:
        sla_targets.status_changed(ticket, None, ticket.status, received_at)
    message = Message.objects.create(
        tenant=tenant, ticket=ticket, author_user=actor if staff_logged else (contact.user if contact else None),
        author_contact=contact, author_name=ticket.requester_name, from_staff=staff_logged,
        from_email=ticket.requester_email, body=body, body_html=body_html, body_full=body_full,
        subject=message_subject, source=_source(channel), email_message_id=email_message_id, created_at=received_at)
    _attach(ticket, message, attachments)
    ticket.first_message = message  # for the caller (mail intake links the inbound e-mail to it)
    event_record(ticket=ticket, kind="created", actor=actor, at=received_at, channel=channel,
                 status=ticket.status, sla_reason=deadline.reason,
                 due_at=deadline.due_at.isoformat() if deadline.due_at else None)

    if deadline.reason == policy.EMAIL_BUGS_ONLY:
        # COMMUNITY: the e-mail is accepted and answered with the forum pointer and the paid-help offer.
        # An automatic answer is not a reaction (RULES 4.1).
        Message.objects.create(tenant=tenant, ticket=ticket, author_name=tenant.name, from_staff=True,
                               body=str(COMMUNITY_EMAIL_ANSWER), source=Message.Source.SYSTEM)
    if deadline.page_on_call:
        ticket_page_on_call(ticket=ticket)
    _event("ticket.created", ticket)
    if ticket.channel in outbound.ACK_CHANNELS and ticket.requester_email:
        # Whether it is sent (triage, own address, rate limit) is decided when it is sent.
        outbox.enqueue(tenant=tenant, handler="tickets.acknowledgement", recipient=ticket.requester_email,
                       payload={"ticket": ticket.pk}, dedupe_key=f"ack:{ticket.pk}")
    return ticket


def subject_shorten(subject: str, limit: int = 250) -> str:
    """A subject that fits the ticket's column; the message keeps the whole one."""
    subject = " ".join(subject.split())
    return subject if len(subject) <= limit else subject[:limit - 1].rstrip() + "…"


def _contact_email(contact: Contact | None) -> str:
    if contact is None:
        return ""
    first = contact.emails.order_by("id").first()
    return first.email if first else ""


def _source(channel: str) -> str:
    return {"email": Message.Source.EMAIL, "portal": Message.Source.PORTAL, "api": Message.Source.API,
            "phone": Message.Source.AGENT}[channel]


def _attach(ticket: Ticket, message: Message, attachments: Iterable[CheckedFile]) -> None:
    for checked in attachments:
        attachment = Attachment(tenant_id=ticket.tenant_id, ticket=ticket, message=message,
                                filename=checked.filename, content_type=checked.content_type,
                                size=len(checked.content), inline=getattr(checked, "inline", False))
        attachment.file.save(checked.filename, ContentFile(checked.content), save=False)
        attachment.save()


def ticket_page_on_call(*, ticket: Ticket) -> None:
    """Page the on-call staff: one outbox message per person, written with the ticket's change.

    Each page is sent once by the outbox dispatcher, however long the workers were down.
    """
    if ticket.paged_at is not None:
        return
    ticket.paged_at = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(paged_at=ticket.paged_at)
    recipients = sorted({e.lower() for e in Membership.objects.for_tenant(ticket.tenant_id).filter(on_call=True)
                         .exclude(user__email="").values_list("user__email", flat=True)})
    event_record(ticket=ticket, kind="paged", at=ticket.paged_at, recipients=recipients)
    if not recipients:
        log.warning("ticket %s: nobody is on call", ticket.pk)
    for address in recipients:
        outbox.enqueue(tenant=ticket.tenant_id, handler="tickets.page", recipient=address,
                       payload={"ticket": ticket.pk}, dedupe_key=f"page:{ticket.pk}:{address}",
                       priority=outbox.PRIORITY_PAGE)


def _event(event_type: str, ticket: Ticket, **extra) -> None:
    """The ticket's webhook event, with its state now, in this transaction."""
    from tickets import webhooks

    webhooks.ticket_event(event_type, ticket, **extra)


def _record_reaction(ticket: Ticket, at: datetime, actor: User | None) -> None:
    if ticket.reacted_at is not None:
        return
    ticket.reacted_at = at
    if ticket.sla_state == Ticket.SlaState.RUNNING:
        if ticket.due_at is not None and at > ticket.due_at:
            ticket.sla_state = Ticket.SlaState.BREACHED
            ticket.breached_at = ticket.breached_at or ticket.due_at
        else:
            ticket.sla_state = Ticket.SlaState.MET
    event_record(ticket=ticket, kind="reaction", actor=actor, at=at, sla_state=ticket.sla_state)
    if ticket.sla_state == Ticket.SlaState.BREACHED:
        # Found by the reaction rather than by the monitor's scan: still a breach event, escalated.
        hooks.sla_breached(ticket=ticket, found_at=timezone.now())


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("tenant").get(pk=ticket.pk)


def _refuse_merged(ticket: Ticket) -> None:
    """A merged ticket is a pointer (``tickets.merge``): what it would get belongs on the other ticket."""
    if ticket.merged_into_id is not None:
        target = Ticket.objects.filter(pk=ticket.merged_into_id).values_list("number", flat=True).first()
        raise ValidationError(_("This ticket has been merged into %(ref)s: continue there.") % {
            "ref": f"{ticket.tenant.ticket_prefix}-{target}"})


@transaction.atomic
def message_add(*, tenant: Tenant, ticket: Ticket, body: str, author_user: User | None = None,
                author_contact: Contact | None = None, internal: bool = False, source: str = Message.Source.AGENT,
                from_email: str = "", attachments: Iterable[CheckedFile] = (), email_message_id: str | None = None,
                body_html: str = "", at: datetime | None = None, new_status: str | None = None,
                body_full: str = "", subject: str = "") -> Message:
    """A public reply or an internal note.

    Staff's first public reply is the reaction; a customer's reply re-opens a resolved ticket and
    brings a ticket waiting for the customer back to work.
    """
    if ticket.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown ticket."))
    body, body_html, body_full, subject = (clean_text(v) for v in (body, body_html, body_full, subject))
    if not (body or "").strip():
        raise ValidationError({"body": _("Write a message.")})
    from_staff = author_contact is None and source in (Message.Source.AGENT, Message.Source.API) \
        and author_user is not None
    if internal and not from_staff:
        raise ValidationError({"internal": _("Only staff can write internal notes.")})
    ticket = _lock(ticket)
    _refuse_merged(ticket)
    previous_status = ticket.status
    at = at or timezone.now()
    if not from_staff and ticket.status == S.CLOSED:
        raise ValidationError({"body": _("This ticket is closed. Please file a new ticket.")})
    message = Message.objects.create(
        tenant=tenant, ticket=ticket, author_user=author_user, author_contact=author_contact,
        author_name=(author_user.get_full_name() if author_user and from_staff else
                     author_contact.name if author_contact else from_email),
        from_staff=from_staff, from_email=from_email, body=body, body_html=body_html, body_full=body_full,
        subject=subject, internal=internal, source=source, email_message_id=email_message_id, created_at=at)
    _attach(ticket, message, attachments)
    event_record(ticket=ticket, kind="note" if internal else "message", actor=author_user, at=at,
                 message_id=message.pk, from_staff=from_staff)
    notifications.message_added(ticket=ticket, message=message, actor=author_user)
    if from_staff and not internal:
        _record_reaction(ticket, at, author_user)
        if ticket.status == S.NEW:
            _set_status(ticket, new_status or S.OPEN, author_user, at)
        elif new_status and new_status != ticket.status:
            _set_status(ticket, new_status, author_user, at)
    elif from_staff and new_status and new_status != ticket.status:
        _set_status(ticket, new_status, author_user, at)
    elif not from_staff and ticket.status in (S.RESOLVED, S.WAITING_CUSTOMER):
        _set_status(ticket, S.OPEN, author_user, at, reason="customer_reply")
    if not internal:
        _reply_clock(ticket, at, answered=from_staff and source != Message.Source.SYSTEM)
    sla_targets.refresh(ticket, at)
    ticket.save()
    if not internal:
        from tickets import webhooks

        webhooks.message_event(ticket, message)
        if from_staff and source != Message.Source.SYSTEM and ticket.requester_email:
            outbox.enqueue(tenant=tenant, handler="tickets.reply", recipient=ticket.requester_email,
                           payload={"message": message.pk}, dedupe_key=f"reply:{message.pk}")
    if ticket.status != previous_status:
        _event("ticket.updated", ticket, previous_status=previous_status, changes=["status"])
    return message


def _needs_package(ticket: Ticket, at: datetime) -> bool:
    """RULES 6.7: a ticket of a package plan (KJM PAKIET) is not handled without a valid package."""
    if ticket.status == S.WAITING_PACKAGE:
        return True
    if ticket.organization_id is None:
        return False
    terms = plan_in_force(tenant=ticket.tenant, organization=ticket.organization, at=at).terms
    return bool(terms and terms.billing_mode == "package" and not hooks.entitlements().organization_has_valid_package(
        tenant=ticket.tenant, organization=ticket.organization, at=at))


def _reply_clock(ticket: Ticket, at: datetime, *, answered: bool) -> None:
    """A public message of the customer starts waiting for an answer; an agent's public reply gives it."""
    if not answered:
        ticket.customer_waiting_since = ticket.customer_waiting_since or at
        return
    ticket.customer_waiting_since = None
    if ticket.reply_started_at is not None and ticket.reply_met_at is None:
        ticket.reply_met_at = at
        if ticket.reply_due_at is not None and at > ticket.reply_due_at and ticket.reply_breached_at is None:
            ticket.reply_breached_at = ticket.reply_due_at
            hooks.sla_breached(ticket=ticket, found_at=timezone.now(), target=sla_targets.NEXT_REPLY)


def _set_status(ticket: Ticket, status: str, actor: User | None, at: datetime, reason: str = "") -> None:
    if status not in Ticket.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status not in TRANSITIONS[ticket.status]:
        raise ValidationError({"status": _("A ticket cannot go from “%(old)s” to “%(new)s”.") % {
            "old": Ticket.Status(ticket.status).label, "new": Ticket.Status(status).label}})
    old = ticket.status
    ticket.status = status
    if status == S.OPEN and actor is not None:
        _record_reaction(ticket, at, actor)
    if status == S.RESOLVED:
        ticket.resolved_at = at
    if status == S.CLOSED:
        ticket.closed_at = at
    if status in (S.OPEN, S.NEW):
        ticket.resolved_at = None
        ticket.closed_at = None
    sla_targets.status_changed(ticket, old, status, at)
    event_record(ticket=ticket, kind="status", actor=actor, at=at, old=old, new=status, reason=reason)


@transaction.atomic
def ticket_set_status(*, tenant: Tenant, ticket: Ticket, status: str, actor: User,
                      at: datetime | None = None) -> Ticket:
    if ticket.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown ticket."))
    ticket = _lock(ticket)
    _refuse_merged(ticket)
    if ticket.status == S.TRIAGE and status == S.NEW:
        return ticket_accept(tenant=tenant, ticket=ticket, actor=actor, at=at)
    previous_status = ticket.status
    at = at or timezone.now()
    if status == S.OPEN and _needs_package(ticket, at):
        raise ValidationError({"status": _("The customer has no valid hour package: the ticket waits until a "
                                           "package is bought.")})
    _set_status(ticket, status, actor, at)
    sla_targets.refresh(ticket, at)
    ticket.save()
    _event("ticket.updated", ticket, previous_status=previous_status, changes=["status"])
    return ticket


@transaction.atomic
def ticket_accept(*, tenant: Tenant, ticket: Ticket, actor: User, organization: Organization | None = None,
                  contact: Contact | None = None, at: datetime | None = None) -> Ticket:
    """Accept a triage ticket: its SLA clock starts now, under the organization's terms in force now."""
    _check_tenant(tenant, organization=organization, contact=contact)
    ticket = _lock(ticket)
    if ticket.status != S.TRIAGE:
        raise ValidationError({"status": _("Only tickets in triage can be accepted.")})
    at = at or timezone.now()
    if contact is not None:
        ticket.contact = contact
        organization = contact.organization
    if organization is not None:
        ticket.organization = organization
    if ticket.organization is None:
        raise ValidationError({"organization": _("Choose the organization this ticket belongs to.")})
    old = ticket.status
    ticket.status = S.NEW
    deadline = sla_compute(ticket=ticket, at=at)
    sla_targets.refresh(ticket, at)
    ticket.save()
    event_record(ticket=ticket, kind="status", actor=actor, at=at, old=old, new=ticket.status, reason="accepted",
                 due_at=deadline.due_at.isoformat() if deadline.due_at else None)
    if deadline.page_on_call:
        ticket_page_on_call(ticket=ticket)
    _event("ticket.updated", ticket, previous_status=old, changes=["status", "organization"])
    return ticket


@transaction.atomic
def ticket_assign(*, tenant: Tenant, ticket: Ticket, assignee: Membership | None, actor: User) -> Ticket:
    _check_tenant(tenant, ticket=ticket, assignee=assignee)
    if assignee is not None and assignee.read_only:
        raise ValidationError({"assignee": _("An observer cannot be assigned tickets.")})
    ticket = _lock(ticket)
    old = ticket.assignee_id
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    event_record(ticket=ticket, kind="assigned", actor=actor, old=old, new=assignee.pk if assignee else None,
                 name=str(assignee.user.get_full_name()) if assignee else "")
    if assignee is not None and assignee.pk != old:
        notifications.assigned(ticket=ticket, assignee=assignee, actor=actor)
    _event("ticket.updated", ticket, previous_status=None, changes=["assignee"])
    return ticket


@transaction.atomic
def ticket_update(*, tenant: Tenant, ticket: Ticket, actor: User, **fields) -> Ticket:
    """Change subject, category, product or the critical flag. The deadline stays as fixed at receipt."""
    allowed = {"subject", "category", "product", "critical", "external_id"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: _("Cannot be changed here.") for name in unknown})
    _check_tenant(tenant, ticket=ticket, category=fields.get("category"), product=fields.get("product"))
    ticket = _lock(ticket)
    changes = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = clean_text(value)
        old = getattr(ticket, name)
        if old != value:
            changes[name] = [str(old) if old is not None else None, str(value) if value is not None else None]
            setattr(ticket, name, value)
    if not changes:
        return ticket
    ticket.full_clean(exclude=["tenant", "organization", "contact", "assignee", "plan", "terms"])
    ticket.save()
    event_record(ticket=ticket, kind="updated", actor=actor, changes=changes)
    if "critical" in changes and ticket.critical and ticket.is_active:
        ticket_page_on_call(ticket=ticket)
    _event("ticket.updated", ticket, previous_status=None, changes=sorted(changes))
    return ticket


CATEGORY_FIELDS = ("name", "is_bug", "in_scope", "position", "active")


@transaction.atomic
def category_save(*, tenant: Tenant, category: Category | None, code: str, actor: User | None = None,
                  **fields) -> Category:
    """Add a category or change one (name, bug or not, covered by the plans, order, offered)."""
    unknown = set(fields) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValidationError({name: _("Cannot be changed here.") for name in sorted(unknown)})
    if category is not None and category.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown category."))
    before = {f: getattr(category, f) for f in CATEGORY_FIELDS} if category is not None else None
    if category is None:
        if Category.objects.for_tenant(tenant).filter(code=code).exists():
            raise ValidationError({"code": _("A category with this code exists already.")})
        category = Category(tenant=tenant, code=code)
    for name, value in fields.items():
        setattr(category, name, value)
    category.full_clean()
    category.save()
    audit_record(tenant=tenant, actor=actor, action="category.saved", obj=category, summary=category.name,
                 data={"before": before, "after": {f: getattr(category, f) for f in CATEGORY_FIELDS}})
    return category
