"""Saved views of the queue: saved from the filters (normal form, never SQL), personal and team, managed
by their owners or the admins, counted in the sidebar at a constant cost, and private per agent/tenant."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.core.exceptions import ValidationError
from django.http import Http404

from tests.tickets.ui_support import agent, contact, file_ticket
from tickets import saved_views
from tickets.models import SavedView, Ticket


@pytest.fixture
def people(demo):
    cache.clear()
    yield {
        "email": contact("wysylki", "Paweł Nowicki"),
        "standard": contact("wysylki", "Krzysztof Prądzyński"),
        "admin": agent("wysylki", "admin@wysylki.example.com"),
        "agent": agent("wysylki", "agent@wysylki.example.com"),
        "agent2": agent("wysylki", "agent2@wysylki.example.com"),
        "kjm": agent("kjm", "opiekun@kjm.example.com"),
    }
    cache.clear()


def _client(client, membership):
    client.force_login(membership.user)
    return client


def _sidebar_counts(html: str) -> dict[str, str]:
    found = re.findall(
        r'<span class="views-list__name">([^<]+)(?:<span[^>]*>[^<]*</span>)?</span>\s*'
        r'<span class="views-list__count" data-view-count>([^<]+)</span>',
        html,
    )
    return {name.strip(): count for name, count in found}


def test_saving_the_filters_stores_the_normal_query_and_lists_the_view_with_its_count(people, client):
    file_ticket(people["email"], "Etykiety", critical=True)
    file_ticket(people["email"], "Inne")
    c = _client(client, people["agent"])
    response = c.post(
        "/agent/views/",
        {
            "name": "  Krytyczne   moje ",
            "query": "critical=1&page=3&bogus=x&sort=newest&status=new&status=nonsense&organization=abc",
        },
    )
    view = SavedView.objects.get(owner=people["agent"])
    assert view.name == "Krytyczne moje"
    assert view.query == "status=new&critical=1&sort=newest"  # page, junk and bad values are gone
    assert response.status_code == 302 and response["Location"] == f"/agent/?{view.query}"
    html = c.get("/agent/").content.decode()
    expected = Ticket.objects.filter(tenant_id=people["agent"].tenant_id, critical=True, status="new").count()
    assert _sidebar_counts(html) == {"Krytyczne moje": str(expected)}
    page = c.get(f"/agent/?{view.query}").content.decode()
    assert 'aria-current="page" data-view' in page  # the view being shown is marked


def test_bad_names_are_form_errors_not_500(people, client):
    c = _client(client, people["agent"])
    for name in ("", "   ", "x" * 81):
        response = c.post("/agent/views/", {"name": name, "query": "critical=1"}, follow=True)
        assert response.status_code == 200
    assert not SavedView.objects.filter(owner=people["agent"]).exists()
    with pytest.raises(ValidationError):
        saved_views.view_create(membership=people["agent"], name="Zespół", query="", team=True)


def test_team_views_are_the_admins_and_shared_ones_everyones(people, client):
    team = saved_views.view_create(membership=people["admin"], name="Nieprzypisane", query="unassigned=1", team=True)
    own = saved_views.view_create(membership=people["agent"], name="Moje", query="mine=1")
    assert [v.pk for v in saved_views.views_for(membership=people["agent"])] == [team.pk, own.pk]
    assert [v.pk for v in saved_views.views_for(membership=people["agent2"])] == [team.pk]
    # an agent cannot rename or delete a team view; the owner shares their own
    c = _client(client, people["agent"])
    c.post(f"/agent/views/{team.pk}/", {"action": "rename", "name": "Przejęte"})
    c.post(f"/agent/views/{team.pk}/", {"action": "delete"})
    team.refresh_from_db()
    assert team.name == "Nieprzypisane"
    c.post(f"/agent/views/{own.pk}/", {"action": "share"})
    assert [v.pk for v in saved_views.views_for(membership=people["agent2"])] == [team.pk, own.pk]


def test_another_agents_or_tenants_view_is_a_404(people, client):
    private = saved_views.view_create(membership=people["agent2"], name="Prywatny", query="critical=1")
    foreign = (
        saved_views.view_create(membership=people["kjm"], name="KJM", query="critical=1", team=True)
        if people["kjm"].is_admin
        else SavedView.objects.create(tenant_id=people["kjm"].tenant_id, name="KJM")
    )
    c = _client(client, people["agent"])
    for view in (private, foreign):
        for action in ("rename", "delete", "up", "share"):
            assert c.post(f"/agent/views/{view.pk}/", {"action": action, "name": "x"}).status_code == 404
        view.refresh_from_db()
        assert view.name in ("Prywatny", "KJM")
    assert "Prywatny" not in c.get("/agent/").content.decode()
    assert "Prywatny" not in c.get("/agent/views/").content.decode()
    with pytest.raises(Http404):
        saved_views.view_rename(membership=people["agent"], view=private, name="x")


def test_rename_reorder_delete(people, client):
    c = _client(client, people["agent"])
    views = [
        saved_views.view_create(membership=people["agent"], name=n, query=q)
        for n, q in (("A", "critical=1"), ("B", "mine=1"), ("C", "waiting=1"))
    ]
    c.post(f"/agent/views/{views[2].pk}/", {"action": "up"})
    c.post(f"/agent/views/{views[0].pk}/", {"action": "up"})  # first already: stays
    assert [v.name for v in saved_views.views_for(membership=people["agent"])] == ["A", "C", "B"]
    c.post(f"/agent/views/{views[0].pk}/", {"action": "down"})
    assert [v.name for v in saved_views.views_for(membership=people["agent"])] == ["C", "A", "B"]
    c.post(f"/agent/views/{views[1].pk}/", {"action": "rename", "name": "Moje otwarte"})
    c.post(f"/agent/views/{views[2].pk}/", {"action": "delete"})
    assert [v.name for v in saved_views.views_for(membership=people["agent"])] == ["A", "Moje otwarte"]
    assert c.post(f"/agent/views/{views[0].pk}/", {"action": "drop table"}).status_code == 400
    page = c.get("/agent/views/").content.decode()
    assert "Moje otwarte" in page and "Udostępnij zespołowi" in page


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/agent/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_ten_views_cost_one_query_and_none_once_cached(people, client, list_cache_off):
    for n in range(3):
        file_ticket(people["email"], f"Sprawa {n}", critical=n == 0)
    c = _client(client, people["agent"])
    tenant_id = people["agent"].tenant_id
    saved_views.view_create(membership=people["agent"], name="V0", query="critical=1")
    _queue_queries(c)  # the login's tenant and session are cached from here on
    saved_views.tickets_changed(tenant_id)  # only the view counts are out of date
    one = _queue_queries(c)
    queries = [
        "mine=1",
        "unassigned=1",
        "waiting=1",
        "status=all&q=drukarka",
        "breached=1&sort=due",
        "q=Sprawa",
        "status=closed",
        "channel=portal",
        "sla=running",
    ]
    for n, query in enumerate(queries, start=1):
        saved_views.view_create(membership=people["agent"], name=f"V{n}", query=query)
    saved_views.tickets_changed(tenant_id)
    ten = _queue_queries(c)
    assert ten == one  # the counts of 1 or 10 views (searches included): the same one statement
    cached = _queue_queries(c)
    assert cached == ten - 1  # then none until a ticket changes or the entry expires


def test_counts_are_capped_and_follow_ticket_changes(people, client, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(saved_views, "COUNT_CAP", 2)
    c = _client(client, people["agent"])
    view = saved_views.view_create(membership=people["agent"], name="Etykiety", query="q=etykiety")
    first = _sidebar_counts(c.get("/agent/").content.decode())["Etykiety"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket(people["email"], "Nie drukuje etykiety")
    after = _sidebar_counts(c.get("/agent/").content.decode())["Etykiety"]
    assert int(after.rstrip("+")) >= int(first.rstrip("+"))
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            file_ticket(people["email"], f"Etykiety {n}")
    assert _sidebar_counts(c.get("/agent/").content.decode())["Etykiety"] == "2+"
    assert view.pk and ticket.pk


def test_a_view_never_counts_another_tenants_tickets(people):
    from core.models import Tenant

    kjm = Tenant.objects.get(slug="kjm")
    file_ticket(contact("kjm", "Barbara Księgowa"), "Etykiety KJM", critical=True)
    mine = saved_views.view_create(membership=people["agent"], name="Krytyczne", query="critical=1&status=all")
    counts = saved_views.view_counts(tenant=people["agent"].tenant, membership=people["agent"], views=[mine])
    own = Ticket.objects.filter(tenant_id=people["agent"].tenant_id, critical=True).count()
    assert counts[mine.pk] == min(own, saved_views.COUNT_CAP + 1)
    assert Ticket.objects.filter(tenant=kjm, critical=True).exists()
