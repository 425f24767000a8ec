"""The staff article editor in the help center: drafts, preview, publishing now or later, revisions,
language versions; customers and strangers never reach it."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from helpcenter.models import Article, ArticleRevision

pytestmark = pytest.mark.django_db


def staff_client(h):
    c = Client(HTTP_HOST=h.tenant.domain)
    c.force_login(h.world.agent.user)
    return c


def form_data(h, **changes):
    data = {"kind": "howto", "language": "pl", "title": "Jak wystawić fakturę zaliczkową", "slug": "",
            "summary": "Zaliczka krok po kroku.", "body": "## Krok 1\n\nOtwórz **sprzedaż**.", "product": "",
            "parent": "", "position": 0, "category": h.category.pk, "visibility": "public", "publish_at": "",
            "note": "", "action": "save"}
    data.update(changes)
    return data


def test_staff_write_a_draft_then_publish_it_and_the_history_keeps_each_version(help_alpha):
    h = help_alpha
    c = staff_client(h)
    anonymous = Client(HTTP_HOST=h.tenant.domain)
    # a new article is saved as a draft, with its slug made from the title
    response = c.post("/help/staff/articles/new/", form_data(h))
    article = Article.objects.for_tenant(h.tenant).get(title="Jak wystawić fakturę zaliczkową")
    assert response.status_code == 302 and response["Location"] == f"/help/staff/articles/{article.pk}/"
    assert article.slug == "jak-wystawic-fakture-zaliczkowa" and article.status == "draft"
    assert "<h2>Krok 1</h2>" in article.body_html
    assert anonymous.get(f"/help/a/{article.slug}/").status_code == 404
    # edited and published now: readers see it
    c.post(f"/help/staff/articles/{article.pk}/", form_data(
        h, body="## Krok 1\n\nOtwórz **sprzedaż** i wybierz zaliczkę.", note="dopisana zaliczka", action="publish"))
    article.refresh_from_db()
    assert article.is_live
    assert "wybierz zaliczkę" in anonymous.get(f"/help/a/{article.slug}/").content.decode()
    # every change of the text is a revision; the history shows the diff
    assert list(ArticleRevision.objects.filter(article=article).order_by("number")
                .values_list("number", "note")) == [(1, ""), (2, "dopisana zaliczka")]
    history = c.get(f"/help/staff/articles/{article.pk}/revisions/").content.decode()
    assert "wybierz zaliczkę" in history and "diff__add" in history
    # withdrawn: a draft again
    c.post(f"/help/staff/articles/{article.pk}/", form_data(h, body=article.body, action="unpublish"))
    article.refresh_from_db()
    assert article.status == "draft" and anonymous.get(f"/help/a/{article.slug}/").status_code == 404
    listed = c.get("/help/staff/articles/?state=draft").content.decode()
    assert "Jak wystawić fakturę zaliczkową" in listed and "Jak poprawić fakturę" not in listed


def test_scheduled_article_appears_at_its_time(help_alpha):
    h = help_alpha
    c = staff_client(h)
    later = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = c.post("/help/staff/articles/new/", form_data(h, action="schedule",
                                                             publish_at=later.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 302
    article = Article.objects.for_tenant(h.tenant).get(title="Jak wystawić fakturę zaliczkową")
    assert article.status == "published" and article.publish_at == later and not article.is_live
    assert Client(HTTP_HOST=h.tenant.domain).get(f"/help/a/{article.slug}/").status_code == 404
    assert "Jak wystawić fakturę zaliczkową" in c.get("/help/staff/articles/?state=scheduled").content.decode()
    # scheduling needs a time in the future: a 400 naming the field, nothing saved
    bad = c.post("/help/staff/articles/new/", form_data(h, title="Inny", action="schedule", publish_at=""))
    assert bad.status_code == 400 and "publish_at" in bad.context["form"].errors
    assert not Article.objects.for_tenant(h.tenant).filter(title="Inny").exists()


def test_language_version_shares_the_translation_key(help_alpha):
    h = help_alpha
    c = staff_client(h)
    page = c.get(f"/help/staff/articles/new/?translation_of={h.howto.pk}&language=en")
    assert page.status_code == 200 and page.context["form"].initial["body"] == h.howto.body
    response = c.post("/help/staff/articles/new/", form_data(
        h, language="en", title="How to correct an invoice", slug="correct-invoice", body="Use **sales**.",
        translation_of=h.howto.pk, action="publish"))
    assert response.status_code == 302
    english = Article.objects.for_tenant(h.tenant).get(language="en", slug="correct-invoice")
    assert english.translation_key == h.howto.translation_key and english.is_live
    edit_page = c.get(f"/help/staff/articles/{h.howto.pk}/").content.decode()
    assert "How to correct an invoice" in edit_page
    # the same address twice in one language is a 400 on the slug, not a 500
    again = c.post("/help/staff/articles/new/", form_data(h, language="en", title="Dup", slug="correct-invoice"))
    assert again.status_code == 400 and "correct-invoice" in again.content.decode()


def test_preview_renders_markdown_safely(help_alpha):
    h = help_alpha
    c = staff_client(h)
    body = "**ważne** <script>alert(1)</script> [x](javascript:alert(1)) [y](https://example.com)"
    html = c.post("/help/staff/articles/preview/", {"body": body}, HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>ważne</strong>" in html and "<script>" not in html and 'href="javascript' not in html
    assert 'href="https://example.com"' in html


def test_customers_and_other_tenants_staff_do_not_reach_the_editor(help_alpha, helps):
    h = help_alpha
    beta = helps[1]
    customer = Client(HTTP_HOST=h.tenant.domain)
    customer.force_login(h.world.customer)
    assert customer.get("/help/staff/articles/").status_code == 404
    assert customer.post("/help/staff/articles/new/", form_data(h)).status_code == 404
    assert customer.post("/help/staff/articles/preview/", {"body": "x"}).status_code == 404
    stranger = Client(HTTP_HOST=h.tenant.domain)
    stranger.force_login(beta.world.agent.user)
    assert stranger.get(f"/help/staff/articles/{h.howto.pk}/").status_code == 404
    own = staff_client(h)
    assert own.get(f"/help/staff/articles/{beta.howto.pk}/").status_code == 404
    assert own.post(f"/help/staff/articles/{beta.howto.pk}/", form_data(h, action="publish")).status_code == 404
    assert not Article.objects.filter(title="Jak wystawić fakturę zaliczkową").exists()
