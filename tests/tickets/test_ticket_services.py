"""ticket_create and the ticket write services: entitlements, deadline, reaction, status rules."""
from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from helpdesk.management.commands.seed_demo import seed
from core.models import Contact, Membership, Tenant
from plans.models import Plan
from plans.services import plan_terms_update
from sla import policy
from tickets.models import Category, Message, Ticket, TicketEvent
from tickets.services import (message_add, ticket_accept, ticket_assign, ticket_create, ticket_set_status,
                              ticket_update)

S = Ticket.Status


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def demo(db):
    seed()
    wysylki = Tenant.objects.get(slug="wysylki")
    kjm = Tenant.objects.get(slug="kjm")

    class Demo:
        pass

    d = Demo()
    d.wysylki, d.kjm = wysylki, kjm
    d.email_contact = Contact.objects.get(tenant=wysylki, name="Paweł Nowicki")
    d.standard_contact = Contact.objects.get(tenant=wysylki, name="Krzysztof Prądzyński")
    d.community_contact = Contact.objects.get(tenant=wysylki, name="Ewa Kwiatkowska")
    d.opieka_contact = Contact.objects.get(tenant=kjm, name="Barbara Księgowa")
    d.zorza_contact = Contact.objects.get(tenant=kjm, name="Zofia Zarządca")
    d.pakiet_contact = Contact.objects.get(tenant=kjm, name="Henryk Bilansowy")
    d.agent = Membership.objects.get(tenant=wysylki, user__username="agent@wysylki.example.com")
    d.kjm_agent = Membership.objects.get(tenant=kjm, user__username="dyzurny@kjm.example.com")
    return d


def create(demo, tenant=None, **kw):
    kw.setdefault("channel", "email")
    kw.setdefault("subject", "Program nie drukuje etykiet")
    kw.setdefault("body", "Od rana drukarka zwraca błąd.")
    return ticket_create(tenant=tenant or demo.wysylki, **kw)


def test_numbers_are_per_tenant_and_sequential(demo):
    first = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    second = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:05:00+01:00"))
    other = create(demo, tenant=demo.kjm, contact=demo.opieka_contact, received_at=at("2026-11-23T10:05:00+01:00"))
    assert second.number == first.number + 1
    assert first.reference.startswith("WYS-") and other.reference.startswith("KJM-")


def test_authorised_contact_gets_a_new_ticket_with_the_plan_deadline(demo):
    ticket = create(demo, contact=demo.email_contact, received_at=at("2026-11-27T16:30:00+01:00"))
    assert ticket.status == S.NEW
    assert ticket.organization == demo.email_contact.organization
    assert ticket.plan.code == "email" and ticket.terms.version == 1
    assert ticket.sla_state == Ticket.SlaState.RUNNING
    assert ticket.due_at == at("2026-12-01T15:00:00+01:00")
    assert ticket.messages.get().body == "Od rana drukarka zwraca błąd."
    assert TicketEvent.objects.filter(ticket=ticket, kind="created").exists()


def test_sender_is_recognised_by_address(demo):
    ticket = create(demo, from_email="PAWEL@novahurt.example.com", received_at=at("2026-11-23T10:00:00+01:00"))
    assert ticket.contact == demo.email_contact and ticket.status == S.NEW


def test_unauthorised_address_of_a_known_organization_goes_to_triage(demo):
    ticket = create(demo, from_email="magazyn@novahurt.example.com", received_at=at("2026-11-23T10:00:00+01:00"))
    assert ticket.status == S.TRIAGE
    assert ticket.organization.name == "Nova Hurt sp. z o.o."
    assert (ticket.sla_state, ticket.sla_reason) == (Ticket.SlaState.NONE, policy.UNVERIFIED_SENDER)


def test_new_address_in_a_known_domain_goes_to_triage_with_the_organization(demo):
    ticket = create(demo, from_email="szef@novahurt.example.com", received_at=at("2026-11-23T10:00:00+01:00"))
    assert ticket.status == S.TRIAGE and ticket.organization.name == "Nova Hurt sp. z o.o."


def test_unknown_sender_goes_to_triage_without_organization(demo):
    ticket = create(demo, from_email="ktos@gmail.com", received_at=at("2026-11-23T10:00:00+01:00"))
    assert ticket.status == S.TRIAGE and ticket.organization is None
    assert ticket.requester_email == "ktos@gmail.com"


def test_accepting_a_triage_ticket_starts_the_clock_then(demo):
    ticket = create(demo, from_email="ktos@gmail.com", received_at=at("2026-11-23T10:00:00+01:00"))
    accepted = ticket_accept(tenant=demo.wysylki, ticket=ticket, actor=demo.agent.user,
                             organization=demo.standard_contact.organization, at=at("2026-11-23T12:00:00+01:00"))
    assert accepted.status == S.NEW
    assert accepted.plan.code == "standard"
    assert accepted.due_at == at("2026-11-23T16:00:00+01:00")


def test_out_of_scope_category_is_accepted_but_not_covered(demo):
    category = Category.objects.get(tenant=demo.kjm, code="custom_programming")
    ticket = create(demo, tenant=demo.kjm, contact=demo.opieka_contact, category=category,
                    received_at=at("2026-11-23T10:00:00+01:00"))
    assert ticket.status == S.NEW
    assert ticket.coverage == Ticket.Coverage.NOT_COVERED
    assert ticket.sla_reason == policy.OUT_OF_SCOPE


def test_opieka_before_its_start_month_is_a_package_customer(demo):
    # Wodociągi accepted OPIEKA on 16 March; it starts on 1 April. Until then KJM's default plan applies.
    ticket = create(demo, tenant=demo.kjm, contact=demo.opieka_contact, critical=True,
                    received_at=at("2026-03-28T21:30:00+01:00"))
    assert ticket.plan.code == "pakiet" and ticket.status == S.WAITING_PACKAGE


def test_pakiet_customer_without_a_package_waits_for_one(demo):
    ticket = create(demo, tenant=demo.kjm, contact=demo.pakiet_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    assert ticket.status == S.WAITING_PACKAGE
    assert ticket.sla_reason == policy.NO_VALID_PACKAGE


def test_community_email_question_is_answered_with_the_forum_pointer(demo):
    ticket = create(demo, contact=demo.community_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    assert ticket.sla_reason == policy.EMAIL_BUGS_ONLY
    auto = ticket.messages.get(source=Message.Source.SYSTEM)
    assert not auto.internal
    # An automatic answer is not a reaction.
    ticket.refresh_from_db()
    assert ticket.reacted_at is None


def test_opieka_emergency_pages_on_call(demo):
    ticket = create(demo, tenant=demo.kjm, contact=demo.zorza_contact, critical=True,
                    received_at=at("2026-03-28T21:30:00+01:00"))
    assert ticket.paged_at is not None
    assert ticket.due_at == at("2026-03-29T08:30:00+02:00")
    assert ticket.queue_priority == 10
    assert TicketEvent.objects.filter(ticket=ticket, kind="paged").count() == 1


def test_first_public_reply_in_time_meets_the_sla(demo):
    ticket = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    message_add(tenant=demo.wysylki, ticket=ticket, body="Sprawdzamy.", author_user=demo.agent.user,
                at=at("2026-11-23T11:00:00+01:00"))
    ticket.refresh_from_db()
    assert ticket.reacted_at == at("2026-11-23T11:00:00+01:00")
    assert ticket.sla_state == Ticket.SlaState.MET
    assert ticket.status == S.OPEN


def test_late_reaction_is_a_breach_at_the_deadline(demo):
    ticket = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    message_add(tenant=demo.wysylki, ticket=ticket, body="Przepraszamy za zwłokę.", author_user=demo.agent.user,
                at=at("2026-11-26T10:00:00+01:00"))
    ticket.refresh_from_db()
    assert ticket.sla_state == Ticket.SlaState.BREACHED
    assert ticket.breached_at == ticket.due_at


def test_internal_note_is_not_a_reaction(demo):
    ticket = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    message_add(tenant=demo.wysylki, ticket=ticket, body="Klient dzwonił.", author_user=demo.agent.user,
                internal=True, at=at("2026-11-23T10:30:00+01:00"))
    ticket.refresh_from_db()
    assert ticket.reacted_at is None and ticket.status == S.NEW


def test_moving_to_open_is_the_reaction(demo):
    ticket = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    ticket_set_status(tenant=demo.wysylki, ticket=ticket, status=S.OPEN, actor=demo.agent.user,
                      at=at("2026-11-23T10:10:00+01:00"))
    ticket.refresh_from_db()
    assert ticket.reacted_at == at("2026-11-23T10:10:00+01:00") and ticket.sla_state == Ticket.SlaState.MET


def test_customer_reply_reopens_a_resolved_ticket(demo):
    ticket = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    ticket_set_status(tenant=demo.wysylki, ticket=ticket, status=S.OPEN, actor=demo.agent.user)
    ticket_set_status(tenant=demo.wysylki, ticket=ticket, status=S.RESOLVED, actor=demo.agent.user)
    message_add(tenant=demo.wysylki, ticket=ticket, body="Nadal nie działa.", author_contact=demo.email_contact,
                source=Message.Source.PORTAL)
    ticket.refresh_from_db()
    assert ticket.status == S.OPEN and ticket.resolved_at is None


def test_customer_cannot_reply_to_a_closed_ticket_or_write_notes(demo):
    ticket = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    with pytest.raises(ValidationError):
        message_add(tenant=demo.wysylki, ticket=ticket, body="x", author_contact=demo.email_contact,
                    source=Message.Source.PORTAL, internal=True)
    ticket_set_status(tenant=demo.wysylki, ticket=ticket, status=S.CLOSED, actor=demo.agent.user)
    with translation.override("en"), pytest.raises(ValidationError, match="closed"):
        message_add(tenant=demo.wysylki, ticket=ticket, body="Halo?", author_contact=demo.email_contact,
                    source=Message.Source.PORTAL)


def test_invalid_transition_is_refused(demo):
    ticket = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    with pytest.raises(ValidationError):
        ticket_set_status(tenant=demo.wysylki, ticket=ticket, status=S.TRIAGE, actor=demo.agent.user)


def test_deadline_does_not_move_when_terms_change_later(demo):
    ticket = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    plan = Plan.objects.get(tenant=demo.wysylki, code="email")
    plan_terms_update(tenant=demo.wysylki, plan=plan, effective_from=date(2026, 11, 1),
                      changes={"reaction_minutes": 60})
    ticket.refresh_from_db()
    assert ticket.due_at == at("2026-11-25T10:00:00+01:00")
    newer = create(demo, contact=demo.email_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    assert newer.due_at == at("2026-11-23T11:00:00+01:00") and newer.terms.version == 2


def test_objects_of_another_tenant_are_refused(demo):
    with pytest.raises(ValidationError):
        create(demo, tenant=demo.kjm, contact=demo.email_contact)
    ticket = create(demo, contact=demo.email_contact)
    with pytest.raises(ValidationError):
        ticket_assign(tenant=demo.wysylki, ticket=ticket, assignee=demo.kjm_agent, actor=demo.agent.user)
    with pytest.raises(ValidationError):
        message_add(tenant=demo.kjm, ticket=ticket, body="x", author_user=demo.kjm_agent.user)


def test_update_records_changes_and_critical_pages(demo):
    ticket = create(demo, tenant=demo.kjm, contact=demo.opieka_contact, received_at=at("2026-11-23T10:00:00+01:00"))
    assert ticket.paged_at is None
    ticket_update(tenant=demo.kjm, ticket=ticket, actor=demo.kjm_agent.user, critical=True)
    ticket.refresh_from_db()
    assert ticket.paged_at is not None
    assert TicketEvent.objects.get(ticket=ticket, kind="updated").data["changes"]["critical"] == ["False", "True"]


def test_empty_subject_or_body_is_a_field_error(demo):
    with pytest.raises(ValidationError) as exc:
        create(demo, contact=demo.email_contact, subject="  ")
    assert "subject" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        create(demo, contact=demo.email_contact, body="")
    assert "body" in exc.value.message_dict
