"""The observer (read-only) role: the staff's reading pages answer as for an agent; every write of
every staff route, the API's included, is a 403 that changes nothing; the settings stay the admins'."""
from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import Membership, Role, User
from core.services import api_token_create
from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import Message, Ticket, TicketEvent
from tickets.selectors import agents
from tickets.services import ticket_assign

pytestmark = pytest.mark.django_db

VIEWER = "obserwator@wysylki.example.com"


@pytest.fixture
def viewer(demo):
    user = User.objects.create_user(username=VIEWER, email=VIEWER, first_name="Olga", last_name="Obserwator")
    return Membership.objects.create(tenant=demo.wysylki, user=user, role=Role.VIEWER)


@pytest.fixture
def ticket(demo, monkeypatch):
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    return file_ticket(contact("wysylki", "Paweł Nowicki"), "Drukarka etykiet")


def _staff_routes(namespace: str):
    """Every route of a namespace, its parameters filled with the ticket's id (or 1)."""
    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield entry.name, prefix + str(entry.pattern)

    resolver = next(r for r in get_resolver().url_patterns if isinstance(r, URLResolver) and r.namespace == namespace)
    for name, pattern in walk(resolver.url_patterns, str(resolver.pattern)):
        yield name, "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + m.group(1) + "}", pattern)


def test_the_observer_reads_what_an_agent_reads(demo, client, viewer, ticket):
    client.force_login(viewer.user)
    assert client.get(reverse("agent:queue")).status_code == 200
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk]))
    assert page.status_code == 200 and "Drukarka etykiet" in page.content.decode()
    assert client.get("/api/v1/tickets/").status_code == 200
    assert client.get(reverse("console:index")).status_code == 404  # settings stay the tenant admins'
    assert client.get(reverse("console:mailbox_list")).status_code == 404


def test_the_observer_is_offered_no_action_it_may_not_take(demo, client, viewer, ticket):
    # the same pages read by an agent carry the reply form, the status, assignment, time and merge
    # actions and the bulk form; an observer's carry none of them
    forms = [f'action="{reverse(name, args=[ticket.pk])}' for name in (
        "agent:ticket_message", "agent:ticket_status", "agent:ticket_assign", "agent:ticket_take",
        "agent:ticket_time", "agent:ticket_unread")] + [f'href="{reverse("agent:ticket_merge", args=[ticket.pk])}"']
    client.force_login(agent("wysylki", "agent@wysylki.example.com").user)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    assert all(form in page for form in forms), [form for form in forms if form not in page]
    assert 'id="bulk-form"' in client.get(reverse("agent:queue")).content.decode()

    client.force_login(viewer.user)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    assert [form for form in forms if form in page] == []
    assert 'id="bulk-form"' not in client.get(reverse("agent:queue")).content.decode()


@pytest.mark.parametrize("namespace", ["agent", "console"])
def test_every_staff_write_is_a_403_and_changes_nothing(demo, client, viewer, ticket, namespace):
    client.force_login(viewer.user)
    before = (Message.objects.filter(ticket=ticket).count(), TicketEvent.objects.filter(ticket=ticket).count(),
              Ticket.objects.get(pk=ticket.pk).status, Ticket.objects.get(pk=ticket.pk).assignee_id)
    routes = list(_staff_routes(namespace))
    assert len(routes) > 10
    for name, pattern in routes:
        url = pattern.format(**{key: ticket.pk for key in re.findall(r"{(\w+)}", pattern)})
        response = client.post(url, {"body": "Próba", "status": "resolved", "assignee": viewer.pk, "ids": [ticket.pk],
                                     "action": "status", "minutes": "30", "kind": "remote"})
        expected = 200 if name == "ticket_presence" else 403
        assert response.status_code in ((expected, 204) if expected == 200 else (403,)), (name, url,
                                                                                            response.status_code)
    after = (Message.objects.filter(ticket=ticket).count(), TicketEvent.objects.filter(ticket=ticket).count(),
             Ticket.objects.get(pk=ticket.pk).status, Ticket.objects.get(pk=ticket.pk).assignee_id)
    assert after == before


def test_api_writes_of_an_observer_session_are_refused(demo, client, viewer, ticket):
    client.force_login(viewer.user)
    response = client.post("/api/v1/tickets/", {"subject": "x", "channel": "phone"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "read_only_role"
    patched = client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "resolved"}, content_type="application/json")
    assert patched.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


def test_an_observer_logs_out_and_sets_up_a_second_factor(demo, client, viewer):
    client.force_login(viewer.user)
    assert client.get(reverse("account:second_factor")).status_code == 200
    assert client.post(reverse("account:second_factor"), {"code": "12345"}).status_code == 200  # a form error
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("agent:queue")).status_code == 302  # logged out


def test_an_observer_is_never_assigned_and_no_token_is_read_only(demo, viewer, ticket):
    assert viewer not in agents(tenant=demo.wysylki)
    with pytest.raises(ValidationError):
        ticket_assign(tenant=demo.wysylki, ticket=ticket, assignee=viewer,
                      actor=agent("wysylki", "agent@wysylki.example.com").user)
    with pytest.raises(ValidationError):
        api_token_create(tenant=demo.wysylki, name="Raporty", role=Role.VIEWER)


def test_a_tenant_admin_makes_a_colleague_an_observer(demo, client):
    client.force_login(demo.user("admin@wysylki.example.com"))
    member = Membership.objects.get(tenant=demo.wysylki, user=demo.user("agent2@wysylki.example.com"))
    client.post(reverse("console:member_role", args=[member.pk]), {f"m{member.pk}-role": "viewer"})
    member.refresh_from_db()
    assert member.role == Role.VIEWER and member.read_only
    assert "Obserwator (tylko odczyt)" in client.get(reverse("console:team")).content.decode()
