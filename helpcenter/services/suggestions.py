"""Writes of suggestions: proposing, one vote per person, staff statuses and answers, merging duplicates."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Tenant
from core.services import audit_record
from core import markdown
from helpcenter.models import Suggestion, SuggestionVote, Viewer
from helpcenter.services.common import rate_check
from plans.models import Product


def _recount(suggestion: Suggestion) -> None:
    suggestion.vote_count = SuggestionVote.objects.filter(suggestion=suggestion).count()
    suggestion.save(update_fields=["vote_count"])


def _target(suggestion: Suggestion) -> Suggestion:
    """A vote for a merged duplicate counts for the suggestion it was merged into."""
    seen = set()
    while suggestion.merged_into_id is not None and suggestion.pk not in seen:
        seen.add(suggestion.pk)
        suggestion = suggestion.merged_into
    return suggestion


@transaction.atomic
def suggestion_create(*, tenant: Tenant, viewer: Viewer, title: str, body: str,
                      product: Product | None = None) -> Suggestion:
    if not viewer.can_write or viewer.user is None:
        raise PermissionDenied(_("Log in as a customer or staff member to send a suggestion."))
    if product is not None and product.tenant_id != tenant.pk:
        raise ValidationError({"product": _("Unknown product.")})
    title, body = (title or "").strip(), (body or "").strip()
    if len(title) < 5:
        raise ValidationError({"title": _("Give the suggestion a title of at least 5 characters.")})
    if not body:
        raise ValidationError({"body": _("Describe what you need and why.")})
    rate_check(tenant=tenant, user=viewer.user, is_staff=viewer.is_staff)
    suggestion = Suggestion.objects.create(
        tenant=tenant, product=product, title=title[:200], body=body[:20_000], body_html=markdown.render(body),
        author_user=viewer.user, author_contact=viewer.contact, author_name=viewer.name, created_at=timezone.now())
    SuggestionVote.objects.create(tenant=tenant, suggestion=suggestion, user=viewer.user)
    _recount(suggestion)
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.suggestion_created", obj=suggestion,
                 summary=suggestion.title)
    return suggestion


@transaction.atomic
def suggestion_vote(*, tenant: Tenant, viewer: Viewer, suggestion: Suggestion, vote: bool) -> Suggestion:
    """Add or withdraw the viewer's single vote."""
    if not viewer.can_write or viewer.user is None:
        raise PermissionDenied(_("Log in as a customer or staff member to vote."))
    if suggestion.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown suggestion."))
    suggestion = Suggestion.objects.select_for_update().get(pk=_target(suggestion).pk)
    if suggestion.status in (Suggestion.Status.DONE, Suggestion.Status.REJECTED) and vote:
        raise ValidationError(_("Voting on this suggestion is closed."))
    if vote:
        SuggestionVote.objects.get_or_create(tenant=tenant, suggestion=suggestion, user=viewer.user)
    else:
        SuggestionVote.objects.filter(suggestion=suggestion, user=viewer.user).delete()
    _recount(suggestion)
    return suggestion


@transaction.atomic
def suggestion_answer(*, tenant: Tenant, viewer: Viewer, suggestion: Suggestion, status: str,
                      answer: str | None = None) -> Suggestion:
    """Staff set the status (nowa, analizowana, zaplanowana, zrealizowana, odrzucona) and the official answer."""
    if not viewer.is_staff:
        raise PermissionDenied(_("Only staff answer suggestions."))
    if suggestion.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown suggestion."))
    if status not in Suggestion.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    previous = suggestion.status
    suggestion.status = status
    fields = ["status"]
    if answer is not None and answer.strip() != suggestion.official_answer:
        suggestion.official_answer = answer.strip()
        suggestion.official_answer_html = markdown.render(suggestion.official_answer)
        suggestion.answered_by, suggestion.answered_at = viewer.user, timezone.now()
        fields += ["official_answer", "official_answer_html", "answered_by", "answered_at"]
    suggestion.save(update_fields=fields)
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.suggestion_answered", obj=suggestion,
                 summary=suggestion.title, data={"from": previous, "to": status})
    return suggestion


@transaction.atomic
def suggestion_merge(*, tenant: Tenant, viewer: Viewer, duplicate: Suggestion, into: Suggestion) -> Suggestion:
    """The duplicate's votes move to ``into`` (a person who voted for both counts once)."""
    if not viewer.is_staff:
        raise PermissionDenied(_("Only staff merge suggestions."))
    if duplicate.tenant_id != tenant.pk or into.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown suggestion."))
    into = _target(into)
    if into.pk == duplicate.pk:
        raise ValidationError(_("A suggestion cannot be merged into itself."))
    voters = set(SuggestionVote.objects.filter(suggestion=into).values_list("user_id", flat=True))
    moving = SuggestionVote.objects.filter(suggestion=duplicate)
    moving.exclude(user_id__in=voters).update(suggestion=into)
    moving.delete()
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into"])
    # Earlier duplicates of the duplicate now point at the survivor too.
    Suggestion.objects.for_tenant(tenant).filter(merged_into=duplicate).update(merged_into=into)
    _recount(duplicate)
    _recount(into)
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.suggestion_merged", obj=duplicate,
                 summary=duplicate.title, data={"into": into.pk})
    return into
