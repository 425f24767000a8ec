"""The customer context of the agent's ticket page: the requester's and organization's other tickets
(open first), the organization's upcoming sessions, and the phone layout's order."""
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import Ticket
from tickets.selectors import customer_tickets


def _set(ticket, **fields):
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def people(demo):
    return {
        "email": contact("wysylki", "Paweł Nowicki"),
        "standard": contact("wysylki", "Krzysztof Prądzyński"),
        "agent": agent("wysylki", "agent@wysylki.example.com"),
        "kjm": contact("kjm", "Barbara Księgowa"),
    }


def test_other_tickets_of_the_requester_and_organization_open_first(people):
    now = timezone.now()
    current = file_ticket(people["email"], "Bieżące")
    old_closed = _set(file_ticket(people["email"], "Stare zamknięte"), status=Ticket.Status.CLOSED,
                      received_at=now - timedelta(days=1))
    open_older = _set(file_ticket(people["email"], "Otwarte starsze"), status=Ticket.Status.OPEN,
                      received_at=now - timedelta(days=30))
    foreign_org = file_ticket(people["standard"], "Inna organizacja")
    other_tenant = file_ticket(people["kjm"], "Inny dostawca")

    context = customer_tickets(ticket=current)

    requester = [t.pk for t in context["requester"]]
    assert requester.index(open_older.pk) < requester.index(old_closed.pk)  # open first, though older
    assert current.pk not in requester
    everything = requester + [t.pk for t in context["organization"]]
    assert foreign_org.pk not in everything and other_tenant.pk not in everything
    # a ticket is listed once, under the requester
    assert not set(requester) & {t.pk for t in context["organization"]}
    for listed in context["requester"] + context["organization"]:
        assert listed.organization_id == people["email"].organization_id


def test_the_organization_list_shows_colleagues_tickets(people):
    current = file_ticket(people["email"], "Bieżące")
    colleague = Ticket.objects.filter(organization_id=people["email"].organization_id).exclude(
        contact_id=people["email"].pk).first()
    if colleague is None:
        colleague = _set(file_ticket(people["email"], "Kolegi"), contact=None, requester_email="kolega@example.com")
    context = customer_tickets(ticket=current)
    assert colleague.pk in {t.pk for t in context["organization"]}


def _page(client, pk):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/agent/tickets/{pk}/")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_ticket_page_shows_the_context_at_a_constant_query_count(people, client):
    client.force_login(people["agent"].user)
    current = file_ticket(people["email"], "Bieżące")
    file_ticket(people["email"], "Drugie")
    _page(client, current.pk)  # the session's tenant and role are read once, then cached
    few, html = _page(client, current.pk)
    assert "data-requester-tickets" in html and "Drugie" in html
    for n in range(12):
        file_ticket(people["email"], f"Kolejne {n}")
    many, html = _page(client, current.pk)
    assert few == many
    assert html.count('class="ref"') >= 8


def test_upcoming_sessions_of_the_organization_appear(people, client, monkeypatch):
    from appointments.models import Appointment

    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    client.force_login(people["agent"].user)
    other = file_ticket(people["email"], "Sesja zdalna")
    current = file_ticket(people["email"], "Bieżące")
    start = timezone.now() + timedelta(days=2)
    fields = dict(tenant=other.tenant, ticket=other, organization=other.organization, agent=people["agent"],
                  kind="remote")
    Appointment.objects.create(**fields, starts_at=start, ends_at=start + timedelta(minutes=60))
    Appointment.objects.create(**fields, starts_at=start - timedelta(days=5),
                               ends_at=start - timedelta(days=5) + timedelta(minutes=30))
    _count, html = _page(client, current.pk)
    section = html.split("data-upcoming-sessions", 1)[1].split("</section>", 1)[0]
    assert other.reference in section
    assert section.count("<li>") == 1  # the past session is not upcoming


def test_each_list_is_the_first_of_all_the_customers_tickets_open_first_then_newest(people):
    # given more tickets than a list shows: closed ones newer than open ones, colleagues' among them
    from tickets.selectors import CONTEXT_LIMIT

    now = timezone.now()
    current = file_ticket(people["email"], "Bieżące")
    for n in range(CONTEXT_LIMIT + 3):
        _set(file_ticket(people["email"], f"Zamknięte {n}"), status=Ticket.Status.CLOSED,
             received_at=now - timedelta(hours=n))
    for n in range(3):
        _set(file_ticket(people["email"], f"Otwarte {n}"), status=Ticket.Status.OPEN,
             received_at=now - timedelta(days=10 + n))
    for n in range(CONTEXT_LIMIT + 2):
        _set(file_ticket(people["email"], f"Kolegi {n}"), contact=None, requester_email=f"kolega{n}@example.com",
             status=[Ticket.Status.OPEN, Ticket.Status.CLOSED][n % 2], received_at=now - timedelta(hours=3 * n))

    context = customer_tickets(ticket=current)

    # then each list is what sorting all of them would give
    def rank(t):
        return (t.status not in Ticket.ACTIVE_STATUSES, -t.received_at.timestamp(), -t.pk)

    others = Ticket.objects.filter(organization_id=current.organization_id).exclude(pk=current.pk)
    expected_requester = sorted(others.filter(contact_id=current.contact_id), key=rank)[:CONTEXT_LIMIT]
    assert [t.pk for t in context["requester"]] == [t.pk for t in expected_requester]
    shown = {t.pk for t in expected_requester}
    expected_organization = [t for t in sorted(others, key=rank) if t.pk not in shown][:CONTEXT_LIMIT]
    assert [t.pk for t in context["organization"]] == [t.pk for t in expected_organization]


def test_the_other_tickets_rows_are_escaped_shortened_and_dated_in_the_agents_zone(people, client):
    client.force_login(people["agent"].user)
    current = file_ticket(people["email"], "Bieżące")
    hostile = _set(file_ticket(people["email"], "<img src=x onerror=alert(1)> & " + "długi temat " * 8),
                   critical=True, status=Ticket.Status.WAITING_CUSTOMER,
                   # 23:30 UTC on 31 March is 1 April in Warsaw (summer time)
                   received_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    html = _page(client, current.pk)[1]
    section = html.split("data-requester-tickets", 1)[1].split("</ul>", 1)[0]
    row = next(li for li in section.split("<li>") if hostile.reference in li)
    assert "<img" not in row and "&lt;img src=x onerror=alert(1)&gt; &amp; długi temat" in row
    assert "…</a>" in row and "długi temat " * 8 not in row  # cut to 60 characters
    assert f'href="/agent/tickets/{hostile.pk}/"' in row
    assert "01.04.2026" in row
    assert 'badge--danger">!</span>' in row
    assert 'badge--muted">czeka na klienta</span>' in row  # the agent's language (Polish)
