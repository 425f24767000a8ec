"""Merging a ticket into another and splitting a customer's message off: the services' rules and effects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import TimeEntry
from billing.services import time_entry_log
from billing.statements import statement_generate
from core.models import AuditEvent, OutboxMessage
from monitor.models import SlaEvent
from tests.tickets.ui_support import PNG, agent, contact, file_ticket
from tickets.attachments import attachment_check
from tickets.merge import customer_waiting_since, message_split, ticket_merge
from tickets.models import Attachment, Message, SlaPause, Ticket, TicketEvent
from tickets.services import message_add, ticket_create, ticket_set_status


@pytest.fixture
def scene(demo, monkeypatch):
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    member = agent("wysylki", "agent@wysylki.example.com")
    customer = contact("wysylki", "Paweł Nowicki")
    source = file_ticket(customer, "Etykiety się nie drukują", attachment=True)
    target = file_ticket(customer, "Drukarka Zebra nie drukuje")
    return {"tenant": source.tenant, "agent": member, "customer": customer, "source": source, "target": target}


def _merge(scene, source=None, target=None):
    return ticket_merge(
        tenant=scene["tenant"],
        source=source or scene["source"],
        target=target or scene["target"],
        actor=scene["agent"].user,
    )


def test_merge_moves_the_conversation_and_leaves_a_pointer(scene):
    source, target = scene["source"], scene["target"]
    message_add(
        tenant=scene["tenant"],
        ticket=source,
        body="Jeszcze jedno: wydruk jest pusty.",
        author_contact=scene["customer"],
        source="portal",
    )
    moved = set(Message.objects.filter(ticket=source).values_list("pk", flat=True))

    result = _merge(scene)

    source.refresh_from_db()
    assert result.pk == target.pk
    assert source.merged_into_id == target.pk and source.merged_at is not None
    assert source.status == Ticket.Status.CLOSED and source.closed_at is not None
    assert moved <= set(Message.objects.filter(ticket=target).values_list("pk", flat=True))
    assert Attachment.objects.filter(ticket=target, filename="zrzut.png").count() == 1
    assert not Attachment.objects.filter(ticket=source).exists()
    # each ticket keeps a note saying who merged what, and an event
    notes = {
        m.ticket_id: m.body for m in Message.objects.filter(ticket__in=[source, target], internal=True, source="system")
    }
    assert target.reference in notes[source.pk] and source.reference in notes[target.pk]
    assert "wiadomości: 2" in notes[target.pk]
    assert TicketEvent.objects.filter(ticket=source, kind="merged_into").exists()
    assert TicketEvent.objects.filter(ticket=target, kind="merged_from", data__messages=2).exists()
    audit = AuditEvent.objects.get(action="ticket.merged")
    assert audit.object_id == str(source.pk) and audit.actor == scene["agent"].user
    # the requester is told once, through the outbox, in the merge's transaction
    [notice] = OutboxMessage.objects.filter(handler="tickets.merged")
    assert notice.payload == {"source": source.pk, "target": target.pk}
    assert notice.recipient == source.requester_email


def test_merged_ticket_takes_no_more_writes(scene):
    _merge(scene)
    source = Ticket.objects.get(pk=scene["source"].pk)
    with pytest.raises(ValidationError, match=scene["target"].reference):
        message_add(tenant=scene["tenant"], ticket=source, body="Halo?", author_user=scene["agent"].user)
    with pytest.raises(ValidationError, match="scalone"):
        ticket_set_status(tenant=scene["tenant"], ticket=source, status="open", actor=scene["agent"].user)


@pytest.mark.parametrize(
    "case", ["itself", "into_merged", "merged_source", "chain", "closed_target", "other_organization", "other_tenant"]
)
def test_every_refusal_leaves_both_tickets_as_they_were(scene, case):
    source, target = scene["source"], scene["target"]
    expected = {
        "itself": "samym sobą",
        "into_merged": "scalone z innym",
        "merged_source": "już scalone",
        "chain": "łańcuch",
        "closed_target": "zamknięte",
        "other_organization": "różnych organizacji",
        "other_tenant": "Nieznane zgłoszenie",
    }[case]
    if case == "itself":
        target = source
    elif case == "into_merged":
        third = file_ticket(scene["customer"], "Trzecie")
        _merge(scene, source=target, target=third)
        target.refresh_from_db()
    elif case == "merged_source":
        third = file_ticket(scene["customer"], "Trzecie")
        _merge(scene, source=source, target=third)
        source.refresh_from_db()
    elif case == "chain":
        third = file_ticket(scene["customer"], "Trzecie")
        _merge(scene, source=third, target=source)
    elif case == "closed_target":
        ticket_set_status(tenant=scene["tenant"], ticket=target, status="closed", actor=scene["agent"].user)
    elif case == "other_organization":
        target = file_ticket(contact("wysylki", "Ewa Kwiatkowska"), "Cudza sprawa")
        assert target.organization_id != source.organization_id
    elif case == "other_tenant":
        target = file_ticket(contact("kjm", "Barbara Księgowa"), "Obca sprawa")
    before = {
        t.pk: (t.status, t.merged_into_id, Message.objects.filter(ticket=t).count())
        for t in Ticket.objects.filter(pk__in=[source.pk, target.pk])
    }
    audited = AuditEvent.objects.filter(action="ticket.merged").count()

    with pytest.raises(ValidationError, match=expected):
        _merge(scene, source=source, target=target)

    after = {
        t.pk: (t.status, t.merged_into_id, Message.objects.filter(ticket=t).count())
        for t in Ticket.objects.filter(pk__in=[source.pk, target.pk])
    }
    assert after == before
    assert AuditEvent.objects.filter(action="ticket.merged").count() == audited


def test_the_targets_sla_is_recomputed_and_the_sources_history_stays(scene):
    source, target = scene["source"], scene["target"]
    user = scene["agent"].user
    # the target was answered and waits on the customer; the source has the customer's unanswered message
    message_add(
        tenant=scene["tenant"],
        ticket=target,
        body="Prosimy o zrzut ekranu.",
        author_user=user,
        new_status="waiting_customer",
    )
    ticket_set_status(tenant=scene["tenant"], ticket=source, status="waiting_customer", actor=user)
    ticket_set_status(tenant=scene["tenant"], ticket=source, status="open", actor=user)
    later = timezone.now() + timedelta(seconds=1)
    message_add(
        tenant=scene["tenant"],
        ticket=source,
        body="Nadal nie działa.",
        author_contact=scene["customer"],
        source="portal",
        at=later,
    )
    SlaEvent.objects.create(
        tenant=scene["tenant"],
        ticket=source,
        kind="warning",
        target="reaction",
        at=timezone.now(),
        recorded_at=timezone.now(),
    )
    pauses = SlaPause.objects.filter(ticket=source).count()

    _merge(scene)

    target.refresh_from_db()
    source.refresh_from_db()
    # the customer's waiting message came along: the target owes an answer and is back in work
    assert target.status == Ticket.Status.OPEN
    assert target.customer_waiting_since == later
    assert target.needs_agent
    # the source's SLA history stays with it; its closing adds one pause (the resolution clock stops)
    assert SlaEvent.objects.filter(ticket=source).count() == 1
    assert SlaPause.objects.filter(ticket=source).count() == pauses + 1
    assert source.sla_state != Ticket.SlaState.RUNNING and not source.needs_agent


def test_a_pending_reaction_of_the_source_is_no_longer_owed(scene):
    source = scene["source"]
    Ticket.objects.filter(pk=source.pk).update(sla_state="running", due_at=timezone.now() + timedelta(hours=1))
    _merge(scene)
    source.refresh_from_db()
    assert source.sla_state == Ticket.SlaState.NONE
    assert not Ticket.objects.filter(pk=source.pk, sla_state="running").exists()  # the monitor will not breach it


def test_time_entries_move_unless_their_month_is_issued(scene):
    source = scene["source"]
    entry = time_entry_log(
        tenant=scene["tenant"],
        ticket=source,
        agent=scene["agent"],
        kind="phone",
        started_at=timezone.now() - timedelta(minutes=30),
        minutes=20,
    )
    _merge(scene)
    entry.refresh_from_db()
    assert entry.ticket_id == scene["target"].pk
    assert TicketEvent.objects.get(ticket=scene["target"], kind="merged_from").data["time_entries"] == 1


def test_time_on_an_issued_statement_refuses_the_merge(scene):
    source, target = scene["source"], scene["target"]
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=10)
    started = timezone.make_aware(timezone.datetime(last_month.year, last_month.month, 10, 10, 0))
    Ticket.objects.filter(pk=source.pk).update(received_at=started - timedelta(hours=1))
    source.refresh_from_db()
    entry = time_entry_log(
        tenant=scene["tenant"], ticket=source, agent=scene["agent"], kind="phone", started_at=started, minutes=20
    )
    statement_generate(tenant=scene["tenant"], organization=source.organization, month=last_month.replace(day=1))

    with pytest.raises(ValidationError) as refused:
        _merge(scene)
    assert "wystawionym zestawieniu" in str(refused.value) and last_month.strftime("%m/%Y") in str(refused.value)

    entry.refresh_from_db()
    assert entry.ticket_id == source.pk
    assert Message.objects.filter(ticket=source).exists()
    assert not Ticket.objects.get(pk=source.pk).merged_into_id
    assert TimeEntry.objects.filter(ticket=target).count() == 0


def test_search_by_the_merged_reference_finds_both(scene):
    from tickets.search import search_condition

    _merge(scene)
    source, target = scene["source"], scene["target"]
    condition = search_condition(tenant_id=source.tenant_id, prefix=source.tenant.ticket_prefix, query=source.reference)
    assert set(Ticket.objects.filter(condition).values_list("pk", flat=True)) == {source.pk, target.pk}


# --- split ------------------------------------------------------------------------------------------


def _second_message(scene, *, at=None, attachment=True):
    files = [attachment_check("faktura.png", PNG)] if attachment else []
    return message_add(
        tenant=scene["tenant"],
        ticket=scene["source"],
        body="A faktury się nie eksportują.",
        author_contact=scene["customer"],
        source="portal",
        attachments=files,
        at=at,
    )


def test_split_moves_the_message_with_its_files_to_a_new_ticket_with_its_own_clock(scene):
    source = scene["source"]
    Message.objects.filter(ticket=source).update(created_at=timezone.now() - timedelta(hours=1))
    at = timezone.now() - timedelta(minutes=5)
    message = _second_message(scene, at=at)

    new = message_split(
        tenant=scene["tenant"], message=message, subject="  Eksport faktur  ", actor=scene["agent"].user
    )

    message.refresh_from_db()
    assert message.ticket_id == new.pk and new.subject == "Eksport faktur"
    assert Attachment.objects.get(message=message).ticket_id == new.pk
    assert (new.organization_id, new.contact_id, new.requester_email) == (
        source.organization_id,
        source.contact_id,
        source.requester_email,
    )
    assert new.plan_id == source.plan_id
    assert new.received_at == at and new.customer_waiting_since == at
    assert new.sla_started_at is None or new.sla_started_at >= at
    # both threads get a note that names the other ticket
    assert Message.objects.filter(ticket=source, internal=True, body__contains=new.reference).exists()
    assert Message.objects.filter(ticket=new, internal=True, body__contains=source.reference).exists()
    assert AuditEvent.objects.filter(action="ticket.split", object_id=str(new.pk)).exists()
    assert OutboxMessage.objects.filter(handler="tickets.acknowledgement", payload={"ticket": new.pk}).exists()


def test_split_refuses_staff_messages_the_first_message_and_a_blank_subject(scene):
    source = scene["source"]
    first = Message.objects.filter(ticket=source).order_by("created_at", "id").first()
    note = message_add(
        tenant=scene["tenant"], ticket=source, body="notatka", author_user=scene["agent"].user, internal=True
    )
    for message, text in ((first, "otworzyła"), (note, "klienta")):
        with pytest.raises(ValidationError, match=text):
            message_split(tenant=scene["tenant"], message=message, subject="Nowe", actor=scene["agent"].user)
    with pytest.raises(ValidationError):
        message_split(tenant=scene["tenant"], message=_second_message(scene), subject="   ", actor=scene["agent"].user)
    assert Ticket.objects.filter(tenant=scene["tenant"], subject="Nowe").count() == 0


def test_split_leaves_the_source_waiting_only_for_what_is_left(scene):
    source = scene["source"]
    message_add(tenant=scene["tenant"], ticket=source, body="Sprawdzamy.", author_user=scene["agent"].user)
    message = _second_message(scene, attachment=False, at=timezone.now() + timedelta(seconds=1))
    source.refresh_from_db()
    assert source.customer_waiting_since == message.created_at

    message_split(tenant=scene["tenant"], message=message, subject="Eksport", actor=scene["agent"].user)

    source.refresh_from_db()
    assert source.customer_waiting_since is None and customer_waiting_since(source) is None


def test_split_of_another_tenants_message_is_refused(scene):
    foreign = file_ticket(contact("kjm", "Barbara Księgowa"), "Obca sprawa")
    message = Message.objects.filter(ticket=foreign).first()
    with pytest.raises(ValidationError, match="Nieznana"):
        message_split(tenant=scene["tenant"], message=message, subject="x", actor=scene["agent"].user)


def test_ticket_create_is_untouched_by_merges(scene):
    # a merged ticket never appears as the requester's ticket to merge into: a fresh ticket still works
    _merge(scene)
    fresh = ticket_create(
        tenant=scene["tenant"], channel="portal", contact=scene["customer"], subject="Nowe", body="Opis"
    )
    assert fresh.merged_into_id is None and fresh.status == Ticket.Status.NEW
