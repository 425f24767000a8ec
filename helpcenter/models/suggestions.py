"""Suggestions for the program's development: one vote per person, staff statuses, merged duplicates."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core.models import Contact, TenantOwned, User
from plans.models import Product


class Suggestion(TenantOwned):
    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("suggestion status", "new")
        ANALYSING = "analysing", _("under analysis")
        PLANNED = "planned", _("planned")
        DONE = "done", _("done")
        REJECTED = "rejected", _("rejected")

    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("product"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("description (Markdown)"))
    body_html = models.TextField(editable=False)
    author_user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("author"))
    author_contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("customer"))
    author_name = models.CharField(_("author's name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    official_answer = models.TextField(_("official answer (Markdown)"), blank=True)
    official_answer_html = models.TextField(editable=False, blank=True)
    answered_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("answered by"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="duplicates", verbose_name=_("merged into"))
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-vote_count", "-created_at"]
        indexes = [models.Index(fields=["tenant", "status", "-vote_count"]),
                   models.Index(fields=["tenant", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class SuggestionVote(TenantOwned):
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="votes",
                                   verbose_name=_("suggestion"))
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    created_at = models.DateTimeField(_("voted"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["suggestion", "user"], name="suggestionvote_once")]
