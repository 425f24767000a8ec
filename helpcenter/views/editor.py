"""The staff editor of manuals and articles in the product's UI (the Django admin is not needed):
the list with drafts and scheduled ones, create and edit with a Markdown preview, publishing now or
at a time, unpublishing, language versions sharing a translation key, and the revision history."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import markdown
from helpcenter.forms import ArticleForm
from helpcenter.models import Article
from helpcenter.selectors import kb
from helpcenter.selectors.search import article_url
from helpcenter.services.kb import article_publish, article_save, article_unpublish
from helpcenter.views.common import staff_required
from tickets.views.common import form_service

FIELDS = ("kind", "language", "title", "slug", "summary", "body", "product", "parent", "position", "category",
          "visibility")
STATES = ("draft", "scheduled", "published")


def _state(article: Article, now) -> str:
    if article.status != Article.Status.PUBLISHED or article.publish_at is None:
        return "draft"
    return "scheduled" if article.publish_at > now else "published"


@staff_required
def article_list(request):
    tenant, now = request.tenant, timezone.now()
    articles = list(Article.objects.for_tenant(tenant).select_related("product", "category", "parent")
                    .order_by("kind", "product__name", "translation_key", "language", "position", "id"))
    state = request.GET.get("state", "")
    rows = [(a, _state(a, now)) for a in articles]
    if state in STATES:
        rows = [(a, s) for a, s in rows if s == state]
    return render(request, "helpcenter/staff/articles.html", {
        "rows": rows, "state": state, "states": STATES, "help_section": "staff"})


def _initial_from(source: Article, language: str) -> dict:
    """A new language version: the same place in the manual or category, the text to translate."""
    return {"kind": source.kind, "language": language, "title": source.title, "summary": source.summary,
            "body": source.body, "product": source.product_id, "parent": source.parent_id,
            "position": source.position, "category": source.category_id, "visibility": source.visibility}


def _save(request, form: ArticleForm, article: Article | None, translation_key: str = "") -> Article | None:
    data = form.cleaned_data
    fields = {name: data[name] for name in FIELDS}
    fields["slug"] = fields["slug"] or slugify(data["title"])[:120] or "artykul"
    if fields["kind"] == Article.Kind.HOWTO:
        fields["product"], fields["parent"] = None, None
    else:
        fields["category"] = None
    if article is None:
        fields["translation_key"] = translation_key or fields["slug"]
    action = request.POST.get("action", "save")
    if action == "schedule" and (data["publish_at"] is None or data["publish_at"] <= timezone.now()):
        form.add_error("publish_at", _("Choose a time in the future to schedule the publication."))
        return None

    def write():
        try:
            saved = article_save(tenant=request.tenant, actor=request.user, article=article, note=data["note"],
                                 **fields)
        except IntegrityError:
            raise ValidationError({"slug": _("Another article in this language already has this address.")}) from None
        if action == "publish":
            saved = article_publish(tenant=request.tenant, article=saved, actor=request.user)
        elif action == "schedule":
            saved = article_publish(tenant=request.tenant, article=saved, actor=request.user, at=data["publish_at"])
        elif action == "unpublish":
            saved = article_unpublish(tenant=request.tenant, article=saved, actor=request.user)
        return saved

    saved = form_service(form, write)
    if saved is not None:
        messages.success(request, {
            "publish": _("Published."), "schedule": _("Scheduled: it will appear by itself at the time set."),
            "unpublish": _("Withdrawn: it is a draft again."),
        }.get(action, _("Saved.")))
    return saved


def _render(request, form, article, status=200, source=None):
    preview = markdown.render(form.data.get("body", "")) if form.is_bound else (article.body_html if article else "")
    versions = (list(Article.objects.for_tenant(request.tenant).filter(translation_key=article.translation_key)
                     .order_by("language")) if article else [])
    missing = [code for code, _label in ArticleForm.base_fields["language"].choices
               if article and code not in {v.language for v in versions}]
    return render(request, "helpcenter/staff/article_edit.html", {
        "form": form, "article": article, "preview": preview, "versions": versions, "missing": missing,
        "state": _state(article, timezone.now()) if article else "draft", "source": source,
        "live_url": article_url(article) if article and article.is_live else None,
        "help_section": "staff"}, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def article_new(request):
    tenant = request.tenant
    source = None
    if request.GET.get("translation_of") or request.POST.get("translation_of"):
        try:
            source = kb.article_for_staff(viewer=request.viewer, pk=int(
                request.GET.get("translation_of") or request.POST.get("translation_of")))
        except ValueError:
            source = None
    if request.method == "POST":
        form = ArticleForm(request.POST, tenant=tenant)
        if form.is_valid():
            saved = _save(request, form, None, translation_key=source.translation_key if source else "")
            if saved is not None:
                return redirect("help:article_edit", pk=saved.pk)
        return _render(request, form, None, status=400, source=source)
    language = request.GET.get("language", "pl")
    initial = _initial_from(source, language) if source else {"language": language, "visibility": "public"}
    return _render(request, ArticleForm(initial=initial, tenant=tenant), None, source=source)


@require_http_methods(["GET", "POST"])
@staff_required
def article_edit(request, pk: int):
    tenant = request.tenant
    article = kb.article_for_staff(viewer=request.viewer, pk=pk)
    if request.method == "POST":
        form = ArticleForm(request.POST, tenant=tenant)
        if form.is_valid():
            saved = _save(request, form, article)
            if saved is not None:
                return redirect("help:article_edit", pk=saved.pk)
        return _render(request, form, article, status=400)
    initial = {**{name: getattr(article, name) for name in ("kind", "language", "title", "slug", "summary", "body",
                                                              "position", "visibility")},
               "product": article.product_id, "parent": article.parent_id, "category": article.category_id,
               "publish_at": timezone.localtime(article.publish_at) if article.publish_at else None}
    return _render(request, ArticleForm(initial=initial, tenant=tenant), article)


@require_POST
@staff_required
def article_preview(request):
    """The Markdown as the help center will show it (HTMX, while the text is being written)."""
    html = markdown.render(request.POST.get("body", "")[:100_000])
    return render(request, "helpcenter/staff/_preview.html", {"preview": html})
