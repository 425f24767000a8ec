"""Escalation to a ticket by the plan's channels; search ranking; deflection; the staff reports."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from helpcenter.models import DeflectionEvent, SearchEntry, SearchQuery, Topic
from helpcenter.search.engine import search
from helpcenter.selectors import reports
from helpcenter.selectors.escalation import escalation_offer
from helpcenter.services import forum
from helpcenter.services.escalation import topic_escalate
from tests.factories import PlanFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def customer_topic(h):
    topic = forum.topic_create(tenant=h.tenant, viewer=h.customer(), category=h.forum, title="Nie działa import",
                               body="Import zamówień z CSV zwraca błąd.")
    forum.post_moderate(tenant=h.tenant, viewer=h.staff(), post=topic.posts.get(), action="approve")
    return topic


def test_topic_becomes_a_ticket_when_the_plan_covers_help_by_email(help_alpha, monkeypatch):
    h = help_alpha
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    topic = customer_topic(h)
    assert escalation_offer(tenant=h.tenant, contact=h.world.contact).covered  # factory plan: e-mail help
    c = Client(HTTP_HOST=h.tenant.domain)
    c.force_login(h.world.customer)
    response = c.post(f"/help/forum/t/{topic.pk}/ticket/")
    topic.refresh_from_db()
    ticket = Ticket.objects.for_tenant(h.tenant).get(pk=topic.ticket_id)
    assert response.status_code == 302 and response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert ticket.contact == h.world.contact and ticket.subject == topic.title
    assert f"/help/forum/t/{topic.pk}/" in ticket.messages.first().body
    with pytest.raises(ValidationError):
        topic_escalate(tenant=h.tenant, viewer=h.customer(), topic=topic)


def test_forum_only_plan_shows_what_it_covers_and_the_paid_rate(help_alpha, monkeypatch):
    h = help_alpha
    forum_only = PlanFactory(tenant=h.tenant, code="community", name="COMMUNITY", terms={
        "service_calendar": h.world.calendar, "email_scope": "bugs", "channels": ["forum", "email"],
        "config_help_channels": ["forum"], "hourly_rate_net": Decimal("200.00")})
    sub = h.world.subscription
    sub.plan = forum_only
    sub.save()
    topic = customer_topic(h)
    offer = escalation_offer(tenant=h.tenant, contact=h.world.contact)
    assert not offer.covered and str(offer.hourly_rate_net) == "200.00"
    c = Client(HTTP_HOST=h.tenant.domain)
    c.force_login(h.world.customer)
    page = c.get(f"/help/forum/t/{topic.pk}/ticket/").content.decode()
    assert "COMMUNITY" in page and "200,00" in page
    c.post(f"/help/forum/t/{topic.pk}/ticket/")
    topic.refresh_from_db()
    assert topic.ticket_id is None and not Ticket.objects.for_tenant(h.tenant).exists()


def test_someone_elses_topic_cannot_be_escalated_by_another_customer(help_alpha):
    h = help_alpha
    topic = forum.topic_create(tenant=h.tenant, viewer=h.staff(), category=h.forum, title="Temat zespołu", body="x")
    c = Client(HTTP_HOST=h.tenant.domain)
    c.force_login(h.world.customer)
    assert c.get(f"/help/forum/t/{topic.pk}/ticket/").status_code == 404


def test_ranking_title_over_body_solved_over_unsolved_recent_over_old(help_alpha):
    h = help_alpha
    staff = h.staff()
    now = timezone.now()
    in_body = forum.topic_create(tenant=h.tenant, viewer=staff, category=h.forum, title="Pytanie o moduł",
                                 body="Chodzi o drukarkę etykiet.", at=now)
    in_title = forum.topic_create(tenant=h.tenant, viewer=staff, category=h.forum, title="Drukarka etykiet",
                                  body="Jak ustawić?", at=now)
    assert [hit.object_id for hit in search(viewer=h.anonymous(), query="drukarka", kinds=("topic",)).hits] == [
        in_title.pk, in_body.pk]
    old = forum.topic_create(tenant=h.tenant, viewer=staff, category=h.forum, title="Kurier nie przyjechał",
                             body="x", at=now - timedelta(days=900))
    recent = forum.topic_create(tenant=h.tenant, viewer=staff, category=h.forum, title="Kurier nie przyjechał dziś",
                                body="x", at=now)
    hits = [hit.object_id for hit in search(viewer=h.anonymous(), query="kurier", kinds=("topic",)).hits]
    assert hits.index(recent.pk) < hits.index(old.pk)
    unsolved = forum.topic_create(tenant=h.tenant, viewer=staff, category=h.forum, title="Manifest DPD", body="x",
                                  at=now)
    solved = forum.topic_create(tenant=h.tenant, viewer=staff, category=h.forum, title="Manifest DPD", body="x",
                                at=now)
    answer = forum.post_add(tenant=h.tenant, viewer=staff, topic=solved, body="Zamknij dzień ponownie.")
    forum.solution_mark(tenant=h.tenant, viewer=staff, post=answer)
    hits = [hit.object_id for hit in search(viewer=h.anonymous(), query="manifest dpd", kinds=("topic",)).hits]
    assert hits.index(solved.pk) < hits.index(unsolved.pk)


def test_search_never_crosses_tenants_and_hides_held_topics(helps):
    alpha, beta = helps
    forum.topic_create(tenant=beta.tenant, viewer=beta.staff(), category=beta.forum, title="Faktura beta", body="x")
    held = forum.topic_create(tenant=alpha.tenant, viewer=alpha.customer(), category=alpha.forum,
                              title="Faktura oczekująca", body="x")
    assert held.held
    titles = {hit.title for hit in search(viewer=alpha.staff(), query="faktura").hits}
    assert "Faktura beta" not in titles and "Jak poprawić fakturę" in titles
    assert "Faktura oczekująca" not in {hit.title for hit in search(viewer=alpha.anonymous(), query="faktura").hits}
    assert SearchEntry.objects.for_tenant(alpha.tenant).filter(kind="topic", object_id=held.pk,
                                                               published_at__isnull=True).exists()


def test_deflection_suggests_articles_and_counts_shown_and_solved_once_per_visit(help_alpha):
    h = help_alpha
    c = Client(HTTP_HOST=h.tenant.domain)
    c.force_login(h.world.customer)
    response = c.get("/help/deflect/", {"subject": "korekta fakt", "body": ""}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "Jak poprawić fakturę" in page
    visit = page.split('name="visit" value="')[1].split('"')[0]
    c.get("/help/deflect/", {"subject": "korekta faktury", "visit": visit}, HTTP_HX_REQUEST="true")
    c.post("/help/deflect/solved/", {"visit": visit, "kind": "article", "object_id": h.howto.pk})
    c.post("/help/deflect/solved/", {"visit": visit, "kind": "article", "object_id": h.howto.pk})
    counts = reports.deflection(tenant=h.tenant, since=timezone.now() - timedelta(days=1))
    assert (counts.shown, counts.solved, counts.rate) == (1, 1, 1.0)
    assert DeflectionEvent.objects.for_tenant(h.tenant).count() == 2
    assert Client(HTTP_HOST=h.tenant.domain).get("/help/deflect/", {"subject": "x"}).status_code == 302


def test_new_ticket_page_asks_for_suggestions(help_alpha):
    h = help_alpha
    c = Client(HTTP_HOST=h.tenant.domain)
    c.force_login(h.world.customer)
    page = c.get("/portal/new/").content.decode()
    assert 'hx-get="/help/deflect/"' in page and 'id="deflect-visit"' in page


def test_report_of_searches_without_results(help_alpha):
    h = help_alpha
    c = Client(HTTP_HOST=h.tenant.domain)
    for _ in range(2):
        c.get("/help/search/", {"q": "zwrot paczki"})
    c.get("/help/search/", {"q": "faktura"})
    rows = reports.searches_without_results(tenant=h.tenant, since=timezone.now() - timedelta(days=1))
    assert [(r["example"], r["count"]) for r in rows] == [("zwrot paczki", 2)]
    staff = Client(HTTP_HOST=h.tenant.domain)
    staff.force_login(h.world.agent.user)
    assert "zwrot paczki" in staff.get("/help/staff/reports/").content.decode()
    assert Topic.objects.count() == 0


def test_new_ticket_page_searches_are_logged_once_per_visit_with_results_and_deflection(help_alpha):
    h = help_alpha
    c = Client(HTTP_HOST=h.tenant.domain)
    c.force_login(h.world.customer)
    since = timezone.now() - timedelta(days=1)
    # given a visit that types two searches and is solved by a suggestion
    first = c.get("/help/deflect/", {"subject": "korekta fakt"}, HTTP_HX_REQUEST="true").content.decode()
    visit = first.split('name="visit" value="')[1].split('"')[0]
    c.get("/help/deflect/", {"subject": "korekta faktury", "visit": visit}, HTTP_HX_REQUEST="true")
    c.post("/help/deflect/solved/", {"visit": visit, "kind": "article", "object_id": h.howto.pk})
    # and a second visit whose words find nothing, and which ends in a ticket
    empty = c.get("/help/deflect/", {"subject": "zwrot paczki kurierem"}, HTTP_HX_REQUEST="true").content.decode()
    other = empty.split('name="visit" value="')[1].split('"')[0]
    # then each visit has one logged search: its last words, what they found, deflected or not
    logged = {q.visit: q for q in SearchQuery.objects.for_tenant(h.tenant).filter(source="deflection")}
    assert set(logged) == {visit, other}
    assert logged[visit].text == "korekta faktury" and logged[visit].results >= 1 and logged[visit].deflected
    assert logged[other].results == 0 and not logged[other].deflected
    # and the reports count them: searches without results by place, the visits' deflection rate
    summary = reports.ticket_page_searches(tenant=h.tenant, since=since)
    assert (summary.visits, summary.without_results, summary.deflected, summary.rate) == (2, 1, 1, 0.5)
    rows = reports.searches_without_results(tenant=h.tenant, since=since)
    assert [(r["example"], r["source"], r["count"]) for r in rows] == [("zwrot paczki kurierem", "deflection", 1)]
    assert reports.search_volume(tenant=h.tenant, since=since) == 0  # the search page's own count
    staff = Client(HTTP_HOST=h.tenant.domain)
    staff.force_login(h.world.agent.user)
    page = staff.get("/help/staff/reports/").content.decode()
    assert "zwrot paczki kurierem" in page and "korekta faktury" in page and "50 %" in page
