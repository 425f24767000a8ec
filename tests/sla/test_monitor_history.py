"""A ticket's history shows its SLA warnings and breaches, read from the monitor's events (the scan
writes one row per event, no copy for the history), in words that name the target; migration 0005
takes the old copies out and puts them back when reversed."""
from datetime import timedelta

import importlib

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from monitor import services
from monitor.models import SlaEvent
from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import TicketEvent
from tickets.selectors import ticket_history

migration = importlib.import_module("monitor.migrations.0005_sla_history_from_events")


def _record(ticket, kind, at, *, target="reaction", cycle=1, late=False, now=None):
    services._events_record(kind, [(ticket.pk, ticket.tenant_id, at)], now or timezone.now(),
                            late={ticket.pk} if late else set(), target=target, cycles={ticket.pk: cycle})


def test_the_ticket_page_lists_each_warning_and_breach_once_with_its_target(demo, client):
    member = agent("wysylki", "agent@wysylki.example.com")
    ticket = file_ticket(contact("wysylki", "Paweł Nowicki"), "Faktura się nie drukuje")
    start = ticket.received_at
    _record(ticket, "warning", start + timedelta(hours=1))
    _record(ticket, "breach", start + timedelta(hours=2))
    _record(ticket, "warning", start + timedelta(hours=3), target="next_reply", cycle=2, late=True)
    _record(ticket, "breach", start + timedelta(hours=4), target="resolution")
    _record(ticket, "breach", start + timedelta(hours=2))  # a second copy: refused by the constraint

    assert not TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_").exists()
    lines = [(e.kind, e.data["target"]) for e in ticket_history(ticket=ticket) if e.kind.startswith("sla_")]
    assert lines == [("sla_warning", "reaction"), ("sla_breached", "reaction"), ("sla_warning", "next_reply"),
                     ("sla_breached", "resolution")]

    client.force_login(member.user)
    html = client.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    history = html[html.index('class="events"'):]
    for text in ("Zbliża się termin reakcji", "Przekroczono termin reakcji",
                 "Zbliża się termin kolejnej odpowiedzi", "Przekroczono termin rozwiązania"):
        assert history.count(text) == 1, text
    # in time order, the ticket's own first line (received) before them
    assert history.index("Zbliża się termin reakcji") < history.index("Przekroczono termin reakcji") \
        < history.index("Zbliża się termin kolejnej odpowiedzi") < history.index("Przekroczono termin rozwiązania")


def test_another_tenants_events_never_reach_a_history(demo):
    ours = file_ticket(contact("wysylki", "Paweł Nowicki"), "Nasze")
    theirs = file_ticket(contact("kjm", "Barbara Księgowa"), "Ich")
    _record(theirs, "breach", theirs.received_at + timedelta(hours=1))
    assert not [e for e in ticket_history(ticket=ours) if e.kind.startswith("sla_")]
    assert [e.kind for e in ticket_history(ticket=theirs) if e.kind.startswith("sla_")] == ["sla_breached"]


def test_migration_0005_drops_the_copies_and_writes_them_back(demo):
    ticket = file_ticket(contact("wysylki", "Paweł Nowicki"), "Stara historia")
    at, now = ticket.received_at + timedelta(hours=2), timezone.now()
    for kind, late, target, cycle in (("warning", True, "reaction", 1), ("breach", False, "reaction", 1),
                                      ("breach", False, "next_reply", 3)):
        SlaEvent.objects.create(tenant_id=ticket.tenant_id, ticket=ticket, kind=kind, at=at, recorded_at=now,
                                late=late, target=target, cycle=cycle)
    # back to before 0005: the copies are written from the events
    migration.history_rows_write(apps, None)
    rows = sorted((e.kind, e.data.get("target", "reaction"), e.data.get("cycle"), e.data.get("late", False))
                  for e in TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_"))
    assert rows == [("sla_breached", "next_reply", 3, False), ("sla_breached", "reaction", None, False),
                    ("sla_warning", "reaction", None, True)]
    # a line no event stands for (none is known, but a copy without its event would show nowhere else)
    orphan = TicketEvent.objects.create(tenant_id=ticket.tenant_id, ticket=ticket, kind="sla_breached",
                                        at=at - timedelta(hours=1), data={})

    # forwards: the copies go, the ticket's own lines and the orphan stay
    migration.history_rows_delete(apps, None)
    assert list(TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_")) == [orphan]
    assert TicketEvent.objects.filter(ticket=ticket, kind="created").exists()
