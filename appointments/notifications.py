"""One small function per kind of message: each enqueues the mail after the transaction commits.

Kept this narrow so that delivery can move to the outbox without touching the services.
"""
from __future__ import annotations

from django.db import transaction

from appointments.models import Appointment


def _enqueue(kind: str, appointment: Appointment) -> None:
    from appointments.tasks import appointment_mail

    pk = appointment.pk
    transaction.on_commit(lambda: appointment_mail.delay(pk, kind))


def booked(appointment: Appointment) -> None:
    _enqueue("booked", appointment)


def proposed(appointment: Appointment) -> None:
    _enqueue("proposed", appointment)


def rescheduled(appointment: Appointment) -> None:
    _enqueue("rescheduled", appointment)


def cancelled(appointment: Appointment) -> None:
    _enqueue("cancelled", appointment)
