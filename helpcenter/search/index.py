"""Keep the search index in step: one ``SearchEntry`` per article and per forum topic."""
from __future__ import annotations

from core import markdown, text
from helpcenter.models import Article, Post, SearchEntry, SearchTerm, Topic, Visibility

MAX_BODY = 20_000


def tenant_token(tenant_id: int) -> str:
    # Indexed with the text, so the full-text index itself narrows a query to one tenant.
    return f"tn{tenant_id}x"


def _vocabulary_add(tenant_id: int, *texts: str) -> None:
    stems = {term for value in texts for term in value.split() if len(term) >= 4 and not term.isdigit()}
    if stems:
        SearchTerm.objects.bulk_create([SearchTerm(tenant_id=tenant_id, term=t, length=len(t)) for t in stems],
                                       ignore_conflicts=True)


def _save(tenant_id: int, kind: str, object_id: int, **values) -> SearchEntry:
    values["tenant_token"] = tenant_token(tenant_id)
    entry, _created = SearchEntry.objects.update_or_create(tenant_id=tenant_id, kind=kind, object_id=object_id,
                                                           defaults=values)
    _vocabulary_add(tenant_id, values["title_terms"], values["body_terms"])
    return entry


def article_index(article: Article) -> SearchEntry:
    live = article.status == Article.Status.PUBLISHED and article.publish_at is not None
    context = article.parent.title if article.parent_id else ""
    return _save(article.tenant_id, SearchEntry.Kind.ARTICLE, article.pk,
                 language=article.language, visibility=article.visibility, solved=True,
                 published_at=article.publish_at if live else None, activity_at=article.updated_at,
                 title=article.title[:200], excerpt=(article.summary or markdown.plain(article.body, 200))[:300],
                 title_terms=text.index_text(article.title),
                 body_terms=text.index_text(" ".join([context, article.summary, article.body])[:MAX_BODY]))


def topic_index(topic: Topic) -> SearchEntry:
    posts = list(Post.objects.for_tenant(topic.tenant_id).filter(topic=topic, hidden=False, held=False)
                 .order_by("created_at", "id").values_list("body", flat=True))
    shown = not topic.hidden and not topic.held
    return _save(topic.tenant_id, SearchEntry.Kind.TOPIC, topic.pk,
                 language="", visibility=Visibility.PUBLIC, solved=topic.solution_id is not None,
                 published_at=topic.created_at if shown else None, activity_at=topic.last_activity_at,
                 title=topic.title[:200], excerpt=markdown.plain(posts[0] if posts else "", 200)[:300],
                 title_terms=text.index_text(topic.title),
                 body_terms=text.index_text(" ".join(posts)[:MAX_BODY]))


def entry_remove(*, tenant_id: int, kind: str, object_id: int) -> None:
    SearchEntry.objects.for_tenant(tenant_id).filter(kind=kind, object_id=object_id).delete()
