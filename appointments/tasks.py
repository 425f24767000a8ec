"""Mail about sessions (confirmations with an invitation, reminders): the outbox handler that sends
one message to one recipient, and the reminder scan that writes reminders into the outbox."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appointments import ics, notifications
from appointments.models import Appointment
from core import outbox
from core.models import Membership

log = logging.getLogger(__name__)

REMIND_DAY = timedelta(hours=24)
REMIND_SOON = timedelta(minutes=15)


def portal_link(tenant, path: str) -> str:
    host = (tenant.domain or "").strip()
    return f"https://{host}{path}" if host else path


def _subject(kind: str, appointment: Appointment) -> str:
    subjects = {
        "booked": _("Session booked: %(when)s"),
        "proposed": _("Proposed session: %(when)s — please confirm"),
        "rescheduled": _("Session moved to %(when)s"),
        "cancelled": _("Session cancelled: %(when)s"),
        "reminder_day": _("Reminder: session on %(when)s"),
        "reminder_soon": _("Your session starts in 15 minutes"),
    }
    when = timezone.localtime(appointment.starts_at).strftime("%d.%m.%Y %H:%M")
    return f"[{appointment.ticket.reference}] " + subjects[kind] % {"when": when}


def _body(kind: str, appointment: Appointment, link: str) -> str:
    start = timezone.localtime(appointment.starts_at)
    agent = appointment.agent.user.get_full_name() or appointment.agent.user.email
    lines = [
        _("%(kind)s with %(agent)s") % {"kind": appointment.get_kind_display().capitalize(), "agent": agent},
        _("When: %(day)s, %(start)s–%(end)s") % {"day": start.strftime("%d.%m.%Y"), "start": start.strftime("%H:%M"),
                                                 "end": timezone.localtime(appointment.ends_at).strftime("%H:%M")},
        _("Ticket: %(ref)s %(subject)s") % {"ref": appointment.ticket.reference, "subject": appointment.ticket.subject},
        "",
    ]
    if kind == "cancelled":
        lines.append(_("The session has been cancelled. The attached invitation removes it from your calendar."))
    elif kind == "proposed":
        lines.append(_("We propose this time. Accept it or choose another one here: %(link)s") % {"link": link})
    else:
        lines.append(_("To reschedule or cancel: %(link)s") % {"link": link})
    return "\n".join(lines) + "\n"


def _as_at_change(appointment: Appointment, state: dict) -> Appointment:
    """The session as it was when the message was written (a later move has its own message)."""
    if not state:
        return appointment
    appointment.starts_at = datetime.fromisoformat(state["starts_at"])
    appointment.ends_at = datetime.fromisoformat(state["ends_at"])
    appointment.sequence = state["sequence"]
    if state.get("agent") and state["agent"] != appointment.agent_id:
        agent = Membership.objects.select_related("user").filter(pk=state["agent"]).first()
        if agent is not None:
            appointment.agent = agent
    return appointment


def appointment_mail_send(row) -> None:
    """Outbox handler ``appointments.mail``: one message about a session to one recipient (the
    customer or the agent), with its iCalendar invitation, under the row's stable Message-ID."""
    kind = row.payload["kind"]
    appointment = (Appointment.objects.select_related("ticket__tenant", "agent__user", "contact", "organization")
                   .filter(pk=row.payload["appointment"], tenant_id=row.tenant_id).first())
    if appointment is None:
        raise outbox.Skip("the session is gone")
    appointment = _as_at_change(appointment, row.payload.get("state") or {})
    tenant = appointment.ticket.tenant
    with translation.override(tenant.language), timezone.override(tenant.time_zone):
        link = portal_link(tenant, reverse("portal:appointment_detail", args=[appointment.pk]))
        message = EmailMessage(subject=" ".join(_subject(kind, appointment).split()),
                               body=_body(kind, appointment, link),
                               from_email=tenant.support_email or settings.DEFAULT_FROM_EMAIL, to=[row.recipient],
                               headers={"Message-ID": row.message_id, "Auto-Submitted": "auto-generated",
                                        "X-Helpdesk-Ticket": appointment.ticket.reference})
        if kind != "proposed":
            cancel = kind == "cancelled"
            method = "CANCEL" if cancel else "REQUEST"
            message.attach("sesja.ics" if tenant.language == "pl" else "session.ics",
                           ics.invitation(appointment, cancel=cancel), f"text/calendar; method={method}; charset=utf-8")
        message.send()


@transaction.atomic
def _remind(pk: int, field: str, kind: str, now) -> int:
    """Claim one reminder by a conditional update and write its mail in the same transaction."""
    if Appointment.objects.filter(pk=pk, status=Appointment.Status.BOOKED,
                                  **{f"{field}__isnull": True}).update(**{field: now}) != 1:
        return 0
    appointment = Appointment.objects.select_related("agent__user", "contact").get(pk=pk)
    # One reminder per session, arming and recipient: a reschedule re-arms it with a new SEQUENCE.
    notifications.enqueue(kind, appointment, key=f"{kind}:{appointment.sequence}")
    return 1


@shared_task(ignore_result=True)
def reminders_send() -> int:
    """Beat, every minute: the day-before and the 15-minute reminders, each claimed once by a
    conditional update, however many workers run or however late the scan comes."""
    now = timezone.now()
    sent = 0
    soon = Appointment.objects.filter(status=Appointment.Status.BOOKED, reminded_soon_at__isnull=True,
                                      starts_at__gt=now, starts_at__lte=now + REMIND_SOON)
    for pk in soon.values_list("pk", flat=True):
        sent += _remind(pk, "reminded_soon_at", "reminder_soon", now)
    # A session booked (or moved) less than a day ahead had its confirmation then: no day-before reminder.
    day = Appointment.objects.filter(status=Appointment.Status.BOOKED, reminded_day_at__isnull=True,
                                     starts_at__gt=now + REMIND_SOON, starts_at__lte=now + REMIND_DAY,
                                     updated_at__lte=F("starts_at") - REMIND_DAY)
    for pk in day.values_list("pk", flat=True):
        sent += _remind(pk, "reminded_day_at", "reminder_day", now)
    return sent
