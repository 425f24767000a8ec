"""Fixtures of the appointments tests: the demo's START customer with a ticket, a fixed clock."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

WARSAW = ZoneInfo("Europe/Warsaw")
# A Monday morning; Tuesday 5 May 2026 is an ordinary working day.
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=WARSAW)


@pytest.fixture
def start_ticket(demo, monkeypatch):
    """Meblex (START: 3 h a month, 8:00–16:00) files a ticket; mail and ticket notices are not sent."""
    from core.models import Contact
    from tests.tickets.ui_support import file_ticket

    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    contact = Contact.objects.get(name="Joanna Stolarczyk")
    return file_ticket(contact, "Pomoc przy konfiguracji kuriera", received_at=NOW)


@pytest.fixture
def sent(monkeypatch):
    """Mails enqueued by the services, as (appointment id, kind), instead of the worker."""
    calls = []
    monkeypatch.setattr("appointments.tasks.appointment_mail.delay", lambda pk, kind: calls.append((pk, kind)))
    monkeypatch.setattr("appointments.notifications._enqueue", lambda kind, a: calls.append((a.pk, kind)))
    return calls
