"""Unread markers in the queue, and the agents' in-app notifications: written with their cause, shown
under the bell, read one by one or all at once, private to their recipient."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitor import services as monitor
from tests.tickets.ui_support import agent, contact, file_ticket
from tickets import notifications
from tickets.models import Message, Notification, Ticket, TicketSeen
from tickets.services import message_add, ticket_assign
from tickets.unread import unread_ids


@pytest.fixture
def people(demo):
    return {
        "customer": contact("wysylki", "Paweł Nowicki"),
        "admin": agent("wysylki", "admin@wysylki.example.com"),  # Anna Nowak
        "agent": agent("wysylki", "agent@wysylki.example.com"),  # Piotr Zieliński
        "agent2": agent("wysylki", "agent2@wysylki.example.com"),  # Marta Wiśniewska
        "kjm": agent("kjm", "opiekun@kjm.example.com"),
    }


def _reply(ticket, customer, body="Nadal nie działa."):
    return message_add(
        tenant=ticket.tenant, ticket=ticket, body=body, author_contact=customer, source=Message.Source.PORTAL
    )


def _rows(html: str) -> dict[str, bool]:
    """{reference: unread} of the queue's rows."""
    rows = re.findall(r'<tr class="[^"]*?( is-unread)?"[^>]*data-row>.*?<span class="ref">([^<]+)</span>', html, re.S)
    return {ref: bool(flag) for flag, ref in rows}


# --- unread markers ------------------------------------------------------------------------------


def test_customer_activity_after_the_last_visit_makes_the_row_unread(people, client):
    ticket = file_ticket(people["customer"], "Drukarka etykiet")
    client.force_login(people["agent"].user)
    assert _rows(client.get("/agent/").content.decode())[ticket.reference] is True  # new since the agent joined
    client.get(f"/agent/tickets/{ticket.pk}/")  # opening it reads it
    assert _rows(client.get("/agent/").content.decode())[ticket.reference] is False
    # a note or a reply of staff is no customer activity
    message_add(
        tenant=ticket.tenant, ticket=ticket, body="Sprawdzam.", author_user=people["agent2"].user, internal=True
    )
    assert _rows(client.get("/agent/").content.decode())[ticket.reference] is False
    TicketSeen.objects.filter(ticket=ticket).update(seen_at=timezone.now() - timedelta(minutes=1))
    _reply(ticket, people["customer"])
    html = client.get("/agent/").content.decode()
    assert _rows(html)[ticket.reference] is True and 'class="unread-dot"' in html
    # another agent's visit does not read it for this one
    client.force_login(people["agent2"].user)
    client.get(f"/agent/tickets/{ticket.pk}/")
    client.force_login(people["agent"].user)
    assert _rows(client.get("/agent/").content.decode())[ticket.reference] is True


def test_mark_as_unread_until_opened_again(people, client):
    ticket = file_ticket(people["customer"], "Faktura")
    client.force_login(people["agent"].user)
    client.get(f"/agent/tickets/{ticket.pk}/")
    response = client.post(f"/agent/tickets/{ticket.pk}/unread/")
    assert response.status_code == 302
    assert ticket.pk in unread_ids(membership=people["agent"], ticket_ids=[ticket.pk])
    client.get(f"/agent/tickets/{ticket.pk}/")
    assert ticket.pk not in unread_ids(membership=people["agent"], ticket_ids=[ticket.pk])


def test_opening_a_ticket_writes_only_when_it_was_unread(people, client):
    ticket = file_ticket(people["customer"], "Drukarka etykiet")
    client.force_login(people["agent"].user)
    client.get(f"/agent/tickets/{ticket.pk}/")
    first = TicketSeen.objects.get(ticket=ticket, membership=people["agent"]).seen_at
    with CaptureQueriesContext(connection) as again:
        assert client.get(f"/agent/tickets/{ticket.pk}/").status_code == 200
    assert not [q for q in again.captured_queries if "tickets_ticketseen" in q["sql"] and "INSERT" in q["sql"]]
    assert TicketSeen.objects.get(ticket=ticket, membership=people["agent"]).seen_at == first
    # the customer writes: the next visit reads it
    TicketSeen.objects.filter(ticket=ticket).update(seen_at=timezone.now() - timedelta(minutes=1))
    _reply(ticket, people["customer"])
    assert ticket.pk in unread_ids(membership=people["agent"], ticket_ids=[ticket.pk])
    client.get(f"/agent/tickets/{ticket.pk}/")
    assert ticket.pk not in unread_ids(membership=people["agent"], ticket_ids=[ticket.pk])
    # marked unread by hand, with nothing new: the next visit clears the mark
    client.post(f"/agent/tickets/{ticket.pk}/unread/")
    assert ticket.pk in unread_ids(membership=people["agent"], ticket_ids=[ticket.pk])
    client.get(f"/agent/tickets/{ticket.pk}/")
    assert ticket.pk not in unread_ids(membership=people["agent"], ticket_ids=[ticket.pk])


def test_old_history_is_not_unread_for_a_new_colleague(people):
    ticket = file_ticket(people["customer"], "Stara sprawa")
    Message.objects.filter(ticket=ticket).update(created_at=people["agent"].created_at - timedelta(days=30))
    assert unread_ids(membership=people["agent"], ticket_ids=[ticket.pk]) == set()


def test_unread_markers_cost_one_query_per_page(people):
    tickets = [file_ticket(people["customer"], f"Sprawa {n}") for n in range(12)]
    with CaptureQueriesContext(connection) as few:
        unread_ids(membership=people["agent"], ticket_ids=[t.pk for t in tickets[:2]])
    with CaptureQueriesContext(connection) as many:
        found = unread_ids(membership=people["agent"], ticket_ids=[t.pk for t in tickets])
    assert len(few.captured_queries) == len(many.captured_queries) == 1
    assert found == {t.pk for t in tickets}


def test_another_tenants_ticket_cannot_be_marked(people, client):
    foreign = file_ticket(contact("kjm", "Barbara Księgowa"), "KJM")
    client.force_login(people["agent"].user)
    assert client.post(f"/agent/tickets/{foreign.pk}/unread/").status_code == 404
    assert not TicketSeen.objects.filter(ticket=foreign).exists()
    assert unread_ids(membership=people["agent"], ticket_ids=[foreign.pk]) == set()


# --- notifications -------------------------------------------------------------------------------


def _kinds(membership):
    return list(Notification.objects.filter(recipient=membership).order_by("id").values_list("kind", "ticket_id"))


def test_assignment_by_someone_else_notifies_the_assignee(people):
    ticket = file_ticket(people["customer"], "Przypisanie")
    ticket_assign(tenant=ticket.tenant, ticket=ticket, assignee=people["agent"], actor=people["admin"].user)
    assert _kinds(people["agent"]) == [("assigned", ticket.pk)]
    ticket_assign(tenant=ticket.tenant, ticket=ticket, assignee=people["agent"], actor=people["admin"].user)
    ticket_assign(tenant=ticket.tenant, ticket=ticket, assignee=people["agent2"], actor=people["agent2"].user)
    assert _kinds(people["agent"]) == [("assigned", ticket.pk)]  # no repeat; taking it oneself: nothing
    assert _kinds(people["agent2"]) == []
    item = Notification.objects.get(recipient=people["agent"])
    assert item.actor == people["admin"].user and item.tenant_id == ticket.tenant_id


def test_mentions_in_a_note_notify_the_named_agents_only(people):
    ticket = file_ticket(people["customer"], "Wzmianki")
    message_add(
        tenant=ticket.tenant,
        ticket=ticket,
        author_user=people["agent"].user,
        internal=True,
        body="@agent2 zerknij, a @Anna Nowak niech zdecyduje. Kopia do piotr@firma.pl, @agent sam sobie.",
    )
    assert _kinds(people["agent2"]) == [("mentioned", ticket.pk)]
    assert _kinds(people["admin"]) == [("mentioned", ticket.pk)]
    assert _kinds(people["agent"]) == []  # not oneself
    assert _kinds(people["kjm"]) == []
    # a public reply never notifies by mention (the customer reads it)
    message_add(tenant=ticket.tenant, ticket=ticket, author_user=people["agent"].user, body="@agent2 odpowiedź")
    assert len(_kinds(people["agent2"])) == 1


def test_a_customer_reply_notifies_the_assignee(people):
    ticket = file_ticket(people["customer"], "Odpowiedź klienta")
    _reply(ticket, people["customer"])
    assert Notification.objects.filter(ticket=ticket).count() == 0  # nobody assigned
    ticket_assign(tenant=ticket.tenant, ticket=ticket, assignee=people["agent"], actor=people["agent"].user)
    _reply(ticket, people["customer"], "Jeszcze jedno.")
    assert _kinds(people["agent"]) == [("customer_reply", ticket.pk)]


def test_sla_warning_and_breach_notify_the_assignee_once(people):
    ticket = file_ticket(people["customer"], "Termin")
    ticket_assign(tenant=ticket.tenant, ticket=ticket, assignee=people["agent"], actor=people["agent"].user)
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_state="running",
        warn_at=now - timedelta(hours=2),
        due_at=now - timedelta(hours=1),
        warned_at=None,
        reacted_at=None,
    )
    monitor.sla_scan(now=now)
    monitor.sla_scan(now=now)
    kinds = [k for k, t in _kinds(people["agent"]) if t == ticket.pk]
    assert kinds.count("sla_warning") == 1 and kinds.count("sla_breach") == 1
    assert Notification.objects.filter(ticket=ticket, kind="sla_breach").get().target == "reaction"


def _bell(client) -> str:
    response = client.get("/agent/notifications/count/")
    assert response.status_code == 200
    return response.content.decode()


def test_bell_list_mark_read_and_all_read(people, client):
    first = file_ticket(people["customer"], "Pierwsze")
    second = file_ticket(people["customer"], "Drugie")
    for t in (first, second):
        ticket_assign(tenant=t.tenant, ticket=t, assignee=people["agent"], actor=people["admin"].user)
    client.force_login(people["agent"].user)
    page = client.get("/agent/").content.decode()
    assert 'hx-get="/agent/notifications/count/"' in page and 'hx-trigger="load, every 60s"' in page
    with CaptureQueriesContext(connection) as ctx:
        html = _bell(client)
    assert 'data-unread-notifications="2"' in html and "2 nieprzeczytane" in html
    assert len([q for q in ctx.captured_queries if "tickets_notification" in q["sql"]]) == 1
    listing = client.get("/agent/notifications/").content.decode()
    assert "2 nieprzeczytane powiadomienia" in listing and first.reference in listing
    assert "Przypisane do Ciebie" in listing
    item = Notification.objects.get(recipient=people["agent"], ticket=first)
    response = client.post(f"/agent/notifications/{item.pk}/read/", {"open": "1"})
    assert response["Location"] == f"/agent/tickets/{first.pk}/"
    assert 'data-unread-notifications="1"' in _bell(client)
    client.post("/agent/notifications/read-all/")
    assert "data-unread-notifications" not in _bell(client)
    assert "Wszystko przeczytane." in client.get("/agent/notifications/").content.decode()


def test_notifications_are_private_to_their_recipient(people, client):
    ticket = file_ticket(people["customer"], "Cudze")
    ticket_assign(tenant=ticket.tenant, ticket=ticket, assignee=people["agent2"], actor=people["admin"].user)
    item = Notification.objects.get(recipient=people["agent2"])
    client.force_login(people["agent"].user)
    assert client.post(f"/agent/notifications/{item.pk}/read/").status_code == 404
    client.post("/agent/notifications/read-all/")
    item.refresh_from_db()
    assert item.read_at is None
    assert ticket.reference not in client.get("/agent/notifications/").content.decode()
    client.force_login(people["kjm"].user)
    assert client.post(f"/agent/notifications/{item.pk}/read/").status_code == 404


def test_the_bell_counts_to_a_cap(people, monkeypatch, client):
    monkeypatch.setattr(notifications, "BELL_CAP", 3)
    ticket = file_ticket(people["customer"], "Dużo")
    Notification.objects.bulk_create(
        [
            Notification(tenant_id=ticket.tenant_id, recipient=people["agent"], kind="assigned", ticket=ticket)
            for _ in range(5)
        ]
    )
    client.force_login(people["agent"].user)
    assert ">3+<" in _bell(client)
