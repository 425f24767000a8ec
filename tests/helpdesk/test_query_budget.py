"""The SQL a request costs: the middleware floor and the hot pages (PostgreSQL and SQLite alike).

Every request pays for the session, the user, its tenant and role and the second-factor check;
those are cached (``core.tenancy_cache``, the cached_db sessions, ``console.devices``) and must
stay correct when what they cache changes. The bench's trivial views (``bench.load.trivial``)
measure the floor on its own.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import Membership, Role, Tenant
from tests.tickets.ui_support import agent, contact, file_ticket

TRIVIAL = "/_bench/trivial/"
TRIVIAL_API = "/api/v1/_bench/trivial/"


@pytest.fixture
def people(demo):
    return {
        "agent": agent("wysylki", "agent@wysylki.example.com"),
        "customer": contact("wysylki", "Paweł Nowicki"),
    }


@pytest.fixture(autouse=True)
def bench_urls(settings):
    settings.ROOT_URLCONF = "bench.load.trivial"


def _get(client, url, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    return response, [q["sql"] for q in ctx.captured_queries]


def _warm(client, url=TRIVIAL):
    response, _queries = _get(client, url)
    assert response.status_code == 200
    return response


def test_a_trivial_page_of_a_logged_in_agent_costs_one_query_the_user(people, client):
    client.force_login(people["agent"].user)
    _warm(client)
    response, queries = _get(client, TRIVIAL)
    assert response.status_code == 200
    assert len(queries) == 1 and "helpdesk_user" in queries[0]
    assert response.wsgi_request.tenant.slug == "wysylki"
    assert response.wsgi_request.membership.pk == people["agent"].pk


def test_a_trivial_page_of_a_customer_costs_one_query(people, client):
    client.force_login(people["customer"].user)
    _warm(client)
    response, queries = _get(client, TRIVIAL)
    assert response.status_code == 200 and len(queries) == 1
    assert response.wsgi_request.contact.pk == people["customer"].pk
    assert response.wsgi_request.contact.organization.name == people["customer"].organization.name


def test_a_changed_role_is_seen_by_the_next_request(people, client):
    client.force_login(people["agent"].user)
    assert not _warm(client).wsgi_request.membership.is_admin
    membership = Membership.objects.get(pk=people["agent"].pk)
    membership.role = Role.ADMIN
    membership.save()
    response, queries = _get(client, TRIVIAL)
    assert response.wsgi_request.membership.is_admin
    assert len(queries) > 1  # read again, not served from the cache


def test_a_removed_membership_makes_the_agent_a_stranger_at_once(people, client):
    client.force_login(people["agent"].user)
    _warm(client)
    Membership.objects.get(pk=people["agent"].pk).delete()
    response = client.get("/agent/")
    assert response.status_code in (302, 403, 404)
    assert _warm(client).wsgi_request.membership is None


def test_a_tenant_changed_is_seen_by_the_next_request(people, client):
    client.force_login(people["agent"].user)
    _warm(client)
    tenant = Tenant.objects.get(slug="wysylki")
    tenant.time_zone = "America/New_York"
    tenant.save()
    assert _warm(client).wsgi_request.tenant.time_zone == "America/New_York"


def test_a_host_of_another_tenant_does_not_reuse_the_cached_answer(people, client, settings):
    settings.ALLOWED_HOSTS = ["*"]
    Tenant.objects.filter(slug="kjm").update(domain="kjm.localhost")
    client.force_login(people["agent"].user)
    assert _warm(client).wsgi_request.membership is not None
    other = _get(client, TRIVIAL, HTTP_HOST="kjm.localhost")[0]
    assert other.wsgi_request.tenant.slug == "kjm" and other.wsgi_request.membership is None


def test_a_device_confirmed_elsewhere_holds_back_a_session_already_open(people, client):
    user = people["agent"].user
    client.force_login(user)
    _warm(client)
    _warm(client)  # the answer "no device" is now in the session
    TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    page = client.get(TRIVIAL)
    assert page.status_code == 302 and "/account/second-factor/" in page["Location"]
    api = client.get(TRIVIAL_API)
    assert api.status_code == 403
    assert api["Content-Type"] == "application/problem+json"
    body = api.json()
    assert body["status"] == 403 and body["type"] == "urn:helpdesk:problem:second_factor_required"
    assert body["code"] == "second_factor_required" and body["detail"]


def test_a_removed_device_stops_holding_the_session_back(people, client):
    user = people["agent"].user
    device = TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    client.force_login(user)
    assert client.get(TRIVIAL).status_code == 302
    device.delete()
    assert client.get(TRIVIAL).status_code == 200


def test_the_trivial_api_view_answers_a_staff_session(people, client):
    client.force_login(people["agent"].user)
    response = client.get(TRIVIAL_API)
    assert response.status_code == 200 and response.json()["ok"] is True


# --- the hot pages ---------------------------------------------------------------------------------

# What computing each list costs (``list_cache_off``); once cached (tickets.list_cache) a list costs the
# user and the tenant's list version (tests/tickets/test_list_cache.py).
# The queue: the user, the count, the page's rows (with the names of their organization, contact,
# category, product, plan and assignee, and whether each is unread, as subqueries of that one
# statement) and the saved views; the filters' and the bulk form's choices come from the page cache.
# A search: the matches (and a reference's tickets, and their number) first, then the ids of the
# page and its rows; with other filters, the count of what passes them too.
QUEUE_QUERIES = 4
SEARCH_QUERIES = 5
FILTERED_SEARCH_QUERIES = 6
PORTAL_QUERIES = 3
# The ticket page: 14 reads; an agent opening it again with nothing new for them writes nothing
# (tickets.unread.ticket_seen). The same with one or many messages, entries, quotes, sessions,
# contacts and other tickets of the customer.
# One of the 14 reads the SLA warnings and breaches of its history from the monitor's events, which
# the scan no longer copies into history rows (monitor.selectors.sla_history).
# The plan in force, the organization's contacts, the canned replies and the staff to assign come
# from the page cache (core.page_cache) once a first request has read them.
TICKET_PAGE_QUERIES = 14


def test_the_queue_page_costs_a_fixed_number_of_queries(people, client, list_cache_off):
    client.force_login(people["agent"].user)
    file_ticket(people["customer"], "Zgłoszenie drukarki 0")
    _warm(client, "/agent/")
    _warm(client, "/agent/?q=drukarki")
    _warm(client, "/agent/?q=drukarki&status=new&channel=web")
    one = _get(client, "/agent/")[1]
    one_found = _get(client, "/agent/?q=drukarki")[1]
    one_filtered = _get(client, "/agent/?q=drukarki&status=new&channel=web")[1]
    for n in range(1, 4):
        ticket = file_ticket(people["customer"], f"Zgłoszenie drukarki {n}")
        ticket.assignee = people["agent"]
        ticket.save()
    response, many = _get(client, "/agent/")
    assert response.status_code == 200 and "Zgłoszenie drukarki 3" in response.content.decode()
    assert len(one) == len(many) == QUEUE_QUERIES, "\n".join(many)
    response, many_found = _get(client, "/agent/?q=drukarki")
    assert len(one_found) == len(many_found) == SEARCH_QUERIES, "\n".join(many_found)
    assert "4 zgłoszenia" in response.content.decode()
    response, many_filtered = _get(client, "/agent/?q=drukarki&status=new&channel=web")
    assert len(one_filtered) == len(many_filtered) == FILTERED_SEARCH_QUERIES, "\n".join(many_filtered)
    assert "4 zgłoszenia" in response.content.decode()
    # the nine-table join is gone: the rows are read from the tickets alone (the names are subqueries,
    # the tenant is the request's)
    page_query = next(q for q in many if q.startswith('SELECT "tickets_ticket"."id"'))
    outer_from = page_query[page_query.rindex(' FROM "tickets_ticket" '):]
    assert outer_from.split(" WHERE ")[0].count(" JOIN ") == 0, page_query
    assert f"{people['agent'].tenant.ticket_prefix}-" in response.content.decode()


def test_the_portal_list_costs_a_fixed_number_of_queries(people, client, list_cache_off):
    file_ticket(people["customer"], "Pierwsze")
    client.force_login(people["customer"].user)
    _warm(client, "/portal/")
    response, queries = _get(client, "/portal/")
    assert response.status_code == 200 and len(queries) == PORTAL_QUERIES, "\n".join(queries)


def test_the_agent_ticket_page_computes_the_plan_in_force_once_then_reads_it_from_the_cache(people, client):
    ticket = file_ticket(people["customer"], "Pierwsze")
    client.force_login(people["agent"].user)
    _warm(client)
    response, cold = _get(client, f"/agent/tickets/{ticket.pk}/")
    assert response.status_code == 200
    assert sum('FROM "plans_subscription"' in q for q in cold) == 1
    response, queries = _get(client, f"/agent/tickets/{ticket.pk}/")
    assert response.status_code == 200
    cached = ('FROM "plans_', 'FROM "helpdesk_contact', 'FROM "tickets_cannedreply"', 'FROM "helpdesk_membership"')
    assert not [q for q in queries if any(table in q for table in cached)]
    assert len(queries) == TICKET_PAGE_QUERIES, "\n".join(queries)


def _ticket_page_queries(client, ticket) -> list[str]:
    _warm(client, f"/agent/tickets/{ticket.pk}/")
    response, queries = _get(client, f"/agent/tickets/{ticket.pk}/")
    assert response.status_code == 200
    return queries


def _grow(people, ticket, start: int, n: int) -> None:
    """``n`` more of everything the ticket page lists: messages, time entries, quotes, sessions,
    callbacks, the customer's other tickets and the organization's contacts with e-mails and phones."""
    from datetime import timedelta

    from django.utils import timezone

    from appointments.models import Appointment, Callback
    from billing.models import Quote
    from billing.services import time_entry_log
    from core.models import Contact, ContactEmail, ContactPhone
    from tickets.services import message_add

    tenant, member, customer = ticket.tenant, people["agent"], people["customer"]
    now = timezone.now()
    for i in range(start, start + n):
        message_add(tenant=tenant, ticket=ticket, body=f"Odpowiedź {i}", author_user=member.user)
        time_entry_log(tenant=tenant, ticket=ticket, agent=member, kind="remote",
                       started_at=now - timedelta(hours=i + 1), minutes=15)
        Quote.objects.create(tenant=tenant, ticket=ticket, organization=ticket.organization,
                             description=f"Wycena {i}", hours=1, rate_net=100)
        Appointment.objects.create(tenant=tenant, ticket=ticket, organization=ticket.organization,
                                   contact=customer, agent=member, kind="remote",
                                   starts_at=now + timedelta(days=i + 1),
                                   ends_at=now + timedelta(days=i + 1, hours=1), status="booked")
        Callback.objects.create(tenant=tenant, ticket=ticket, organization=ticket.organization,
                                contact=customer, phone=f"+48 600 000 {i:03d}", requested_at=now)
        file_ticket(customer, f"Inne zgłoszenie {i}")
        other = Contact.objects.create(tenant=tenant, organization=ticket.organization, name=f"Osoba {i}")
        ContactEmail.objects.create(tenant=tenant, contact=other, email=f"osoba{i}@example.com")
        ContactPhone.objects.create(tenant=tenant, contact=other, number=f"+48 601 000 {i:03d}")
        ContactPhone.objects.create(tenant=tenant, contact=customer, number=f"+48 602 000 {i:03d}")


def test_the_agent_ticket_page_costs_the_same_with_one_or_many_of_everything(people, client):
    ticket = file_ticket(people["customer"], "Pierwsze")
    client.force_login(people["agent"].user)
    _grow(people, ticket, 0, 1)
    one = _ticket_page_queries(client, ticket)
    _grow(people, ticket, 1, 6)
    many = _ticket_page_queries(client, ticket)
    assert len(many) == len(one) == TICKET_PAGE_QUERIES, "\n".join(many)


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("field", ["status", "channel", "sla_state"])
def test_the_label_filter_says_what_get_display_says_in_each_language(field, language):
    from django.utils import translation

    from tickets.models import Ticket
    from tickets.templatetags.helpdesk_ui import label

    with translation.override(language):
        for value, _text in Ticket._meta.get_field(field).flatchoices:
            ticket = Ticket(**{field: value})
            assert label(ticket, field) == getattr(ticket, f"get_{field}_display")()
        assert label(Ticket(**{field: "no-such-value"}), field) == "no-such-value"


def test_the_product_names_follow_a_product_added_renamed_and_removed(demo):
    from plans.models import Product
    from tickets.selectors import product_names

    tenant = Tenant.objects.get(slug="wysylki")
    before = product_names(tenant)
    product = Product.objects.create(tenant=tenant, code="magazyn-wms", name="Magazyn WMS")
    assert product_names(tenant) == {**before, "magazyn-wms": "Magazyn WMS"}
    product.name = "Magazyn WMS 2"
    product.save()
    assert product_names(tenant)["magazyn-wms"] == "Magazyn WMS 2"
    product.delete()
    assert product_names(tenant) == before
    other = Tenant.objects.get(slug="kjm")
    assert "magazyn-wms" not in product_names(other)
