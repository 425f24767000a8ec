"""A target missed outside the monitor's scan (RULES 4.7): an agent reacts, replies or resolves after the
due time, before any scan saw it. The ticket services find it, the monitor's listener in tickets.hooks
records the breach (and its late warning) at the due time, once, with its webhooks; the next scans put
it into one digest per escalation contact and never record or send it again. One case per target."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from core import outbox
from core.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from monitor import services
from monitor.models import SlaEvent
from plans.models import Subscription
from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import Ticket
from tickets.services import message_add, ticket_set_status

WARSAW = ZoneInfo("Europe/Warsaw")
S = Ticket.Status


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in the week of Monday 7 December 2026 (no holidays), Warsaw time."""
    return datetime(2026, 12, day, hour, minute, tzinfo=WARSAW)


@pytest.fixture
def world(demo):
    """Elektro-Mat on STANDARD (Mon–Fri 7–17, reaction 4 h), next reply 2 h and resolution 10 h; an
    endpoint subscribed to the SLA webhooks."""
    customer = contact("wysylki", "Krzysztof Prądzyński")
    subscription = Subscription.objects.filter(organization=customer.organization).get()
    subscription.overrides = {**subscription.overrides, "next_reply_minutes": 120, "resolution_minutes": 600}
    subscription.save()
    staff = agent("wysylki", "agent@wysylki.example.com")
    endpoint = WebhookEndpoint.objects.create(tenant=staff.tenant, url="https://crm.example.com/hook",
                                              events=["sla.warning", "sla.breached"], secret_encrypted="x")
    return {"customer": customer, "agent": staff, "tenant": staff.tenant, "endpoint": endpoint}


def _late_reaction(world) -> tuple[Ticket, datetime, int]:
    ticket = file_ticket(world["customer"], "Nie drukuje", received_at=local(7, 8))
    assert ticket.due_at == local(7, 12)
    message_add(tenant=world["tenant"], ticket=ticket, body="Sprawdzamy.", author_user=world["agent"].user,
                at=local(7, 13))
    return ticket, local(7, 12), 1


def _late_next_reply(world) -> tuple[Ticket, datetime, int]:
    tenant, customer, user = world["tenant"], world["customer"], world["agent"].user
    ticket = file_ticket(customer, "Wolno działa", received_at=local(7, 8))
    message_add(tenant=tenant, ticket=ticket, body="Sprawdzamy.", author_user=user, at=local(7, 9))
    message_add(tenant=tenant, ticket=ticket, body="Nadal wolno.", author_contact=customer, source="portal",
                at=local(7, 10))
    message_add(tenant=tenant, ticket=ticket, body="Już poprawione.", author_user=user, at=local(7, 13, 30))
    return ticket, local(7, 12), 1


def _late_resolution(world) -> tuple[Ticket, datetime, int]:
    tenant, user = world["tenant"], world["agent"].user
    ticket = file_ticket(world["customer"], "Nie liczy VAT", received_at=local(7, 8))
    message_add(tenant=tenant, ticket=ticket, body="Sprawdzamy.", author_user=user, at=local(7, 9))
    ticket_set_status(tenant=tenant, ticket=ticket, status=S.RESOLVED, actor=user, at=local(8, 9))
    return ticket, local(8, 8), 1


DRIVERS = {"reaction": _late_reaction, "next_reply": _late_next_reply, "resolution": _late_resolution}
SCAN_AT = {"reaction": local(7, 14), "next_reply": local(7, 14), "resolution": local(8, 10)}
DUE_WORDS = {"reaction": "termin reakcji minął", "next_reply": "termin kolejnej odpowiedzi minął",
             "resolution": "termin rozwiązania minął"}


@pytest.mark.parametrize("target", list(DRIVERS))
def test_a_target_missed_outside_the_scan_is_recorded_once_and_escalated_once(world, target):
    # given nothing recorded yet
    assert not SlaEvent.objects.exists()

    # when the agent acts after the due time through the ticket services
    ticket, due, cycle = DRIVERS[target](world)

    # then exactly this target is breached, at its due time, in its cycle, with a late warning before it
    events = list(SlaEvent.objects.filter(ticket=ticket).order_by("kind").values_list("kind", "target", "cycle",
                                                                                      "at", "late"))
    assert [(kind, t, c, late) for kind, t, c, _at, late in events] == [
        ("breach", target, cycle, False), ("warning", target, cycle, True)]
    assert events[0][3] == due
    # and one webhook per event, carrying the target and its cycle, waits in the outbox of deliveries
    deliveries = {d.event_type: d.payload for d in WebhookDelivery.objects.filter(endpoint=world["endpoint"])
                  if d.event_type.startswith("sla.")}
    assert set(deliveries) == {"sla.warning", "sla.breached"}
    assert WebhookDelivery.objects.filter(endpoint=world["endpoint"], event_type="sla.breached").count() == 1
    breached = deliveries["sla.breached"]["data"]
    assert (breached["target"], breached["cycle"], breached["kind"]) == (target, cycle, "breach")
    assert datetime.fromisoformat(breached["at"].replace("Z", "+00:00")) == due
    assert breached["ticket"]["id"] == ticket.pk

    # when the monitor scans afterwards, twice (before any other target of the ticket falls due)
    after = SCAN_AT[target]
    first = services.sla_scan(now=after)
    services.notifications_deliver(now=after)
    second = services.sla_scan(now=after + timedelta(minutes=1))
    services.notifications_deliver(now=after + timedelta(minutes=1))
    outbox.dispatch()

    # then it is neither recorded nor sent again: one digest to the escalation contact names it
    assert SlaEvent.objects.filter(ticket=ticket, kind="breach", target=target).count() == 1
    assert first.breaches == 0 and second.breaches == 0
    assert WebhookDelivery.objects.filter(endpoint=world["endpoint"], event_type="sla.breached").count() == 1
    digests = OutboxMessage.objects.filter(handler=services.DIGEST, recipient="kierownik@wysylki.example.com")
    assert digests.count() == 1
    [escalated] = [m for m in mail.outbox if m.to == ["kierownik@wysylki.example.com"]]
    assert ticket.reference in escalated.body and DUE_WORDS[target] in escalated.body
    assert due.astimezone(WARSAW).strftime("%d.%m.%Y, %H:%M") in escalated.body
