"""The page cache (core.page_cache): what a page shows from it follows every change of its rows.

The agent's ticket page reads the plan in force, the organization's contacts, the canned replies
and the staff to assign through the cache. Each test warms it, changes a row the way the product
does (services, forms or plain saves), and expects the next read to show the change, while a
change in another tenant leaves the first tenant's entries in place.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import ContactEmail, ContactPhone, Membership, Role
from plans.models import CalendarDate
from plans.selectors import plan_in_force, plan_in_force_for_page
from plans.services import calendar_update, subscription_set_overrides
from tickets.models import CannedReply, Category, Ticket
from tickets.selectors import agent_choices, canned_replies_for_page, organization_contacts_for_page
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(two_tenants):
    return two_tenants[0]


@pytest.fixture
def beta(two_tenants):
    return two_tenants[1]


def _reads(compute) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as ctx:
        value = compute()
    return value, len(ctx.captured_queries)


def _in_force(world):
    return plan_in_force_for_page(tenant=world.tenant, organization=world.organization, at=timezone.now())


def _first_of_this_month():
    return timezone.localdate().replace(day=1)


def test_the_plan_in_force_is_read_once_and_equals_the_uncached_answer(alpha):
    first, cold = _reads(lambda: _in_force(alpha))
    again, warm = _reads(lambda: _in_force(alpha))
    assert cold > 0 and warm == 0
    fresh = plan_in_force(tenant=alpha.tenant, organization=alpha.organization, at=timezone.now())
    assert again.terms == fresh.terms == first.terms
    assert again.subscription.pk == fresh.subscription.pk


def test_a_changed_subscription_is_seen_at_once(alpha):
    before = _in_force(alpha).terms.reaction_minutes
    subscription_set_overrides(tenant=alpha.tenant, subscription=alpha.subscription,
                               overrides={"reaction_minutes": before + 60}, effective_from=_first_of_this_month())
    assert _in_force(alpha).terms.reaction_minutes == before + 60


def test_a_changed_calendar_is_seen_at_once(alpha):
    spec = _in_force(alpha).terms.service_calendar
    closed = (timezone.localdate() + timedelta(days=40)).isoformat()
    calendar_update(tenant=alpha.tenant, calendar=alpha.calendar, name=alpha.calendar.name,
                    spec={**spec, "closed_dates": [*spec.get("closed_dates", []), closed]})
    assert closed in _in_force(alpha).terms.service_calendar["closed_dates"]
    # a date row saved on its own (it has no tenant of its own: the calendar's is renewed)
    CalendarDate.objects.create(calendar=alpha.calendar, date=date.fromisoformat(closed) + timedelta(days=1),
                                kind=CalendarDate.Kind.CLOSED)
    assert len(_in_force(alpha).terms.service_calendar["closed_dates"]) == len(spec.get("closed_dates", [])) + 2


def test_a_change_in_another_tenant_keeps_this_tenants_entries(alpha, beta):
    _in_force(alpha)
    CannedReply.objects.create(tenant=beta.tenant, title="Beta only", body="…")
    subscription_set_overrides(tenant=beta.tenant, subscription=beta.subscription,
                               overrides={"reaction_minutes": 1}, effective_from=_first_of_this_month())
    _value, queries = _reads(lambda: _in_force(alpha))
    assert queries == 0


def test_contacts_follow_new_emails_phones_and_people(alpha):

    def contacts():
        return organization_contacts_for_page(tenant=alpha.tenant, organization=alpha.organization)

    contacts()
    ContactEmail.objects.create(tenant=alpha.tenant, contact=alpha.contact, email="second@alpha.example.com")
    ContactPhone.objects.create(tenant=alpha.tenant, contact=alpha.contact, number="+48 600 111 222")
    (contact,) = contacts()
    assert "second@alpha.example.com" in [e.email for e in contact.emails.all()]
    assert "+48 600 111 222" in [p.number for p in contact.phones.all()]
    alpha.contact.name = "Renamed Contact"
    alpha.contact.save()
    assert [c.name for c in contacts()] == ["Renamed Contact"]
    ContactEmail.objects.filter(email="second@alpha.example.com").delete()
    assert "second@alpha.example.com" not in [e.email for e in contacts()[0].emails.all()]


def test_canned_replies_follow_new_renamed_and_personal_ones(alpha):

    def titles(member):
        return [c.title for c in canned_replies_for_page(tenant=alpha.tenant, membership=member)]

    assert titles(alpha.agent) == ["alpha Canned reply"]
    mine = CannedReply.objects.create(tenant=alpha.tenant, title="Mine", body="…",
                                      visibility=CannedReply.Visibility.PERSONAL, owner=alpha.agent)
    assert titles(alpha.agent) == ["Mine", "alpha Canned reply"]  # by title
    assert titles(alpha.admin) == ["alpha Canned reply"]  # never another's personal one
    category = Category.objects.get(tenant=alpha.tenant)
    mine.category = category
    mine.save()
    category.name = "Renamed category"
    category.save()
    assert canned_replies_for_page(tenant=alpha.tenant, membership=alpha.agent)[0].category.name == "Renamed category"
    mine.delete()
    assert titles(alpha.agent) == ["alpha Canned reply"]


def test_the_staff_to_assign_follow_names_roles_and_removals(alpha):

    def names():
        return dict(agent_choices(tenant=alpha.tenant))

    assert alpha.agent.pk in names()
    user = alpha.agent.user
    user.first_name, user.last_name = "Anna", "Nowak"
    user.save()
    assert names()[alpha.agent.pk] == "Anna Nowak"
    membership = Membership.objects.get(pk=alpha.agent.pk)
    membership.role = Role.VIEWER
    membership.save()
    assert alpha.agent.pk not in names()  # an observer is never assigned
    membership.delete()
    assert alpha.agent.pk not in names()


def test_a_login_does_not_renew_the_tenants_entries(alpha, client):
    agent_choices(tenant=alpha.tenant)
    client.force_login(alpha.agent.user)  # saves last_login only
    _value, queries = _reads(lambda: agent_choices(tenant=alpha.tenant))
    assert queries == 0


def test_the_ticket_page_shows_a_new_contact_email_and_canned_reply(alpha, client):
    ticket = ticket_create(tenant=alpha.tenant, channel=Ticket.Channel.PORTAL, subject="Cache", body="Treść",
                           contact=alpha.contact)
    client.force_login(alpha.agent.user)
    url = f"/agent/tickets/{ticket.pk}/"
    assert client.get(url).status_code == 200
    ContactEmail.objects.create(tenant=alpha.tenant, contact=alpha.contact, email="fresh@alpha.example.com")
    CannedReply.objects.create(tenant=alpha.tenant, title="Świeża odpowiedź", body="…")
    page = client.get(url).content.decode()
    assert "fresh@alpha.example.com" in page
    assert "Świeża odpowiedź" in page


def test_the_queue_choices_follow_new_and_renamed_organizations_categories_products_and_plans(alpha, beta):
    from core.models import Organization
    from plans.models import Plan, Product
    from tickets.selectors import queue_choices_for_page

    def names(kind):
        return [name for _id, name in queue_choices_for_page(tenant=alpha.tenant)[kind]]

    before, queries = _reads(lambda: queue_choices_for_page(tenant=alpha.tenant))
    assert _reads(lambda: queue_choices_for_page(tenant=alpha.tenant)) == (before, 0)
    Organization.objects.create(tenant=alpha.tenant, name="Nowa Sp. z o.o.")
    assert "Nowa Sp. z o.o." in names("organizations")
    category = Category.objects.get(tenant=alpha.tenant)
    category.name = "Przemianowana"
    category.save()
    assert "Przemianowana" in names("categories")
    category.active = False
    category.save()
    assert "Przemianowana" not in names("categories")
    Product.objects.create(tenant=alpha.tenant, code="nowy", name="Nowy produkt")
    assert "Nowy produkt" in names("products")
    plan = Plan.objects.filter(tenant=alpha.tenant).first()
    plan.name = "Plan przemianowany"
    plan.save()
    assert "Plan przemianowany" in names("plans")
    # another tenant's lists never show them
    other = [name for kind in ("organizations", "categories", "products", "plans")
             for _id, name in queue_choices_for_page(tenant=beta.tenant)[kind]]
    assert not {"Nowa Sp. z o.o.", "Przemianowana", "Nowy produkt", "Plan przemianowany"} & set(other)


class _CountingCache:
    """The shared cache, counting the reads that reach it."""

    def __init__(self, monkeypatch):
        from core import cache_versions

        self.reads = 0
        real = cache_versions.cache

        class Proxy:
            def __getattr__(_self, name):
                return getattr(real, name)

            def get(_self, *args, **kwargs):
                self.reads += 1
                return real.get(*args, **kwargs)

        monkeypatch.setattr(cache_versions, "cache", Proxy())


def test_within_a_request_the_versions_and_entries_are_read_once_and_a_change_is_still_seen(alpha, monkeypatch):
    from core import cache_versions

    def titles():
        return [c.title for c in canned_replies_for_page(tenant=alpha.tenant, membership=alpha.agent)]

    titles()  # cached between requests
    counting = _CountingCache(monkeypatch)
    cache_versions.begin_request()
    try:
        assert titles() == ["alpha Canned reply"]
        first = counting.reads  # two versions and the entry
        assert first == 3
        assert titles() == titles() == ["alpha Canned reply"]
        assert agent_choices(tenant=alpha.tenant)
        assert counting.reads == first + 1  # only the staff list's entry is new
        CannedReply.objects.create(tenant=alpha.tenant, title="Added in this request", body="…",
                                   visibility=CannedReply.Visibility.PERSONAL, owner=alpha.agent)
        assert titles() == ["Added in this request", "alpha Canned reply"]
    finally:
        cache_versions.end_request()
    reads = counting.reads
    titles()
    titles()
    assert counting.reads == reads + 6  # outside a request every read goes to the cache


def test_a_page_request_reads_each_version_once(alpha, client, monkeypatch):
    client.force_login(alpha.agent.user)
    client.get("/agent/")  # warm
    counting = _CountingCache(monkeypatch)
    response = client.get("/agent/")
    assert response.status_code == 200
    # tenancy version + answer, page version, and the queue's four cached lists; not 3 reads per list
    assert counting.reads <= 8, counting.reads
