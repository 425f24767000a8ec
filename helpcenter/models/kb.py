"""Manuals (one per product, chapters and sections in order) and how-to articles in categories."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TenantManager, TenantOwned, TenantQuerySet, User, slug_validator
from plans.models import Product

LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public")
    CUSTOMERS = "customers", _("customers only")
    INTERNAL = "internal", _("internal (staff)")


class HelpCategory(TenantOwned):
    """A group of how-to articles (the knowledge base), optionally of one product."""

    slug = models.SlugField(_("slug"), max_length=80, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("product"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("knowledge base category")
        verbose_name_plural = _("knowledge base categories")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "slug"], name="helpcategory_tenant_slug_uniq")]

    def __str__(self) -> str:
        return self.name

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class ArticleQuerySet(TenantQuerySet):
    def published(self, now=None) -> "ArticleQuerySet":
        """Published and due: a scheduled article appears by itself when its time comes."""
        return self.filter(status=Article.Status.PUBLISHED, publish_at__lte=now or timezone.now())

    def visible_to(self, viewer) -> "ArticleQuerySet":
        queryset = self.for_tenant(viewer.tenant).filter(visibility__in=viewer.visibilities)
        if not viewer.is_staff and not viewer.is_customer:
            # Manuals the tenant keeps for its logged-in customers (help center settings).
            from helpcenter.models.settings import HelpCenterSettings

            hidden = HelpCenterSettings.customer_only_manuals.through.objects.filter(
                helpcentersettings__tenant=viewer.tenant).values("product_id")
            queryset = queryset.exclude(kind=Article.Kind.MANUAL, product_id__in=hidden)
        # Staff see drafts and scheduled articles too (to preview them); everyone else only what is out.
        return queryset if viewer.is_staff else queryset.published()


class Article(TenantOwned):
    """A manual section (``kind=manual``: product, chapter, position) or a how-to article (category).

    Each language version is its own row; versions of one text share ``translation_key``. A manual
    chapter is a section without a parent; its sections point at it.
    """

    class Kind(models.TextChoices):
        MANUAL = "manual", _("manual section")
        HOWTO = "howto", _("how-to article")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.HOWTO)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES, default="pl")
    translation_key = models.SlugField(_("translation key"), max_length=120, validators=[slug_validator],
                                       help_text=_("Language versions of one text share this key."))
    slug = models.SlugField(_("slug"), max_length=120, validators=[slug_validator])
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text (Markdown)"), blank=True)
    body_html = models.TextField(_("text as HTML"), blank=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("product"))
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="sections",
                               verbose_name=_("chapter"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    category = models.ForeignKey(HelpCategory, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="articles", verbose_name=_("category"))
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(_("published from"), null=True, blank=True,
                                      help_text=_("A later time schedules the publication."))
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("author"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantManager.from_queryset(ArticleQuerySet)()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "language", "slug"], name="article_tenant_language_slug_uniq"),
            models.UniqueConstraint(fields=["tenant", "language", "translation_key"],
                                    name="article_tenant_language_key_uniq"),
            models.CheckConstraint(condition=Q(kind="howto") | Q(product__isnull=False),
                                   name="article_manual_has_product"),
        ]
        indexes = [models.Index(fields=["tenant", "kind", "product", "language", "position"]),
                   models.Index(fields=["tenant", "category", "language"]),
                   models.Index(fields=["tenant", "status", "publish_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_live(self) -> bool:
        return (self.status == self.Status.PUBLISHED and self.publish_at is not None
                and self.publish_at <= timezone.now())


class ArticleRevision(TenantOwned):
    """Every saved version of an article's title and text, numbered from 1."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions",
                                verbose_name=_("article"))
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"), blank=True)
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("author"))
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)

    class Meta:
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="articlerevision_number_uniq")]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class ArticleFeedback(TenantOwned):
    """One "was this helpful?" answer per person (user, or the session of an anonymous visitor)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback",
                                verbose_name=_("article"))
    voter = models.CharField(_("voter"), max_length=64, help_text=_("user:<id> or session:<key>"))
    helpful = models.BooleanField(_("helpful"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [models.UniqueConstraint(fields=["article", "voter"], name="articlefeedback_voter_uniq")]
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"
