"""iCalendar (RFC 5545) invitations and feeds.

One session is one VEVENT with a stable UID for its whole life; every change raises SEQUENCE, so a
calendar program updates the event it has (METHOD:REQUEST) or removes it (METHOD:CANCEL) instead of
adding a second one.
"""
from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from appointments.models import Appointment

PRODID = "-//Helpdesk//Appointments//PL"


def _uid(appointment: Appointment) -> str:
    return f"{appointment.uid}@helpdesk"


def _event(appointment: Appointment, *, cancelled: bool, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", _uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at.astimezone(dt_timezone.utc))
    event.add("dtend", appointment.ends_at.astimezone(dt_timezone.utc))
    ticket = appointment.ticket
    event.add("summary", f"{ticket.reference}: {appointment.get_kind_display()} — {ticket.subject}")
    event.add("description", appointment.note or appointment.ticket.subject)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    tenant = appointment.ticket.tenant
    organizer = vCalAddress(f"mailto:{tenant.support_email or settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = vText(tenant.name)
    event.add("organizer", organizer)
    agent_user = appointment.agent.user
    for email, name in ((agent_user.email, agent_user.get_full_name()),
                        (_contact_email(appointment), appointment.contact.name if appointment.contact else "")):
        if email:
            attendee = vCalAddress(f"mailto:{email}")
            attendee.params["cn"] = vText(name or email)
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            event.add("attendee", attendee, encode=0)
    return event


def _contact_email(appointment: Appointment) -> str:
    if appointment.contact is None:
        return ""
    first = appointment.contact.emails.order_by("id").first()
    return first.email if first else ""


def invitation(appointment: Appointment, *, cancel: bool = False) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    calendar.add_component(_event(appointment, cancelled=cancel, stamp=timezone.now()))
    return calendar.to_ical()


def feed(appointments: list[Appointment], *, name: str) -> bytes:
    """A subscription feed (no METHOD): cancelled sessions stay as CANCELLED events."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    for appointment in appointments:
        calendar.add_component(_event(appointment, cancelled=appointment.status == Appointment.Status.CANCELLED,
                                      stamp=stamp))
    return calendar.to_ical()
