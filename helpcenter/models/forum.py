"""The community forum: categories per product, topics, posts, reports and subscriptions."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Contact, TenantManager, TenantOwned, TenantQuerySet, User, slug_validator
from plans.models import Product


class ForumCategory(TenantOwned):
    slug = models.SlugField(_("slug"), max_length=80, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("product"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("forum category")
        verbose_name_plural = _("forum categories")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "slug"], name="forumcategory_tenant_slug_uniq")]

    def __str__(self) -> str:
        return self.name


class TopicQuerySet(TenantQuerySet):
    def visible_to(self, viewer) -> "TopicQuerySet":
        queryset = self.for_tenant(viewer.tenant)
        if viewer.is_staff:
            return queryset
        # A topic waiting for moderation is shown to its author only; a hidden one to nobody.
        shown = Q(hidden=False, held=False)
        if viewer.user is not None:
            shown |= Q(hidden=False, held=True, author_user=viewer.user)
        return queryset.filter(shown)


class Topic(TenantOwned):
    category = models.ForeignKey(ForumCategory, on_delete=models.PROTECT, related_name="topics",
                                 verbose_name=_("category"))
    title = models.CharField(_("title"), max_length=200)
    author_user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("author"))
    author_contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("customer"))
    author_name = models.CharField(_("author's name"), max_length=200)
    solution = models.ForeignKey("Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("solution"))
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    hidden = models.BooleanField(_("hidden"), default=False)
    held = models.BooleanField(_("waiting for moderation"), default=False)
    reply_count = models.PositiveIntegerField(_("replies"), default=0)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("ticket"))
    created_at = models.DateTimeField(_("created"))
    last_activity_at = models.DateTimeField(_("last activity"))

    objects = TenantManager.from_queryset(TopicQuerySet)()

    class Meta:
        verbose_name = _("forum topic")
        verbose_name_plural = _("forum topics")
        ordering = ["-pinned", "-last_activity_at"]
        indexes = [models.Index(fields=["tenant", "category", "-pinned", "-last_activity_at"]),
                   models.Index(fields=["tenant", "-last_activity_at"]),
                   models.Index(fields=["tenant", "held"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_solved(self) -> bool:
        return self.solution_id is not None


class PostQuerySet(TenantQuerySet):
    def visible_to(self, viewer) -> "PostQuerySet":
        queryset = self.for_tenant(viewer.tenant)
        if viewer.is_staff:
            return queryset
        shown = Q(hidden=False, held=False)
        if viewer.user is not None:
            shown |= Q(hidden=False, held=True, author_user=viewer.user)
        return queryset.filter(shown)


class Post(TenantOwned):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts", verbose_name=_("topic"))
    author_user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("author"))
    author_contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("customer"))
    author_name = models.CharField(_("author's name"), max_length=200)
    from_staff = models.BooleanField(_("staff answer"), default=False)
    is_first = models.BooleanField(_("opening post"), default=False)
    body = models.TextField(_("text (Markdown)"))
    body_html = models.TextField(_("text as HTML"), editable=False)
    hidden = models.BooleanField(_("hidden"), default=False)
    held = models.BooleanField(_("waiting for moderation"), default=False)
    created_at = models.DateTimeField(_("created"))
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)

    objects = TenantManager.from_queryset(PostQuerySet)()

    class Meta:
        verbose_name = _("forum post")
        verbose_name_plural = _("forum posts")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "topic", "created_at"]),
                   models.Index(fields=["tenant", "author_user", "held"])]

    def __str__(self) -> str:
        return f"{self.topic_id}#{self.pk}"


class PostRevision(TenantOwned):
    """The text a post had before each edit (its edit history)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("post"))
    body = models.TextField(_("previous text"))
    editor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("edited by"))
    created_at = models.DateTimeField(_("edited"), auto_now_add=True)

    class Meta:
        verbose_name = _("post revision")
        verbose_name_plural = _("post revisions")
        ordering = ["-created_at", "-id"]


class PostReport(TenantOwned):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports", verbose_name=_("post"))
    reporter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("reported by"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("resolved by"))

    class Meta:
        verbose_name = _("post report")
        verbose_name_plural = _("post reports")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["post", "reporter"], name="postreport_once_per_person")]
        indexes = [models.Index(fields=["tenant", "resolved_at"])]


class TopicSubscription(TenantOwned):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions",
                              verbose_name=_("topic"))
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("topic subscription")
        verbose_name_plural = _("topic subscriptions")
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="topicsubscription_once")]
