"""The help center API: tenancy and visibility for tokens, staff and customers; writes as the role allows."""
import pytest
from rest_framework.test import APIClient

from core.services import api_token_create
from helpcenter.models import Suggestion, Topic

pytestmark = pytest.mark.django_db


def api(h, user=None, token=None):
    client = APIClient(HTTP_HOST=h.tenant.domain)
    if user is not None:
        client.force_login(user)
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def token_for(h):
    return api_token_create(tenant=h.tenant, name="CRM", created_by=h.world.admin.user)[1]


def slugs(response):
    return {row["slug"] for row in response.json()["results"]}


def test_articles_by_role(help_alpha):
    h = help_alpha
    assert api(h).get("/api/v1/help/articles/").status_code in (401, 403)
    customer = slugs(api(h, h.world.customer).get("/api/v1/help/articles/"))
    staff = slugs(api(h, h.world.agent.user).get("/api/v1/help/articles/"))
    token = slugs(api(h, token=token_for(h)).get("/api/v1/help/articles/"))
    assert "cennik-uslug" in customer and "procedura-wewnetrzna" not in customer and "szkic" not in customer
    assert "procedura-wewnetrzna" in staff and "procedura-wewnetrzna" in token
    assert api(h, h.world.customer).get(f"/api/v1/help/articles/{h.internal.pk}/").status_code == 404


def test_another_tenants_rows_are_404(helps):
    alpha, beta = helps
    client = api(alpha, alpha.world.agent.user)
    assert client.get(f"/api/v1/help/articles/{beta.howto.pk}/").status_code == 404
    assert beta.howto.slug not in {r["id"] for r in client.get("/api/v1/help/articles/").json()["results"]}
    other = api(beta, token=token_for(beta))
    created = other.post("/api/v1/help/suggestions/", {"title": "Sugestia beta", "body": "x"}, format="json")
    assert created.status_code == 201, created.content
    assert client.get(f"/api/v1/help/suggestions/{created.json()['id']}/").status_code == 404
    assert client.post(f"/api/v1/help/suggestions/{created.json()['id']}/vote/").status_code == 404


def test_customer_asks_and_replies_staff_set_suggestion_status(help_alpha):
    h = help_alpha
    customer = api(h, h.world.customer)
    created = customer.post("/api/v1/help/topics/", {"category": h.forum.slug, "title": "Pytanie przez API",
                                                     "body": "<script>x</script>Treść"}, format="json")
    assert created.status_code == 201, created.content
    topic = Topic.objects.get(pk=created.json()["id"])
    assert topic.held and topic.author_contact == h.world.contact
    posts = api(h, h.world.agent.user).get(f"/api/v1/help/topics/{topic.pk}/posts/").json()["results"]
    assert "<script" not in posts[0]["body_html"]
    reply = api(h, h.world.agent.user).post(f"/api/v1/help/topics/{topic.pk}/posts/", {"body": "Odpowiedź"},
                                            format="json")
    assert reply.status_code == 201 and reply.json()["from_staff"]
    suggestion = customer.post("/api/v1/help/suggestions/", {"title": "Nowa funkcja", "body": "Opis"}, format="json")
    pk = suggestion.json()["id"]
    assert customer.patch(f"/api/v1/help/suggestions/{pk}/", {"status": "planned"}, format="json").status_code == 403
    staff = api(h, h.world.agent.user)
    answered = staff.patch(f"/api/v1/help/suggestions/{pk}/", {"status": "planned", "official_answer": "Tak"},
                           format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "planned"
    assert staff.post(f"/api/v1/help/suggestions/{pk}/vote/").json()["vote_count"] == 2
    assert Suggestion.objects.get(pk=pk).vote_count == 2
