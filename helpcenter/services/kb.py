"""Writes of manuals and articles: saving with a revision, publishing and scheduling, feedback."""
from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Tenant, User
from core.services import audit_record
from core import markdown
from helpcenter.models import Article, ArticleFeedback, ArticleRevision
from helpcenter.search.index import article_index

EDITABLE = ("kind", "language", "translation_key", "slug", "title", "summary", "body", "product", "parent",
            "position", "category", "visibility")


def _validate(article: Article) -> None:
    if not article.title.strip():
        raise ValidationError({"title": _("Give the article a title.")})
    if article.kind == Article.Kind.MANUAL:
        if article.product_id is None:
            raise ValidationError({"product": _("A manual section belongs to a product.")})
        if article.parent_id is not None:
            parent = article.parent
            if (parent.tenant_id != article.tenant_id or parent.kind != Article.Kind.MANUAL
                    or parent.product_id != article.product_id or parent.language != article.language
                    or parent.parent_id is not None or parent.pk == article.pk):
                raise ValidationError({"parent": _("A section's chapter is a chapter of the same manual.")})
    for name in ("product", "category", "parent"):
        related = getattr(article, name)
        if related is not None and related.tenant_id != article.tenant_id:
            raise ValidationError({name: _("Unknown %(name)s.") % {"name": name}})


@transaction.atomic
def article_save(*, tenant: Tenant, actor: User | None, article: Article | None = None, note: str = "",
                 **fields) -> Article:
    """Create or change an article; a new revision is kept whenever its title or text changes."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    creating = article is None
    if creating:
        article = Article(tenant=tenant, created_by=actor)
        fields.setdefault("translation_key", fields.get("slug", ""))
    elif article.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown article."))
    before = (article.title, article.body)
    for name, value in fields.items():
        setattr(article, name, value)
    _validate(article)
    article.body_html = markdown.render(article.body)
    article.save()
    if creating or before != (article.title, article.body):
        number = (ArticleRevision.objects.filter(article=article).aggregate(n=Max("number"))["n"] or 0) + 1
        ArticleRevision.objects.create(tenant=tenant, article=article, number=number, title=article.title,
                                       body=article.body, note=note[:200], author=actor)
    article_index(article)
    audit_record(tenant=tenant, actor=actor, action="helpcenter.article_created" if creating
                 else "helpcenter.article_changed", obj=article, summary=article.title)
    return article


@transaction.atomic
def article_publish(*, tenant: Tenant, article: Article, actor: User | None, at: datetime | None = None) -> Article:
    """Publish now, or at ``at`` (scheduled: it appears by itself when the time comes)."""
    if article.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown article."))
    article.status = Article.Status.PUBLISHED
    article.publish_at = at or timezone.now()
    article.save(update_fields=["status", "publish_at", "updated_at"])
    article_index(article)
    audit_record(tenant=tenant, actor=actor, action="helpcenter.article_published", obj=article,
                 summary=article.title, data={"publish_at": article.publish_at.isoformat()})
    return article


@transaction.atomic
def article_unpublish(*, tenant: Tenant, article: Article, actor: User | None) -> Article:
    if article.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown article."))
    article.status = Article.Status.DRAFT
    article.save(update_fields=["status", "updated_at"])
    article_index(article)
    audit_record(tenant=tenant, actor=actor, action="helpcenter.article_unpublished", obj=article,
                 summary=article.title)
    return article


@transaction.atomic
def article_feedback(*, tenant: Tenant, article: Article, voter: str, helpful: bool,
                     comment: str = "") -> ArticleFeedback:
    """One answer per voter (a later answer replaces the earlier one); the counters are recounted."""
    if article.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown article."))
    feedback, _created = ArticleFeedback.objects.update_or_create(
        tenant=tenant, article=article, voter=voter[:64],
        defaults={"helpful": helpful, "comment": (comment or "").strip()[:500]})
    counts = ArticleFeedback.objects.filter(article=article).aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False)))
    Article.objects.filter(pk=article.pk).update(helpful_yes=counts["yes"], helpful_no=counts["no"])
    return feedback
