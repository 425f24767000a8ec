"""Manuals and articles: visibility, drafts and scheduling, revisions, table of contents, feedback."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from helpcenter.models import Article, ArticleRevision, Viewer
from helpcenter.selectors import kb
from helpcenter.services.kb import article_feedback, article_publish, article_save

pytestmark = pytest.mark.django_db


def test_visibility_by_role(help_alpha):
    h = help_alpha
    anonymous = set(Article.objects.visible_to(h.anonymous()).values_list("slug", flat=True))
    customer = set(Article.objects.visible_to(h.customer()).values_list("slug", flat=True))
    staff = set(Article.objects.visible_to(h.staff()).values_list("slug", flat=True))
    assert "cennik-uslug" not in anonymous and "cennik-uslug" in customer
    assert "procedura-wewnetrzna" not in customer and "procedura-wewnetrzna" in staff
    assert "szkic" not in customer and "szkic" in staff  # staff preview drafts


def test_another_tenants_articles_are_never_visible(helps):
    alpha, beta = helps
    ids = set(Article.objects.visible_to(alpha.staff()).values_list("id", flat=True))
    assert beta.howto.pk not in ids and alpha.howto.pk in ids


def test_scheduled_article_appears_when_its_time_comes(help_alpha):
    h = help_alpha
    later = timezone.now() + timedelta(hours=2)
    article_publish(tenant=h.tenant, article=h.draft, actor=None, at=later)
    assert not Article.objects.visible_to(h.customer()).filter(pk=h.draft.pk).exists()
    assert Article.objects.for_tenant(h.tenant).published(now=later + timedelta(seconds=1)).filter(
        pk=h.draft.pk).exists()


def test_every_change_of_text_is_a_revision_with_a_diff(help_alpha):
    h = help_alpha
    article_save(tenant=h.tenant, actor=None, article=h.howto, body="Korektę wystawisz w module Sprzedaż.",
                 note="nazwa modułu")
    article_save(tenant=h.tenant, actor=None, article=h.howto, position=3)  # no text change: no revision
    revisions = list(kb.revisions(article=h.howto))
    assert [r.number for r in revisions] == [2, 1]
    diff = kb.revision_diff(revisions[1], revisions[0])
    assert ("add", "Korektę wystawisz w module Sprzedaż.") in diff
    assert any(kind == "del" and "faktury" in line for kind, line in diff)


def test_manual_toc_orders_chapters_and_sections_with_prev_next(help_alpha):
    h = help_alpha
    toc = kb.manual_toc(viewer=h.anonymous(), product=h.product, language="pl")
    assert [a.slug for a in toc.order] == ["pierwsze-kroki", "instalacja", "aktualizacja"]
    previous, following = toc.neighbours(h.section)
    assert previous == h.chapter and following == h.section2


def test_language_versions_fall_back_to_the_tenants_language(help_alpha):
    h = help_alpha
    english = article_save(tenant=h.tenant, actor=None, slug="correcting-an-invoice", title="Correcting an invoice",
                           body="Use the sales module.", category=h.category, language="en",
                           translation_key=h.howto.translation_key)
    article_publish(tenant=h.tenant, article=english, actor=None)
    assert kb.article_by_slug(viewer=h.anonymous(), slug="correcting-an-invoice", language="en") == english
    assert [a.language for a in kb.category_articles(viewer=h.anonymous(), category=h.category, language="en")
            ] == ["en"]
    assert kb.translations(viewer=h.anonymous(), article=h.howto) == [english]
    toc = kb.manual_toc(viewer=h.anonymous(), product=h.product, language="en")
    assert toc.language == "pl" and toc.chapters


def test_manual_section_needs_a_chapter_of_the_same_manual(helps):
    alpha, beta = helps
    with pytest.raises(ValidationError):
        article_save(tenant=alpha.tenant, actor=None, slug="x", title="X", kind="manual", product=alpha.product,
                     parent=beta.chapter)


def test_article_body_is_stored_sanitised(help_alpha):
    h = help_alpha
    article = article_save(tenant=h.tenant, actor=None, slug="zly", title="Zły", category=h.category,
                           body="<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script" not in article.body_html and "href" not in article.body_html


def test_feedback_once_per_voter(help_alpha):
    h = help_alpha
    article_feedback(tenant=h.tenant, article=h.howto, voter="session:a", helpful=True)
    article_feedback(tenant=h.tenant, article=h.howto, voter="session:a", helpful=False)
    article_feedback(tenant=h.tenant, article=h.howto, voter="user:1", helpful=True)
    h.howto.refresh_from_db()
    assert (h.howto.helpful_yes, h.howto.helpful_no) == (1, 1)


def test_revisions_are_counted_per_article(help_alpha):
    assert ArticleRevision.objects.filter(article=help_alpha.howto).count() == 1
    assert isinstance(help_alpha.anonymous(), Viewer)
