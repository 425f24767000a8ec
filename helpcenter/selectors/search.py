"""Search hits turned into what a page shows: the object, its title and where it lives."""
from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from helpcenter.models import Article, SearchEntry, Topic, Viewer
from helpcenter.search.engine import Result


@dataclass(frozen=True)
class Found:
    kind: str
    object_id: int
    title: str
    excerpt: str
    url: str
    solved: bool
    label: str


def article_url(article: Article) -> str:
    if article.kind == Article.Kind.MANUAL:
        return reverse("help:manual_section", args=[article.product.code, article.slug])
    return reverse("help:article", args=[article.slug])


def resolve(*, viewer: Viewer, result: Result) -> list[Found]:
    """Two queries whatever the number of hits; a hit whose object the viewer may not see is dropped."""
    article_ids = [h.object_id for h in result.hits if h.kind == SearchEntry.Kind.ARTICLE]
    topic_ids = [h.object_id for h in result.hits if h.kind == SearchEntry.Kind.TOPIC]
    articles = {a.pk: a for a in Article.objects.visible_to(viewer).select_related("product", "category")
                .filter(pk__in=article_ids)}
    topics = {t.pk: t for t in Topic.objects.visible_to(viewer).select_related("category").filter(pk__in=topic_ids)}
    found = []
    for hit in result.hits:
        if hit.kind == SearchEntry.Kind.ARTICLE and hit.object_id in articles:
            article = articles[hit.object_id]
            label = article.product.name if article.kind == Article.Kind.MANUAL else (
                article.category.name if article.category else "")
            found.append(Found(hit.kind, hit.object_id, article.title, hit.excerpt, article_url(article), True, label))
        elif hit.kind == SearchEntry.Kind.TOPIC and hit.object_id in topics:
            topic = topics[hit.object_id]
            found.append(Found(hit.kind, hit.object_id, topic.title, hit.excerpt,
                               reverse("help:topic", args=[topic.pk]), topic.solution_id is not None,
                               topic.category.name))
    return found
