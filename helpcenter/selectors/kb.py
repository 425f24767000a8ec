"""Reads of manuals and articles for a viewer: table of contents, sections, prev/next, translations."""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from helpcenter.models import Article, ArticleRevision, HelpCategory, Viewer
from plans.models import Product


def _languages(viewer: Viewer, language: str) -> list[str]:
    return list(dict.fromkeys([language, viewer.tenant.language, "pl"]))


def manual_products(*, viewer: Viewer) -> QuerySet[Product]:
    """Products with at least one manual section the viewer may read."""
    visible = Article.objects.visible_to(viewer).filter(kind=Article.Kind.MANUAL)
    return Product.objects.for_tenant(viewer.tenant).filter(pk__in=visible.values("product_id")).order_by("name")


def product_by_code(*, viewer: Viewer, code: str) -> Product:
    product = Product.objects.for_tenant(viewer.tenant).filter(code=code).first()
    if product is None:
        raise Http404
    return product


@dataclass
class Toc:
    language: str
    chapters: list[Article]
    order: list[Article]

    def neighbours(self, article: Article) -> tuple[Article | None, Article | None]:
        ids = [a.pk for a in self.order]
        if article.pk not in ids:
            return None, None
        i = ids.index(article.pk)
        return (self.order[i - 1] if i > 0 else None, self.order[i + 1] if i + 1 < len(self.order) else None)


def manual_toc(*, viewer: Viewer, product: Product, language: str) -> Toc:
    """Chapters in order with their sections (two queries); the first language that has the manual."""
    base = Article.objects.visible_to(viewer).filter(kind=Article.Kind.MANUAL, product=product)
    for lang in _languages(viewer, language):
        sections = base.filter(language=lang).order_by("position", "title")
        chapters = list(sections.filter(parent__isnull=True).prefetch_related(
            Prefetch("sections", queryset=sections.exclude(parent__isnull=True), to_attr="visible_sections")))
        if chapters:
            order = []
            for chapter in chapters:
                order.append(chapter)
                order.extend(chapter.visible_sections)
            return Toc(language=lang, chapters=chapters, order=order)
    return Toc(language=language, chapters=[], order=[])


def manual_section(*, viewer: Viewer, product: Product, slug: str, toc: Toc) -> Article:
    article = (Article.objects.visible_to(viewer).select_related("parent", "product")
               .filter(kind=Article.Kind.MANUAL, product=product, language=toc.language, slug=slug).first())
    if article is None:
        raise Http404
    return article


def help_categories(*, viewer: Viewer, language: str) -> list[HelpCategory]:
    visible = Article.objects.visible_to(viewer).filter(kind=Article.Kind.HOWTO, language__in=_languages(
        viewer, language)[:2])
    return list(HelpCategory.objects.for_tenant(viewer.tenant)
                .annotate(count=Count("articles", filter=Q(articles__in=visible))).filter(count__gt=0))


def category_by_slug(*, viewer: Viewer, slug: str) -> HelpCategory:
    category = HelpCategory.objects.for_tenant(viewer.tenant).filter(slug=slug).first()
    if category is None:
        raise Http404
    return category


def category_articles(*, viewer: Viewer, category: HelpCategory, language: str) -> list[Article]:
    """One version per text: the viewer's language where it exists, else the tenant's."""
    rows = (Article.objects.visible_to(viewer).filter(kind=Article.Kind.HOWTO, category=category)
            .order_by("position", "title"))
    preferred = _languages(viewer, language)
    best: dict[str, Article] = {}
    for article in rows:
        if article.language not in preferred:
            continue
        current = best.get(article.translation_key)
        if current is None or preferred.index(article.language) < preferred.index(current.language):
            best[article.translation_key] = article
    return sorted(best.values(), key=lambda a: (a.position, a.title))


def article_by_slug(*, viewer: Viewer, slug: str, language: str) -> Article:
    rows = (Article.objects.visible_to(viewer).select_related("category", "product", "parent")
            .filter(kind=Article.Kind.HOWTO, slug=slug))
    by_language = {a.language: a for a in rows}
    for lang in _languages(viewer, language) + list(by_language):
        if lang in by_language:
            return by_language[lang]
    raise Http404


def article_for_staff(*, viewer: Viewer, pk: int) -> Article:
    if not viewer.is_staff:
        raise Http404
    article = Article.objects.for_tenant(viewer.tenant).filter(pk=pk).first()
    if article is None:
        raise Http404
    return article


def translations(*, viewer: Viewer, article: Article) -> list[Article]:
    return list(Article.objects.visible_to(viewer).filter(translation_key=article.translation_key)
                .exclude(pk=article.pk).order_by("language"))


def popular_articles(*, viewer: Viewer, language: str, limit: int = 6) -> list[Article]:
    return list(Article.objects.visible_to(viewer).filter(kind=Article.Kind.HOWTO, language=language)
                .select_related("category").order_by("-helpful_yes", "-updated_at")[:limit])


def revisions(*, article: Article) -> QuerySet[ArticleRevision]:
    return ArticleRevision.objects.for_tenant(article.tenant_id).filter(article=article).select_related("author")


def revision_diff(old: ArticleRevision | None, new: ArticleRevision) -> list[tuple[str, str]]:
    """Line diff of two revisions as (kind, line): kind is "add", "del", "ctx" or "hunk"."""
    before = ((old.title + "\n\n" + old.body) if old else "").splitlines()
    after = (new.title + "\n\n" + new.body).splitlines()
    lines = []
    for line in list(difflib.unified_diff(before, after, lineterm="", n=2))[2:]:
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
        lines.append((kind, line[1:] if kind != "hunk" else line))
    return lines
