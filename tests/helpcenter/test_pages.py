"""The pages at /help/: public reading on the tenant's host, visibility by role, another tenant is a 404."""
import pytest
from django.test import Client

from helpcenter.models import Topic, Viewer
from helpcenter.services.forum import topic_create

pytestmark = pytest.mark.django_db


def client_for(h, user=None) -> Client:
    client = Client(HTTP_HOST=h.tenant.domain)
    if user is not None:
        client.force_login(user)
    return client


def test_anonymous_visitor_reads_the_manual_and_articles_on_the_tenants_host(help_alpha):
    h = help_alpha
    c = client_for(h)
    home = c.get("/help/")
    assert home.status_code == 200 and "Pierwsze kroki" not in home.content.decode()
    manual = c.get(f"/help/manual/{h.product.code}/")
    assert manual.status_code == 200 and "Instalacja na serwerze" in manual.content.decode()
    section = c.get(f"/help/manual/{h.product.code}/instalacja/")
    body = section.content.decode()
    assert section.status_code == 200 and "klucz licencji" in body
    assert 'rel="next"' in body and "Aktualizacja programu" in body and 'rel="prev"' in body
    assert c.get("/help/a/korekta-faktury/").status_code == 200


@pytest.mark.parametrize("slug", ["cennik-uslug", "procedura-wewnetrzna", "szkic"])
def test_anonymous_cannot_read_restricted_or_unpublished_articles(help_alpha, slug):
    assert client_for(help_alpha).get(f"/help/a/{slug}/").status_code == 404


def test_customer_reads_customers_only_but_never_internal(help_alpha):
    h = help_alpha
    c = client_for(h, h.world.customer)
    assert c.get("/help/a/cennik-uslug/").status_code == 200
    assert c.get("/help/a/procedura-wewnetrzna/").status_code == 404
    assert c.get("/help/a/szkic/").status_code == 404


def test_staff_read_internal_articles_and_preview_drafts(help_alpha):
    h = help_alpha
    c = client_for(h, h.world.agent.user)
    assert c.get("/help/a/procedura-wewnetrzna/").status_code == 200
    assert c.get("/help/a/szkic/").status_code == 200


def test_another_tenants_help_center_is_never_reachable(helps):
    alpha, beta = helps
    # beta's article slug on alpha's host: there is no such article in alpha (404), whoever asks
    topic = topic_create(tenant=beta.tenant, viewer=beta.staff(), category=beta.forum, title="Pytanie bety",
                         body="Treść")
    for user in (None, alpha.world.customer, alpha.world.agent.user, beta.world.agent.user):
        c = client_for(alpha, user)
        assert c.get(f"/help/forum/t/{topic.pk}/").status_code == 404
        assert c.get(f"/help/a/{beta.internal.slug}-x/").status_code == 404
    # beta's staff on alpha's host are strangers: alpha's internal article stays hidden
    c = client_for(alpha, beta.world.agent.user)
    assert c.get("/help/a/procedura-wewnetrzna/").status_code == 404
    assert c.get("/help/staff/moderation/").status_code == 404


def test_no_tenant_no_help_center(help_alpha):
    assert Client(HTTP_HOST="localhost").get("/help/").status_code == 404


def test_search_finds_inflected_and_mistyped_words_and_respects_visibility(help_alpha):
    h = help_alpha
    c = client_for(h)
    for query in ("faktura", "fakturę", "faktury", "fatkura"):
        body = c.get("/help/search/", {"q": query}).content.decode()
        assert "Jak poprawić fakturę" in body, query
        assert "Procedura eskalacji faktur" not in body, query
    staff = client_for(h, h.world.agent.user).get("/help/search/", {"q": "faktur"}).content.decode()
    assert "Procedura eskalacji faktur" in staff


def test_feedback_is_counted_once_per_visitor(help_alpha):
    h = help_alpha
    c = client_for(h)
    c.post(f"/help/a/{h.howto.pk}/feedback/", {"helpful": "yes"})
    c.post(f"/help/a/{h.howto.pk}/feedback/", {"helpful": "yes"})
    h.howto.refresh_from_db()
    assert h.howto.helpful_yes == 1
    assert client_for(h).post(f"/help/a/{h.internal.pk}/feedback/", {"helpful": "yes"}).status_code == 404


def test_pages_of_the_forum_and_suggestions_render_for_every_role(help_alpha):
    h = help_alpha
    topic = topic_create(tenant=h.tenant, viewer=h.staff(), category=h.forum, title="Jak zacząć?", body="Pytanie")
    for user in (None, h.world.customer, h.world.agent.user):
        c = client_for(h, user)
        for path in ("/help/", "/help/forum/", f"/help/forum/c/{h.forum.slug}/", f"/help/forum/t/{topic.pk}/",
                     "/help/suggestions/", "/help/search/?q=instalacja", f"/help/kb/{h.category.slug}/"):
            assert c.get(path).status_code == 200, (user, path)
    staff = client_for(h, h.world.agent.user)
    for path in ("/help/staff/moderation/", "/help/staff/reports/", f"/help/staff/articles/{h.howto.pk}/revisions/"):
        assert staff.get(path).status_code == 200, path
    customer = client_for(h, h.world.customer)
    assert customer.get("/help/staff/reports/").status_code == 404
    assert client_for(h).get("/help/staff/reports/").status_code == 302


def test_writing_needs_a_login(help_alpha):
    h = help_alpha
    response = client_for(h).post("/help/forum/new/", {"category": h.forum.pk, "title": "Pytanie", "body": "x"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Topic.objects.for_tenant(h.tenant).exists()
    assert isinstance(h.anonymous(), Viewer)
