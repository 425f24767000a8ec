"""Editing the help center's content in the admin: categories and articles (saved through the services)."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_site import TenantScopedAdmin
from helpcenter.models import Article, ForumCategory, HelpCategory
from helpcenter.services.kb import EDITABLE, article_publish, article_save, article_unpublish


@admin.register(HelpCategory)
class HelpCategoryAdmin(TenantScopedAdmin):
    list_display = ("name", "slug", "product", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(ForumCategory)
class ForumCategoryAdmin(TenantScopedAdmin):
    list_display = ("name", "slug", "product", "position")
    prepopulated_fields = {"slug": ("name",)}


class ArticleForm(forms.ModelForm):
    change_note = forms.CharField(label=_("What changed"), max_length=200, required=False,
                                  help_text=_("Kept with the revision."))

    class Meta:
        model = Article
        fields = ["tenant", "kind", "language", "title", "slug", "translation_key", "summary", "body", "product",
                  "parent", "position", "category", "visibility", "status", "publish_at"]


@admin.register(Article)
class ArticleAdmin(TenantScopedAdmin):
    form = ArticleForm
    list_display = ("title", "kind", "product", "category", "language", "visibility", "status", "publish_at",
                    "helpful_yes", "helpful_no")
    list_filter = ("kind", "language", "visibility", "status", "product", "category")
    search_fields = ("title", "slug", "body")
    readonly_fields = ("helpful_yes", "helpful_no", "created_by")
    prepopulated_fields = {"slug": ("title",), "translation_key": ("title",)}
    fieldsets = (
        (None, {"fields": ("kind", "language", "title", "slug", "translation_key", "summary", "body",
                           "change_note")}),
        (_("Where"), {"fields": ("product", "parent", "position", "category")}),
        (_("Who sees it and when"), {"fields": ("visibility", "status", "publish_at")}),
        (_("Feedback"), {"fields": ("helpful_yes", "helpful_no", "created_by")}),
    )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        tenant = obj.tenant if change else (data.get("tenant") or request.tenant)
        current = Article.objects.get(pk=obj.pk) if change else None
        fields = {name: data[name] for name in EDITABLE if name in data}
        saved = article_save(tenant=tenant, actor=request.user, article=current,
                             note=data.get("change_note", ""), **fields)
        if data.get("status") == Article.Status.PUBLISHED:
            if not saved.is_live or saved.publish_at != data.get("publish_at"):
                saved = article_publish(tenant=tenant, article=saved, actor=request.user, at=data.get("publish_at"))
        elif saved.status == Article.Status.PUBLISHED:
            saved = article_unpublish(tenant=tenant, article=saved, actor=request.user)
        obj.pk = saved.pk
        obj.__dict__.update(saved.__dict__)
