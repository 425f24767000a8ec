"""Resources: CRUD through the services, filters for CRM sync, constant query counts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEvent


def test_organization_create_update_and_external_id_lookup(alpha):
    created = alpha.post("/api/v1/organizations/", {"name": "Nova", "external_id": "CRM-9", "tax_id": "123"})
    assert created.status_code == 201
    org = created.json()
    changed = alpha.patch(f"/api/v1/organizations/{org['id']}/", {"name": "Nova Hurt"})
    assert changed.status_code == 200 and changed.json()["name"] == "Nova Hurt"
    found = alpha.get("/api/v1/organizations/", external_id="CRM-9").json()["results"]
    assert [o["id"] for o in found] == [org["id"]]
    assert AuditEvent.objects.filter(action="organization.changed", object_id=str(org["id"])).exists()


def test_updated_since_returns_only_later_changes(alpha):
    later = timezone.now() + timedelta(seconds=1)
    assert alpha.get("/api/v1/organizations/", updated_since=later.isoformat()).json()["results"] == []
    earlier = timezone.now() - timedelta(days=1)
    assert len(alpha.get("/api/v1/organizations/", updated_since=earlier.isoformat()).json()["results"]) == 1


def test_contact_create_and_replace_addresses(alpha):
    org = alpha.world.organization.pk
    created = alpha.post("/api/v1/contacts/", {"organization": org, "name": "Ola", "emails": ["ola@x.example.com"],
                                                "phones": ["+48 555 111 222"]})
    assert created.status_code == 201, created.json()
    contact = created.json()
    assert contact["phones"] == ["+48555111222"]
    changed = alpha.patch(f"/api/v1/contacts/{contact['id']}/", {"emails": ["ola2@x.example.com"]})
    assert changed.json()["emails"] == ["ola2@x.example.com"] and changed.json()["phones"] == ["+48555111222"]
    taken = alpha.post("/api/v1/contacts/", {"organization": org, "name": "Copy", "emails": ["ola2@x.example.com"]})
    assert taken.status_code == 422 and "emails" in taken.json()["errors"]


def test_subscription_create_and_cancel_follow_the_rules(alpha):
    org = alpha.post("/api/v1/organizations/", {"name": "New Co"}).json()
    created = alpha.post("/api/v1/subscriptions/", {"organization": org["id"], "plan": "basic",
                                                     "accepted_on": "2026-03-10"})
    assert created.status_code == 201, created.json()
    sub = created.json()
    assert sub["starts_on"] == "2026-04-01" and sub["plan"] == "basic"
    # per-customer terms change from a month on, while the subscription runs
    overrides = alpha.patch(f"/api/v1/subscriptions/{sub['id']}/", {"overrides": {"reaction_minutes": 60},
                                                                    "effective_from": "2026-05-01"})
    assert overrides.status_code == 200, overrides.json()
    assert overrides.json()["changes"][-1]["overrides"] == {"reaction_minutes": 60}
    assert alpha.patch(f"/api/v1/subscriptions/{sub['id']}/", {"overrides": {"colour": "red"}}).status_code == 400
    bad = alpha.patch(f"/api/v1/subscriptions/{sub['id']}/", {"notice_given_on": "2026-05-02",
                                                              "ends_on": "2026-05-15"})
    assert bad.status_code == 422 and "ends_on" in bad.json()["errors"]
    ok = alpha.patch(f"/api/v1/subscriptions/{sub['id']}/", {"notice_given_on": "2026-05-02"})
    assert ok.status_code == 200 and ok.json()["ends_on"] == "2026-05-31"
    # and not after it has ended
    late = alpha.patch(f"/api/v1/subscriptions/{sub['id']}/", {"overrides": {"reaction_minutes": 30},
                                                               "effective_from": "2026-07-01"})
    assert late.status_code == 422 and "effective_from" in late.json()["errors"], late.json()


def test_ticket_create_update_and_filters(alpha):
    world = alpha.world
    created = alpha.post("/api/v1/tickets/", {"subject": "Printer", "body": "Does not print",
                                               "contact": world.contact.pk, "external_id": "CASE-1"})
    assert created.status_code == 201, created.json()
    ticket = created.json()
    assert ticket["channel"] == "api" and ticket["organization"] == world.organization.pk
    assert set(ticket["sla"]) == {"state", "reason", "message", "due_at", "warn_at", "reacted_at", "breached_at",
                                  "targets", "next_due_at", "next_due_target"}
    changed = alpha.patch(f"/api/v1/tickets/{ticket['id']}/", {"critical": True, "assignee": world.agent.pk,
                                                               "status": "open"})
    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert (body["critical"], body["assignee"], body["status"]) == (True, world.agent.pk, "open")
    assert alpha.patch(f"/api/v1/tickets/{ticket['id']}/", {"status": "triage"}).status_code == 422
    found = alpha.get("/api/v1/tickets/", critical="true", assignee=world.agent.pk, status="open").json()["results"]
    assert [t["id"] for t in found] == [ticket["id"]]
    assert alpha.get("/api/v1/tickets/", external_id="CASE-1").json()["results"][0]["id"] == ticket["id"]
    assert alpha.get("/api/v1/tickets/", status="closed").json()["results"] == []


def test_messages_staff_reply_customer_relay_and_internal_notes(alpha):
    ticket = alpha.ticket
    url = f"/api/v1/tickets/{ticket.pk}/messages/"
    note = alpha.post(url, {"body": "Check the logs", "internal": True})
    reply = alpha.post(url, {"body": "We are on it", "status": "waiting_customer"})
    relay = alpha.post(url, {"body": "Thanks", "contact": alpha.world.contact.pk})
    assert (note.status_code, reply.status_code, relay.status_code) == (201, 201, 201)
    assert reply.json()["author"]["kind"] == "staff" and relay.json()["author"]["kind"] == "contact"
    listed = alpha.get(url).json()["results"]
    assert [(m["body"], m["internal"]) for m in listed][-3:] == [
        ("Check the logs", True), ("We are on it", False), ("Thanks", False)]
    customer_note = alpha.post(url, {"body": "x", "internal": True, "contact": alpha.world.contact.pk})
    assert customer_note.status_code == 422


def test_sla_preview_uses_the_command_logic(alpha):
    from monitor.management.commands.sla_deadline import preview

    from datetime import datetime
    from plans.models import Plan

    received = "2026-11-27T16:30:00+01:00"
    response = alpha.post("/api/v1/sla/preview/", {"plan": "basic", "received_at": received, "channel": "email"})
    assert response.status_code == 200
    expected = preview(tenant=alpha.world.tenant, plan=Plan.objects.get(tenant=alpha.world.tenant, code="basic"),
                       received=datetime.fromisoformat(received), channel="email")
    body = response.json()
    assert body["reason"] == expected.reason
    assert (body["due_at"] is None) == (expected.due_at is None)
    if expected.due_at is not None:
        assert datetime.fromisoformat(body["due_at"]) == expected.due_at
    assert alpha.post("/api/v1/sla/preview/", {"plan": "nope", "received_at": received}).status_code == 422


def _queries(api, path, size):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, page_size=size)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["results"])


@pytest.mark.parametrize("path", ["organizations", "contacts", "subscriptions", "tickets", "plans", "messages"])
def test_list_queries_do_not_grow_with_the_page(alpha, path):
    from plans.services import subscription_create
    from tests import factories
    from tickets.services import message_add

    world = alpha.world
    for n in range(12):
        org = factories.OrganizationFactory(tenant=world.tenant, name=f"Org {n}")
        contact = factories.ContactFactory(organization=org, name=f"C {n}", emails=[f"c{n}@q.example.com"],
                                           phones=[f"+4866600{n:04}"])
        subscription_create(tenant=world.tenant, organization=org, plan=world.plan,
                            accepted_on=timezone.localdate())
        alpha.post("/api/v1/tickets/", {"subject": f"T {n}", "body": "b", "contact": contact.pk})
        message_add(tenant=world.tenant, ticket=alpha.ticket, body=f"m {n}", author_user=world.agent.user)
        factories.PlanFactory(tenant=world.tenant, code=f"p{n}", terms={"service_calendar": world.calendar})
    url = f"/api/v1/tickets/{alpha.ticket.pk}/messages/" if path == "messages" else f"/api/v1/{path}/"
    small, n_small = _queries(alpha, url, 2)
    large, n_large = _queries(alpha, url, 10)
    assert (n_small, n_large) == (2, 10)
    assert small == large
