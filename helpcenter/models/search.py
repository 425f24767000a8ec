"""The search index (one row per article or topic), its vocabulary, the query log and deflection events.

The index holds normalised text (lower case, no diacritics, Polish suffixes stripped: see
``core.text``); the database's full-text engine sits on top of it (PostgreSQL: a generated
``tsvector`` with the ``simple`` configuration and a GIN index; SQLite: an FTS5 table kept in step by
triggers). Both are created by migration 0002, per database vendor.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TenantOwned, User


class SearchEntry(TenantOwned):
    class Kind(models.TextChoices):
        ARTICLE = "article", _("article")
        TOPIC = "topic", _("forum topic")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.BigIntegerField()
    language = models.CharField(max_length=8, blank=True, help_text=_("Empty: every language."))
    visibility = models.CharField(max_length=10)
    solved = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: not shown (draft, held)."))
    activity_at = models.DateTimeField()
    title = models.CharField(max_length=200)
    excerpt = models.CharField(max_length=300, blank=True)
    # What the full-text engines index (FTS5 reads these three columns by name).
    tenant_token = models.CharField(max_length=24)
    title_terms = models.TextField()
    body_terms = models.TextField()

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "object_id"], name="searchentry_object_uniq")]
        # The newest shown entries first: where PostgreSQL's search takes its candidates from when
        # the words are common (helpcenter.search.engine._run).
        indexes = [models.Index(models.F("tenant"), models.F("activity_at").desc(),
                                condition=models.Q(published_at__isnull=False), name="searchentry_recent_idx")]


class SearchTerm(TenantOwned):
    """Every stem of a tenant's index, for correcting a mistyped word of a query."""

    term = models.CharField(max_length=64)
    length = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "term"], name="searchterm_tenant_term_uniq")]
        indexes = [models.Index(fields=["tenant", "length", "term"])]


class SearchQuery(TenantOwned):
    """A search someone ran (full page or the new-ticket suggestions), for the "no results" report.

    The search page logs every query. The new-ticket page searches as the customer types, so it
    keeps one row per visit of the page: the last words searched, the number of suggestions they
    found, and whether the customer said a suggestion solved the problem (``deflected``)."""

    class Source(models.TextChoices):
        SEARCH = "search", _("search page")
        DEFLECTION = "deflection", _("new-ticket suggestions")

    text = models.CharField(_("query"), max_length=200)
    normalized = models.CharField(_("normalised query"), max_length=200)
    results = models.PositiveIntegerField(_("results"))
    source = models.CharField(_("where"), max_length=10, choices=Source.choices, default=Source.SEARCH)
    visit = models.CharField(_("visit"), max_length=64, blank=True,
                             help_text=_("New-ticket suggestions: one visit of the page."))
    deflected = models.BooleanField(_("solved without a ticket"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("search query")
        verbose_name_plural = _("search queries")
        indexes = [models.Index(fields=["tenant", "created_at"]), models.Index(fields=["tenant", "results"])]
        constraints = [models.UniqueConstraint(fields=["tenant", "visit"], condition=~models.Q(visit=""),
                                               name="searchquery_one_per_visit")]


class DeflectionEvent(TenantOwned):
    """Suggestions shown on the new-ticket page, and a customer saying one of them solved the problem."""

    class Kind(models.TextChoices):
        SHOWN = "shown", _("suggestions shown")
        SOLVED = "solved", _("solved without a ticket")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    visit = models.CharField(_("visit"), max_length=64, help_text=_("One visit of the new-ticket page."))
    entry_kind = models.CharField(max_length=8, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("deflection event")
        verbose_name_plural = _("deflection events")
        constraints = [models.UniqueConstraint(fields=["tenant", "visit", "kind"], name="deflection_once_per_visit")]
        indexes = [models.Index(fields=["tenant", "created_at"])]
