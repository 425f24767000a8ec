"""The help center's front page, manuals, how-to articles, feedback and search."""
from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpcenter.models import Article, HelpCenterSettings, Visibility
from helpcenter.search.engine import search
from helpcenter.selectors import forum as forum_selectors, kb
from helpcenter.selectors.search import article_url, resolve
from helpcenter.services.deflection import search_log
from helpcenter.services.kb import article_feedback
from helpcenter.views.common import help_page, language, voter_key


@require_GET
@help_page
def home(request):
    viewer = request.viewer
    return render(request, "helpcenter/home.html", {
        "products": kb.manual_products(viewer=viewer),
        "categories": kb.help_categories(viewer=viewer, language=language()),
        "popular": kb.popular_articles(viewer=viewer, language=language()),
        "recent_topics": forum_selectors.topics(viewer=viewer)[:5],
        "help_settings": HelpCenterSettings.of(request.tenant),
        "help_section": "home",
    })


@require_GET
@help_page
def manual(request, product: str):
    viewer = request.viewer
    product = kb.product_by_code(viewer=viewer, code=product)
    toc = kb.manual_toc(viewer=viewer, product=product, language=language())
    if not toc.chapters:
        raise Http404
    return render(request, "helpcenter/manual.html", {"product": product, "toc": toc, "help_section": "manuals"})


@require_GET
@help_page
def manual_section(request, product: str, slug: str):
    viewer = request.viewer
    product = kb.product_by_code(viewer=viewer, code=product)
    toc = kb.manual_toc(viewer=viewer, product=product, language=language())
    article = kb.manual_section(viewer=viewer, product=product, slug=slug, toc=toc)
    previous, following = toc.neighbours(article)
    return render(request, "helpcenter/manual_section.html", {
        "product": product, "toc": toc, "article": article, "previous": previous, "next": following,
        "feedback": request.session.get(f"help-feedback-{article.pk}"), "help_section": "manuals",
    })


@require_GET
@help_page
def category(request, slug: str):
    viewer = request.viewer
    category = kb.category_by_slug(viewer=viewer, slug=slug)
    articles = kb.category_articles(viewer=viewer, category=category, language=language())
    return render(request, "helpcenter/category.html", {
        "category": category, "label": category.label(language()), "articles": articles, "help_section": "kb"})


@require_GET
@help_page
def article(request, slug: str):
    viewer = request.viewer
    article = kb.article_by_slug(viewer=viewer, slug=slug, language=language())
    return render(request, "helpcenter/article.html", {
        "article": article, "translations": kb.translations(viewer=viewer, article=article),
        "feedback": request.session.get(f"help-feedback-{article.pk}"), "help_section": "kb",
        "internal": article.visibility == Visibility.INTERNAL,
    })


@require_POST
@help_page
def feedback(request, pk: int):
    viewer = request.viewer
    article = Article.objects.visible_to(viewer).filter(pk=pk).first()
    if article is None:
        raise Http404
    helpful = request.POST.get("helpful") == "yes"
    article_feedback(tenant=viewer.tenant, article=article, voter=voter_key(request), helpful=helpful,
                     comment=request.POST.get("comment", ""))
    request.session[f"help-feedback-{article.pk}"] = "yes" if helpful else "no"
    context = {"article": article, "feedback": "yes" if helpful else "no"}
    if request.htmx:
        return render(request, "helpcenter/_feedback.html", context)
    return redirect(article_url(article) + "#feedback")


@require_GET
@help_page
def search_page(request):
    viewer = request.viewer
    query = request.GET.get("q", "").strip()[:200]
    found, result = [], None
    if query:
        result = search(viewer=viewer, query=query, limit=30, language=language())
        found = resolve(viewer=viewer, result=result)
        search_log(tenant=viewer.tenant, text=query, normalized=" ".join(result.terms), results=len(found),
                   source="search")
    return render(request, "helpcenter/search.html", {
        "query": query, "found": found, "result": result, "help_section": "search",
        "title": _("Search") if not query else _("Search: %(q)s") % {"q": query},
    })
