"""The monitor on the targets beyond the reaction (RULES 4.7): every target is warned and breached once
per (ticket, target, cycle), with the digest and the webhooks of the outbox."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.core import mail

from monitor import services
from monitor.models import SlaEvent
from tests.sla.test_monitor import NOW, scan, ticket_make, world  # noqa: F401  (fixture)
from tickets.models import Ticket


def _reply_owed(tenant, *, due, cycle=1, **extra) -> Ticket:
    ticket = ticket_make(tenant, due_at=None, state="met", reacted_at=NOW - timedelta(days=1),
                       reply_started_at=due - timedelta(hours=2), reply_cycle=cycle, reply_due_at=due,
                       reply_warn_at=due - timedelta(minutes=30), **extra)
    Ticket.objects.filter(pk=ticket.pk).update(status="open")
    return ticket


def test_next_reply_and_resolution_are_warned_and_breached_once_each(world):  # noqa: F811
    tenant = world["tenant"]
    # given one ticket owing a reply past its due time, and one whose resolution is near
    late_reply = _reply_owed(tenant, due=NOW - timedelta(hours=1), organization=world["organization"])
    near = ticket_make(tenant, due_at=None, state="met", reacted_at=NOW - timedelta(days=1),
                       resolution_due_at=NOW + timedelta(hours=1), resolution_warn_at=NOW - timedelta(minutes=5))

    # when the monitor scans twice
    first, _delivered = scan()
    second, _again = scan(NOW + timedelta(minutes=1))

    # then the reply gets a late warning and a breach at its due time, the resolution a warning, once
    events = sorted(SlaEvent.objects.values_list("ticket_id", "kind", "target", "cycle", "at", "late"))
    assert events == sorted([
        (late_reply.pk, "warning", "next_reply", 1, NOW - timedelta(hours=1, minutes=30), True),
        (late_reply.pk, "breach", "next_reply", 1, NOW - timedelta(hours=1), False),
        (near.pk, "warning", "resolution", 1, NOW - timedelta(minutes=5), False),
    ])
    late_reply.refresh_from_db()
    assert late_reply.reply_breached_at == NOW - timedelta(hours=1)
    assert (second.warnings, second.breaches, second.late_warnings) == (0, 0, 0)
    bodies = "\n".join(m.body for m in mail.outbox)
    assert "termin kolejnej odpowiedzi minął" in bodies and "termin rozwiązania:" in bodies


def test_a_new_reply_cycle_is_warned_and_breached_again(world):  # noqa: F811
    tenant = world["tenant"]
    ticket = _reply_owed(tenant, due=NOW - timedelta(hours=1))
    scan()
    # the agent replied late, the customer wrote again: cycle 2 owes a reply, now missed too
    Ticket.objects.filter(pk=ticket.pk).update(reply_cycle=2, reply_breached_at=None, reply_met_at=None,
                                               reply_due_at=NOW + timedelta(minutes=10),
                                               reply_warn_at=NOW + timedelta(minutes=5))
    result, _delivered = scan(NOW + timedelta(hours=1))
    assert result.breaches == 1
    assert sorted(SlaEvent.objects.filter(kind="breach").values_list("target", "cycle")) == [
        ("next_reply", 1), ("next_reply", 2)]


def test_concurrent_inserts_of_the_same_target_event_keep_one(world):  # noqa: F811
    ticket = _reply_owed(world["tenant"], due=NOW - timedelta(hours=1))
    rows = [(ticket.pk, ticket.tenant_id, NOW - timedelta(hours=1))]
    assert services._events_record("breach", rows, NOW, target="next_reply", cycles={ticket.pk: 1}) == 1
    assert services._events_record("breach", rows, NOW, target="next_reply", cycles={ticket.pk: 1}) == 0
    # the same ticket's reaction breach is another event
    assert services._events_record("breach", rows, NOW) == 1
    assert SlaEvent.objects.filter(ticket=ticket).count() == 2


def test_every_target_emits_its_warning_and_breach_webhooks_once_with_target_and_cycle(world):  # noqa: F811
    from core.models import WebhookDelivery, WebhookEndpoint

    tenant = world["tenant"]
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url="https://crm.example.com/hook",
                                              events=["sla.warning", "sla.breached"], secret_encrypted="x")
    # given one ticket per target past its due time (the reply in its second cycle)
    reaction = ticket_make(tenant, due_at=NOW - timedelta(hours=1))
    reply = _reply_owed(tenant, due=NOW - timedelta(hours=1), cycle=2)
    resolution = ticket_make(tenant, due_at=None, state="met", reacted_at=NOW - timedelta(days=1),
                             resolution_due_at=NOW - timedelta(hours=1),
                             resolution_warn_at=NOW - timedelta(hours=2))

    # when the monitor scans three times
    scan()
    scan(NOW + timedelta(minutes=1))
    scan(NOW + timedelta(hours=1))

    # then each target has one warning and one breach webhook, carrying the target and the cycle
    def moment(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    sent = sorted((d.event_type, d.payload["data"]["ticket"]["id"], d.payload["data"]["target"],
                   d.payload["data"]["cycle"], moment(d.payload["data"]["at"]))
                  for d in WebhookDelivery.objects.filter(endpoint=endpoint, event_type__startswith="sla."))
    hour_ago = NOW - timedelta(hours=1)
    assert sent == sorted([
        ("sla.warning", reaction.pk, "reaction", 1, NOW - timedelta(hours=3)),
        ("sla.breached", reaction.pk, "reaction", 1, hour_ago),
        ("sla.warning", reply.pk, "next_reply", 2, NOW - timedelta(hours=1, minutes=30)),
        ("sla.breached", reply.pk, "next_reply", 2, hour_ago),
        ("sla.warning", resolution.pk, "resolution", 1, NOW - timedelta(hours=2)),
        ("sla.breached", resolution.pk, "resolution", 1, hour_ago),
    ])
