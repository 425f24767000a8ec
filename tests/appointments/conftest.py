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


class _Sent:
    """The session mails written to the outbox, one (appointment id, kind) per message (a message
    has a row per recipient), in the order they were written."""

    def __iter__(self):
        from core.models import OutboxMessage

        messages: dict[str, tuple[int, str]] = {}
        for row in OutboxMessage.objects.filter(handler="appointments.mail").order_by("id"):
            messages.setdefault(row.dedupe_key.rpartition(":")[0], (row.payload["appointment"], row.payload["kind"]))
        return iter(list(messages.values()))


@pytest.fixture
def sent():
    """Mails written by the services into the outbox, as (appointment id, kind)."""
    return _Sent()
