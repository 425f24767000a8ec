"""Cached ticket lists (``tickets.list_cache``): every write of what a list shows counts, whichever way
it is written, and a cached list is never served to someone else or after a change.

These tests commit (``transaction=True``): on PostgreSQL the count is written when a transaction
commits, and lists read inside an uncommitted transaction are not cached at all.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import Contact, Membership, Role
from core.services import api_token_create
from tests.factories import MembershipFactory, UserFactory, build_tenant_world
from tests.sla.test_monitor import ticket_make
from tickets import list_cache
from tickets.models import Message, Ticket, TicketSeen

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worlds():
    return build_tenant_world("alpha"), build_tenant_world("beta")


def _ticket(world, subject="Drukarka etykiet nie drukuje", **extra) -> Ticket:
    due = timezone.now() + timedelta(hours=4)
    return ticket_make(world.tenant, due_at=due, organization=world.organization, subject=subject,
                       contact=world.contact, **extra)


def _agent_client(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


# --- the count ------------------------------------------------------------------------------------


def test_every_kind_of_write_counts_and_only_for_its_tenant(worlds):
    alpha, beta = worlds
    ticket = _ticket(alpha)
    other = _ticket(beta)

    def changed(write) -> bool:
        before, before_beta = list_cache.version(alpha.tenant.pk), list_cache.version(beta.tenant.pk)
        write()
        assert list_cache.version(beta.tenant.pk) == before_beta, "another tenant's count moved"
        return list_cache.version(alpha.tenant.pk) > before

    assert changed(lambda: Ticket.objects.filter(pk=ticket.pk).update(subject="Po zmianie przez update()"))
    assert changed(lambda: Ticket.objects.filter(pk=ticket.pk).update(critical=True))
    assert changed(lambda: ticket.save())
    assert changed(lambda: Message.objects.create(tenant=alpha.tenant, ticket=ticket, body="Dzień dobry",
                                                  from_staff=False, source=Message.Source.PORTAL))
    assert changed(lambda: TicketSeen.objects.create(tenant=alpha.tenant, ticket=ticket, membership=alpha.agent,
                                                     seen_at=timezone.now()))
    assert changed(lambda: Contact.objects.filter(pk=alpha.contact.pk).update(name="Nowe nazwisko"))
    assert changed(lambda: Ticket.objects.bulk_create([Ticket(
        tenant=alpha.tenant, number=990001, subject="Z bulk_create", channel="email", status="new",
        received_at=timezone.now())]))

    def raw_sql():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tickets_ticket SET subject = %s WHERE id = %s", ["Surowy SQL", ticket.pk])
    assert changed(raw_sql)
    assert changed(lambda: Ticket.objects.filter(number=990001, tenant=alpha.tenant).delete())
    # beta's own write moves beta's count only
    before = list_cache.version(alpha.tenant.pk)
    Ticket.objects.filter(pk=other.pk).update(subject="beta")
    assert list_cache.version(alpha.tenant.pk) == before


@pytest.mark.postgresql
def test_a_transaction_counts_once_at_its_commit_and_a_no_op_update_not_at_all(worlds):
    alpha, _beta = worlds
    tickets = [_ticket(alpha, subject=f"Zgłoszenie {n}") for n in range(5)]
    start = list_cache.version(alpha.tenant.pk)
    with transaction.atomic():
        for ticket in tickets:
            Ticket.objects.filter(pk=ticket.pk).update(critical=True)
        # another connection does not see the count move before the commit
        seen_elsewhere = []
        thread = threading.Thread(target=lambda: (seen_elsewhere.append(list_cache.version(alpha.tenant.pk)),
                                                  connections.close_all()))
        thread.start()
        thread.join()
        assert seen_elsewhere == [start]
        assert list_cache.version(alpha.tenant.pk) is None  # inside a transaction: nothing is vouched for
    assert list_cache.version(alpha.tenant.pk) == start + 1
    Ticket.objects.filter(pk=tickets[0].pk).update(critical=True)  # the same value again
    assert list_cache.version(alpha.tenant.pk) == start + 1


@pytest.mark.postgresql
def test_every_column_of_the_counted_tables_can_be_compared():
    """The update trigger compares whole rows: a column of a type without equality (json, xml, the
    geometric types) would make every update of its table fail."""
    from importlib import import_module

    tables = import_module("tickets.migrations.0015_listversion").TABLES
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name, udt_name FROM information_schema.columns "
                       "WHERE table_name = ANY(%s) AND udt_name = ANY(%s)",
                       [tables, ["json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle"]])
        assert cursor.fetchall() == []


@pytest.mark.postgresql
def test_concurrent_writers_in_opposite_order_do_not_deadlock_on_the_count(worlds):
    """The count is written at commit, after a transaction's own row locks. Written at once, it would
    hold the first writer's lock on the tenant's count until its commit, and the second writer,
    holding a ticket the first one needs, would wait for it: neither would reach the barrier."""
    alpha, _beta = worlds
    first, second = _ticket(alpha), _ticket(alpha)
    start = list_cache.version(alpha.tenant.pk)
    barrier, errors = threading.Barrier(2, timeout=20), []

    def writer(a, b):
        try:
            with transaction.atomic():
                Ticket.objects.filter(pk=a.pk).update(subject=f"najpierw {a.pk}")
                barrier.wait()
                if a.pk == second.pk:
                    return  # the second writer commits at once; the first then takes its ticket
                Ticket.objects.filter(pk=b.pk).update(subject=f"potem {b.pk}")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert list_cache.version(alpha.tenant.pk) == start + 2


# --- the pages ------------------------------------------------------------------------------------


def test_the_queue_shows_a_change_written_by_update_on_the_next_request(worlds):
    alpha, _beta = worlds
    ticket = _ticket(alpha, subject="Stary temat")
    client = _agent_client(alpha.agent)
    assert "Stary temat" in client.get(reverse("agent:queue")).content.decode()
    Ticket.objects.filter(pk=ticket.pk).update(subject="Nowy temat z monitora")
    page = client.get(reverse("agent:queue")).content.decode()
    assert "Nowy temat z monitora" in page and "Stary temat" not in page
    # the table the page refreshes every minute, too
    table = client.get(reverse("agent:queue"), HTTP_HX_REQUEST="true").content.decode()
    assert "Nowy temat z monitora" in table and "<html" not in table
    _ticket(alpha, subject="Całkiem nowe zgłoszenie")
    assert "Całkiem nowe zgłoszenie" in client.get(reverse("agent:queue")).content.decode()


def test_a_cached_queue_is_not_served_to_another_agent_or_tenant(worlds):
    alpha, beta = worlds
    _ticket(alpha, subject="Tylko alpha", assignee=alpha.agent)
    _ticket(beta, subject="Tylko beta")
    viewer = MembershipFactory(tenant=alpha.tenant, role=Role.VIEWER,
                               user=UserFactory(username="viewer@alpha.example.com"))
    agent_page = _agent_client(alpha.agent).get(reverse("agent:queue") + "?mine=1").content.decode()
    assert "Tylko alpha" in agent_page and 'id="bulk-form"' in agent_page
    viewer_page = _agent_client(viewer).get(reverse("agent:queue") + "?mine=1").content.decode()
    assert "Tylko alpha" not in viewer_page, "the viewer's own tickets, not the agent's"
    assert 'id="bulk-form"' not in viewer_page, "a read-only member was served an agent's page"
    beta_page = _agent_client(beta.agent).get(reverse("agent:queue")).content.decode()
    assert "Tylko beta" in beta_page and "Tylko alpha" not in beta_page


def test_a_cached_page_carries_each_session_its_own_csrf_token(worlds):
    alpha, _beta = worlds
    ticket = _ticket(alpha)
    second = MembershipFactory(tenant=alpha.tenant, role=Role.AGENT,
                               user=UserFactory(username="drugi@alpha.example.com"))
    for membership in (alpha.agent, second, alpha.agent):
        client = Client(enforce_csrf_checks=True)
        client.force_login(membership.user)
        page = client.get(reverse("agent:queue")).content.decode()
        assert "&lt;csrf-token&gt;" not in page
        token = page.split('name="csrfmiddlewaretoken" value="', 2)[1].split('"', 1)[0]
        assert f'"X-CSRFToken": "{token}"' in page  # the HTMX requests' header too
        response = client.post(reverse("agent:queue_bulk"), {
            "csrfmiddlewaretoken": token, "ids": [ticket.pk], "action": "assign", "assignee": membership.pk,
            "next": reverse("agent:queue")})
        assert response.status_code == 302, response.content[:300]
        # the message of the action is shown once, on the page the action returns to, cached or not
        assert "flash__item" in client.get(response["Location"]).content.decode()
        assert "flash__item" not in client.get(reverse("agent:queue")).content.decode()


def test_the_portal_list_is_cached_per_contact_and_sees_changes(worlds):
    alpha, _beta = worlds
    ticket = _ticket(alpha, subject="Zgłoszenie klienta")
    client = Client()
    client.force_login(alpha.customer)
    assert "Zgłoszenie klienta" in client.get(reverse("portal:ticket_list")).content.decode()
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.RESOLVED)
    page = client.get(reverse("portal:ticket_list") + "?state=open").content.decode()
    assert "Zgłoszenie klienta" not in page
    Ticket.objects.filter(pk=ticket.pk).update(subject="Temat po zmianie")
    assert "Temat po zmianie" in client.get(reverse("portal:ticket_list")).content.decode()
    # a contact of another organization of the same tenant
    from tests.factories import ContactFactory, OrganizationFactory

    stranger = ContactFactory(organization=OrganizationFactory(tenant=alpha.tenant, name="Inna firma"),
                              name="Obcy", user=UserFactory(username="obcy@inna.example.com"))
    client.force_login(stranger.user)
    assert "Temat po zmianie" not in client.get(reverse("portal:ticket_list")).content.decode()


def test_the_api_list_sees_changes_and_keeps_each_query_apart(worlds):
    alpha, beta = worlds
    ticket = _ticket(alpha, subject="Z API")
    _ticket(beta, subject="Beta API")
    _row, token = api_token_create(tenant=alpha.tenant, name="CRM", role=Role.ADMIN, created_by=alpha.admin.user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    first = client.get("/api/v1/tickets/").json()
    assert [row["subject"] for row in first["results"]] == ["Z API"]
    Ticket.objects.filter(pk=ticket.pk).update(subject="Z API po zmianie", critical=True)
    again = client.get("/api/v1/tickets/").json()
    assert again["results"][0]["subject"] == "Z API po zmianie" and again["results"][0]["critical"] is True
    assert client.get("/api/v1/tickets/?critical=false").json()["results"] == []
    assert client.get("/api/v1/tickets/?page_size=1").json()["results"][0]["id"] == ticket.pk
    compact = client.get("/api/v1/tickets/")
    indented = client.get("/api/v1/tickets/", HTTP_ACCEPT="application/json; indent=2")
    assert compact["Content-Type"] == indented["Content-Type"] == "application/json"
    assert b"\n  " in indented.content and b"\n" not in compact.content
    assert indented.json() == compact.json() == compact.data
    bad = client.get("/api/v1/tickets/?status=nonsense")
    assert bad.status_code == 400 and "status" in bad.json()


def test_the_pages_keys_hold_the_minute_and_their_entries_live_two_minutes(worlds, monkeypatch):
    alpha, _beta = worlds
    _ticket(alpha)
    customer = Client()
    customer.force_login(alpha.customer)
    calls = []
    real = list_cache.cached

    def spy(tenant_id, kind, key_parts, compute, **options):
        calls.append((kind, key_parts, options))
        return real(tenant_id, kind, key_parts, compute, **options)

    monkeypatch.setattr(list_cache, "cached", spy)
    _agent_client(alpha.agent).get(reverse("agent:queue"))
    customer.get(reverse("portal:ticket_list"))
    minutes = {list_cache.minute(timezone.now()) - 1, list_cache.minute(timezone.now())}
    assert {kind for kind, _parts, _options in calls} == {"queue-page", "queue-table", "portal-page"}
    for _kind, parts, options in calls:
        assert parts[-1] in minutes and options == {"timeout": list_cache.MINUTE_TIMEOUT}


def test_membership_rows_written_elsewhere_do_not_reach_the_lists_count(worlds):
    """What the lists do not show does not renew them (a login, an API token's use)."""
    alpha, _beta = worlds
    before = list_cache.version(alpha.tenant.pk)
    Membership.objects.filter(pk=alpha.agent.pk).update(on_call=True)
    assert list_cache.version(alpha.tenant.pk) == before


def test_a_saved_view_added_shows_on_the_cached_queue(worlds):
    from tickets import saved_views

    alpha, _beta = worlds
    _ticket(alpha)
    client = _agent_client(alpha.agent)
    assert "Pilne u mnie" not in client.get(reverse("agent:queue")).content.decode()
    saved_views.view_create(membership=alpha.agent, name="Pilne u mnie", query="mine=1&critical=1")
    assert "Pilne u mnie" in client.get(reverse("agent:queue")).content.decode()


def test_a_cached_list_costs_the_user_and_the_list_version(worlds):
    from django.test.utils import CaptureQueriesContext

    alpha, _beta = worlds
    _ticket(alpha)
    agent_client, customer_client = _agent_client(alpha.agent), Client()
    customer_client.force_login(alpha.customer)
    _row, token = api_token_create(tenant=alpha.tenant, name="CRM", role=Role.ADMIN, created_by=alpha.admin.user)
    api_client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for client, url in ((agent_client, reverse("agent:queue")), (customer_client, reverse("portal:ticket_list")),
                        (api_client, "/api/v1/tickets/")):
        client.get(url)
        client.get(url)  # the session's and the token's own writes are behind
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        statements = [q["sql"] for q in queries.captured_queries]
        assert len(statements) == 2 and "tickets_listversion" in statements[1], (url, statements)
