"""Writes of appointments and call-backs (RULES 8).

Race-free booking: two requests for one agent's time serialise on the agent's membership row
(``select_for_update``), and the overlap is checked again under that lock, buffers included. On
PostgreSQL an exclusion constraint on (agent, time range) backs it up: should anything bypass the
service, the database still refuses the second session.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments import notifications, selectors
from appointments.models import AgentSchedule, Appointment, Callback, Kind
from billing.services import time_entry_log
from core import webhooks
from core.models import Contact, Membership, Organization, Tenant, User
from core.services import audit_record, normalize_phone
from plans.selectors import plan_in_force
from tickets.models import Ticket

Status = Appointment.Status


def _event(tenant: Tenant, appointment: Appointment, event: str) -> None:
    """The webhook, with the appointment as the API shows it at this change (its own serializer)."""
    from appointments.api import AppointmentSerializer

    webhooks.emit(tenant.pk, f"appointment.{event}", {"appointment": dict(AppointmentSerializer(appointment).data)})


def _lock_agent(tenant: Tenant, agent_id: int) -> Membership:
    agent = Membership.objects.for_tenant(tenant).select_for_update().filter(pk=agent_id).first()
    if agent is None:
        raise ValidationError({"agent": _("Choose a member of your own staff.")})
    return agent


def _check_slot(*, tenant: Tenant, organization: Organization, kind: str, starts_at: datetime, minutes: int,
                agent: Membership | None, now: datetime, ignore: Appointment | None = None) -> Membership:
    """The agent who takes the slot (the preferred free one when ``agent`` is None); raises
    ValidationError when the slot is not bookable."""
    rules = selectors.booking_rules(tenant)
    terms = plan_in_force(tenant=tenant, organization=organization, at=now).terms
    if kind not in selectors.allowed_kinds(rules, terms):
        raise ValidationError({"kind": _("Your plan does not include booking this kind of session.")})
    if minutes not in rules.lengths(kind):
        raise ValidationError({"length": _("Choose one of the offered lengths.")})
    agents = None
    if agent is not None:
        agents = [a for a in selectors.bookable_agents(tenant) if a.pk == agent.pk]
        if not agents:
            raise ValidationError({"agent": _("This person does not take bookings.")})
    search = selectors.find_slots(tenant=tenant, organization=organization, kind=kind, length=minutes, now=now,
                                  agents=agents, ignore=ignore)
    for start, free in search.slots:
        if start == starts_at:
            return free[0]
    raise ValidationError({"starts_at": _("This time is no longer free. Please choose another one.")})


def _insert_or_update(appointment: Appointment, *, tenant: Tenant, now: datetime) -> None:
    """Save under the agent's lock, re-checking the overlap; the constraint catches the rest."""
    _lock_agent(tenant, appointment.agent_id)
    rules = selectors.booking_rules(tenant)
    if selectors.overlapping(tenant=tenant, agent_id=appointment.agent_id, starts_at=appointment.starts_at,
                             ends_at=appointment.ends_at, buffer=timedelta(minutes=rules.buffer_minutes),
                             ignore_pk=appointment.pk):
        raise ValidationError({"starts_at": _("This time is no longer free. Please choose another one.")})
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError:
        raise ValidationError({"starts_at": _("This time is no longer free. Please choose another one.")}) from None


@transaction.atomic
def appointment_book(*, tenant: Tenant, ticket: Ticket, kind: str, starts_at: datetime, minutes: int,
                     actor: User | None, contact: Contact | None = None, agent: Membership | None = None,
                     propose: bool = False, note: str = "", now: datetime | None = None) -> Appointment:
    """Book a session on a ticket (a customer), or propose one for the customer to accept (an agent)."""
    now = now or timezone.now()
    if ticket.tenant_id != tenant.pk:
        raise ValidationError({"ticket": _("Unknown ticket.")})
    if ticket.organization_id is None:
        raise ValidationError({"ticket": _("Accept the ticket for an organization first.")})
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown kind of session.")})
    if contact is not None and contact.organization_id != ticket.organization_id:
        raise ValidationError({"contact": _("The contact belongs to another organization.")})
    organization = ticket.organization
    chosen = _check_slot(tenant=tenant, organization=organization, kind=kind, starts_at=starts_at, minutes=minutes,
                         agent=agent, now=now)
    appointment = Appointment(
        tenant=tenant, ticket=ticket, organization=organization, contact=contact or ticket.contact, agent=chosen,
        kind=kind, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
        status=Status.PROPOSED if propose else Status.BOOKED, note=(note or "")[:300], booked_by=actor)
    _insert_or_update(appointment, tenant=tenant, now=now)
    audit_record(tenant=tenant, actor=actor, action="appointment.proposed" if propose else "appointment.booked",
                 obj=appointment, summary=f"{ticket.pk}: {kind} {starts_at.isoformat()} {minutes} min",
                 data={"agent": chosen.pk})
    if propose:
        notifications.proposed(appointment)
    else:
        _event(tenant, appointment, "booked")
        notifications.booked(appointment)
    return appointment


def _editable(appointment: Appointment, tenant: Tenant) -> None:
    if appointment.tenant_id != tenant.pk:
        raise ValidationError({"appointment": _("Unknown appointment.")})
    if appointment.status not in Appointment.HOLDING:
        raise ValidationError({"status": _("This session is no longer planned.")})


@transaction.atomic
def appointment_accept(*, tenant: Tenant, appointment: Appointment, actor: User | None,
                       now: datetime | None = None) -> Appointment:
    """The customer accepts a proposed slot; the ticket's other proposals are withdrawn."""
    now = now or timezone.now()
    _editable(appointment, tenant)
    if appointment.status != Status.PROPOSED:
        raise ValidationError({"status": _("Only a proposed session can be accepted.")})
    if appointment.starts_at <= now:
        raise ValidationError({"starts_at": _("This proposal has expired.")})
    appointment.status = Status.BOOKED
    appointment.save(update_fields=["status", "updated_at"])
    for other in (Appointment.objects.for_tenant(tenant).filter(ticket_id=appointment.ticket_id, status=Status.PROPOSED)
                  .exclude(pk=appointment.pk)):
        other.status, other.cancelled_at = Status.CANCELLED, now
        other.save(update_fields=["status", "cancelled_at", "updated_at"])
    audit_record(tenant=tenant, actor=actor, action="appointment.booked", obj=appointment, summary="accepted")
    _event(tenant, appointment, "booked")
    notifications.booked(appointment)
    return appointment


@transaction.atomic
def appointment_reschedule(*, tenant: Tenant, appointment: Appointment, starts_at: datetime, actor: User | None,
                           minutes: int | None = None, agent: Membership | None = None,
                           now: datetime | None = None) -> Appointment:
    """Move a session; the invitation is updated (same UID, SEQUENCE + 1) and reminders re-armed."""
    now = now or timezone.now()
    _editable(appointment, tenant)
    minutes = minutes or appointment.minutes
    chosen = _check_slot(tenant=tenant, organization=appointment.organization, kind=appointment.kind,
                         starts_at=starts_at, minutes=minutes, agent=agent, now=now, ignore=appointment)
    old = appointment.starts_at
    appointment.agent, appointment.starts_at = chosen, starts_at
    appointment.ends_at = starts_at + timedelta(minutes=minutes)
    appointment.sequence += 1
    appointment.reminded_day_at = appointment.reminded_soon_at = None
    _insert_or_update(appointment, tenant=tenant, now=now)
    audit_record(tenant=tenant, actor=actor, action="appointment.rescheduled", obj=appointment,
                 summary=f"{old.isoformat()} → {starts_at.isoformat()}")
    if appointment.status == Status.BOOKED:
        _event(tenant, appointment, "rescheduled")
        notifications.rescheduled(appointment)
    return appointment


@transaction.atomic
def appointment_cancel(*, tenant: Tenant, appointment: Appointment, actor: User | None, by_customer: bool,
                       now: datetime | None = None) -> Appointment:
    """Cancel a session. A customer's cancellation within the tenant's notice is *late*; when the
    tenant counts late cancellations, the booked time is logged as if the session had been held."""
    now = now or timezone.now()
    _editable(appointment, tenant)
    rules = selectors.booking_rules(tenant)
    was_booked = appointment.status == Status.BOOKED
    appointment.status, appointment.cancelled_at = Status.CANCELLED, now
    appointment.late_cancellation = (by_customer and was_booked
                                     and appointment.starts_at - now < timedelta(hours=rules.late_cancel_hours))
    appointment.sequence += 1
    appointment.save(update_fields=["status", "cancelled_at", "late_cancellation", "sequence", "updated_at"])
    if appointment.late_cancellation and rules.late_cancel_counts:
        appointment.time_entry = time_entry_log(
            tenant=tenant, ticket=appointment.ticket, agent=appointment.agent, kind=appointment.kind,
            started_at=appointment.starts_at, minutes=appointment.minutes, actor=actor,
            note=_("Late cancellation of the session booked for %(at)s") % {
                "at": timezone.localtime(appointment.starts_at).strftime("%Y-%m-%d %H:%M")})
        appointment.save(update_fields=["time_entry"])
    audit_record(tenant=tenant, actor=actor, action="appointment.cancelled", obj=appointment,
                 summary="late" if appointment.late_cancellation else "")
    if was_booked:
        _event(tenant, appointment, "cancelled")
        notifications.cancelled(appointment)
    return appointment


@transaction.atomic
def appointment_log(*, tenant: Tenant, appointment: Appointment, agent: Membership, minutes: int,
                    actor: User | None, note: str = "") -> Appointment:
    """The session was held: log its time entry (the plan's rounding applies) and close it."""
    if appointment.tenant_id != tenant.pk:
        raise ValidationError({"appointment": _("Unknown appointment.")})
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Status.BOOKED or appointment.time_entry_id:
        raise ValidationError({"status": _("This session is already closed.")})
    entry = time_entry_log(tenant=tenant, ticket=appointment.ticket, agent=agent, kind=appointment.kind,
                           started_at=appointment.starts_at, minutes=minutes, actor=actor,
                           note=note or str(Kind(appointment.kind).label))
    appointment.status, appointment.time_entry = Status.DONE, entry
    appointment.save(update_fields=["status", "time_entry", "updated_at"])
    audit_record(tenant=tenant, actor=actor, action="appointment.held", obj=appointment, summary=f"{minutes} min")
    return appointment


@transaction.atomic
def appointment_no_show(*, tenant: Tenant, appointment: Appointment, actor: User | None,
                        now: datetime | None = None) -> Appointment:
    now = now or timezone.now()
    if appointment.tenant_id != tenant.pk:
        raise ValidationError({"appointment": _("Unknown appointment.")})
    if appointment.status != Status.BOOKED:
        raise ValidationError({"status": _("This session is already closed.")})
    if appointment.starts_at > now:
        raise ValidationError({"status": _("A no-show can be recorded once the session has begun.")})
    appointment.status = Status.NO_SHOW
    appointment.save(update_fields=["status", "updated_at"])
    audit_record(tenant=tenant, actor=actor, action="appointment.no_show", obj=appointment)
    return appointment


# --- call-backs and phone calls ------------------------------------------------------------------


@transaction.atomic
def callback_request(*, tenant: Tenant, phone: str, actor: User | None, ticket: Ticket | None = None,
                     contact: Contact | None = None, note: str = "", now: datetime | None = None) -> Callback:
    """Put a call-back on the list. It has no reaction guarantee (seed 000 FAQ)."""
    now = now or timezone.now()
    if ticket is not None and ticket.tenant_id != tenant.pk:
        raise ValidationError({"ticket": _("Unknown ticket.")})
    if contact is not None and contact.tenant_id != tenant.pk:
        raise ValidationError({"contact": _("Unknown contact.")})
    number = normalize_phone(phone)
    organization = (ticket.organization if ticket is not None else None) or (contact.organization if contact else None)
    terms = plan_in_force(tenant=tenant, organization=organization, at=now).terms if organization else None
    callback = Callback.objects.create(
        tenant=tenant, ticket=ticket, organization=organization,
        contact=contact or (ticket.contact if ticket else None),
        phone=number, note=(note or "")[:300], critical=bool(ticket and ticket.critical),
        queue_priority=terms.queue_priority if terms else 0, requested_by=actor, requested_at=now)
    audit_record(tenant=tenant, actor=actor, action="callback.requested", obj=callback, summary=number)
    return callback


@transaction.atomic
def callback_done(*, tenant: Tenant, callback: Callback, agent: Membership, now: datetime | None = None) -> Callback:
    if callback.tenant_id != tenant.pk:
        raise ValidationError({"callback": _("Unknown call-back.")})
    updated = (Callback.objects.for_tenant(tenant).filter(pk=callback.pk, status=Callback.Status.WAITING)
               .update(status=Callback.Status.DONE, done_at=now or timezone.now(), done_by=agent))
    if not updated:
        raise ValidationError({"status": _("Someone has already called back.")})
    callback.refresh_from_db()
    audit_record(tenant=tenant, actor=agent.user, action="callback.done", obj=callback)
    return callback


def caller_identify(*, tenant: Tenant, phone: str) -> Contact | None:
    """The contact who registered ``phone`` (RULES 1, seed 003); None for an unknown number."""
    number = normalize_phone(phone)
    contact = (Contact.objects.for_tenant(tenant).filter(phones__number=number)
               .select_related("organization").first())
    return contact


@transaction.atomic
def phone_call_log(*, tenant: Tenant, agent: Membership, phone: str, subject: str, body: str,
                   started_at: datetime | None = None, minutes: int | None = None, kind: str = Kind.PHONE,
                   callback_wanted: bool = False) -> Ticket:
    """An agent logs an incoming call as a ticket. A registered number names the contact; an
    unknown one leaves the ticket in triage. The call's time is logged when the caller is known."""
    from tickets.services import ticket_create

    contact = caller_identify(tenant=tenant, phone=phone)
    started_at = started_at or timezone.now()
    ticket = ticket_create(tenant=tenant, channel=Ticket.Channel.PHONE, subject=subject,
                           body=f"{body}\n\n{_('Caller')}: {normalize_phone(phone)}", received_at=started_at,
                           contact=contact, from_name=normalize_phone(phone), actor=agent.user)
    if minutes and ticket.organization_id:
        time_entry_log(tenant=tenant, ticket=ticket, agent=agent, kind=kind, started_at=started_at,
                       minutes=minutes, actor=agent.user, note=_("Incoming call"))
    if callback_wanted:
        callback_request(tenant=tenant, phone=phone, actor=agent.user, ticket=ticket, contact=contact,
                         note=subject, now=started_at)
    return ticket


def schedule_for(*, tenant: Tenant, membership: Membership) -> AgentSchedule:
    """The agent's schedule row (made with the defaults on first use: bookable, plan hours, a feed token)."""
    if membership.tenant_id != tenant.pk:
        raise ValidationError({"membership": _("Choose a member of your own staff.")})
    schedule, _created = AgentSchedule.objects.get_or_create(tenant=tenant, membership=membership)
    return schedule
