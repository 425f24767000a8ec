"""Writes of the forum: topics and replies, edits with history, solutions, moderation, subscriptions."""
from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Tenant, User
from core.services import audit_record
from core import markdown
from helpcenter.models import (ForumCategory, HelpCenterSettings, Post, PostReport, PostRevision, Topic,
                               TopicSubscription, Viewer)
from helpcenter.search.index import topic_index
from helpcenter.services.common import notify, rate_check

MAX_BODY = 20_000
UNSUBSCRIBE_SALT = "helpcenter.unsubscribe"


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": _("At most %(n)s characters.") % {"n": MAX_BODY}})
    return body


def _writer(viewer: Viewer) -> None:
    if not viewer.can_write or viewer.user is None:
        raise PermissionDenied(_("Log in as a customer or staff member to write on the forum."))
    if (not viewer.is_staff
            and HelpCenterSettings.of(viewer.tenant).forum_posting == HelpCenterSettings.Posting.STAFF):
        raise PermissionDenied(_("Only the support team writes on this forum."))


def _needs_moderation(viewer: Viewer) -> bool:
    """By the tenant's setting: by default a customer's first post waits for a moderator and, once one
    was approved, the next ones do not; or every customer post waits; or none does."""
    if viewer.is_staff:
        return False
    moderation = HelpCenterSettings.of(viewer.tenant).forum_moderation
    if moderation != HelpCenterSettings.Moderation.FIRST:
        return moderation == HelpCenterSettings.Moderation.ALL
    return not Post.objects.for_tenant(viewer.tenant).filter(author_user=viewer.user, held=False,
                                                             hidden=False).exists()


def _subscribe(topic: Topic, user: User) -> None:
    TopicSubscription.objects.get_or_create(tenant_id=topic.tenant_id, topic=topic, user=user)


def _recount(topic: Topic) -> None:
    replies = Post.objects.filter(topic=topic, is_first=False, held=False, hidden=False)
    last = replies.order_by("-created_at").values_list("created_at", flat=True).first()
    topic.reply_count = replies.count()
    topic.last_activity_at = max(topic.created_at, last) if last else topic.created_at
    topic.save(update_fields=["reply_count", "last_activity_at"])


@transaction.atomic
def topic_create(*, tenant: Tenant, viewer: Viewer, category: ForumCategory, title: str, body: str,
                 at: datetime | None = None) -> Topic:
    _writer(viewer)
    if category.tenant_id != tenant.pk:
        raise ValidationError({"category": _("Unknown category.")})
    title = (title or "").strip()
    if len(title) < 5:
        raise ValidationError({"title": _("Give the topic a title of at least 5 characters.")})
    body = _check_body(body)
    rate_check(tenant=tenant, user=viewer.user, is_staff=viewer.is_staff)
    at = at or timezone.now()
    held = _needs_moderation(viewer)
    topic = Topic.objects.create(tenant=tenant, category=category, title=title[:200], author_user=viewer.user,
                                 author_contact=viewer.contact, author_name=viewer.name, held=held,
                                 created_at=at, last_activity_at=at)
    Post.objects.create(tenant=tenant, topic=topic, author_user=viewer.user, author_contact=viewer.contact,
                        author_name=viewer.name, from_staff=viewer.is_staff, is_first=True, body=body,
                        body_html=markdown.render(body), held=held, created_at=at)
    _subscribe(topic, viewer.user)
    topic_index(topic)
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.topic_created", obj=topic,
                 summary=topic.title, data={"held": held})
    return topic


@transaction.atomic
def post_add(*, tenant: Tenant, viewer: Viewer, topic: Topic, body: str, at: datetime | None = None) -> Post:
    _writer(viewer)
    topic = Topic.objects.select_for_update().get(pk=topic.pk, tenant=tenant)
    if topic.hidden or (topic.held and not viewer.is_staff):
        raise ValidationError(_("This topic does not take replies."))
    if topic.locked and not viewer.is_staff:
        raise ValidationError(_("This topic is locked."))
    body = _check_body(body)
    rate_check(tenant=tenant, user=viewer.user, is_staff=viewer.is_staff)
    held = _needs_moderation(viewer)
    post = Post.objects.create(tenant=tenant, topic=topic, author_user=viewer.user, author_contact=viewer.contact,
                               author_name=viewer.name, from_staff=viewer.is_staff, body=body,
                               body_html=markdown.render(body), held=held, created_at=at or timezone.now())
    _subscribe(topic, viewer.user)
    _recount(topic)
    topic_index(topic)
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.post_added", obj=post,
                 summary=topic.title, data={"held": held, "staff": viewer.is_staff})
    if not held:
        notify("post_added", post.pk)
    return post


@transaction.atomic
def post_edit(*, tenant: Tenant, viewer: Viewer, post: Post, body: str) -> Post:
    if post.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown post."))
    if not (viewer.is_staff or (viewer.user is not None and post.author_user_id == viewer.user.pk)):
        raise PermissionDenied(_("Only the author or staff may edit this post."))
    if post.topic.locked and not viewer.is_staff:
        raise ValidationError(_("This topic is locked."))
    body = _check_body(body)
    if body == post.body:
        return post
    PostRevision.objects.create(tenant=tenant, post=post, body=post.body, editor=viewer.user)
    post.body, post.body_html, post.edited_at = body, markdown.render(body), timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    topic_index(post.topic)
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.post_edited", obj=post)
    return post


@transaction.atomic
def solution_mark(*, tenant: Tenant, viewer: Viewer, post: Post) -> Topic:
    """The asker or staff accept a reply as the topic's solution ("rozwiązanie")."""
    topic = Topic.objects.select_for_update().get(pk=post.topic_id, tenant=tenant)
    asker = viewer.user is not None and topic.author_user_id == viewer.user.pk
    if not (asker or viewer.is_staff):
        raise PermissionDenied(_("Only the author of the topic or staff may choose the solution."))
    if post.is_first or post.hidden or post.held:
        raise ValidationError(_("Choose a published reply as the solution."))
    topic.solution, topic.solved_at = post, timezone.now()
    topic.save(update_fields=["solution", "solved_at"])
    topic_index(topic)
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.solution_marked", obj=topic,
                 summary=topic.title, data={"post": post.pk})
    return topic


@transaction.atomic
def solution_clear(*, tenant: Tenant, viewer: Viewer, topic: Topic) -> Topic:
    topic = Topic.objects.select_for_update().get(pk=topic.pk, tenant=tenant)
    if not (viewer.is_staff or (viewer.user is not None and topic.author_user_id == viewer.user.pk)):
        raise PermissionDenied(_("Only the author of the topic or staff may choose the solution."))
    topic.solution, topic.solved_at = None, None
    topic.save(update_fields=["solution", "solved_at"])
    topic_index(topic)
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.solution_cleared", obj=topic)
    return topic


@transaction.atomic
def post_report(*, tenant: Tenant, viewer: Viewer, post: Post, reason: str = "") -> PostReport:
    _writer(viewer)
    if post.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown post."))
    report, created = PostReport.objects.get_or_create(
        tenant=tenant, post=post, reporter=viewer.user, defaults={"reason": (reason or "").strip()[:300]})
    if created:
        audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.post_reported", obj=post,
                     summary=report.reason)
    return report


POST_ACTIONS = ("approve", "hide", "unhide")
TOPIC_ACTIONS = ("hide", "unhide", "lock", "unlock", "pin", "unpin", "move")


@transaction.atomic
def post_moderate(*, tenant: Tenant, viewer: Viewer, post: Post, action: str) -> Post:
    if not viewer.is_staff:
        raise PermissionDenied(_("Moderation is for staff."))
    if post.tenant_id != tenant.pk or action not in POST_ACTIONS:
        raise ValidationError(_("Unknown moderation action."))
    topic = Topic.objects.select_for_update().get(pk=post.topic_id, tenant=tenant)
    was_held = post.held
    if action == "approve":
        post.held = False
        if post.is_first:
            topic.held = False
            topic.save(update_fields=["held"])
    else:
        post.hidden = action == "hide"
        if post.hidden and topic.solution_id == post.pk:
            topic.solution, topic.solved_at = None, None
            topic.save(update_fields=["solution", "solved_at"])
    post.save(update_fields=["held", "hidden"])
    PostReport.objects.filter(post=post, resolved_at__isnull=True).update(resolved_at=timezone.now(),
                                                                          resolved_by=viewer.user)
    _recount(topic)
    topic_index(topic)
    audit_record(tenant=tenant, actor=viewer.user, action=f"helpcenter.post_{action}", obj=post, summary=topic.title)
    if action == "approve" and was_held and not post.is_first:
        notify("post_added", post.pk)
    return post


@transaction.atomic
def report_dismiss(*, tenant: Tenant, viewer: Viewer, post: Post) -> int:
    if not viewer.is_staff:
        raise PermissionDenied(_("Moderation is for staff."))
    count = PostReport.objects.for_tenant(tenant).filter(post=post, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=viewer.user)
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.reports_dismissed", obj=post)
    return count


@transaction.atomic
def topic_moderate(*, tenant: Tenant, viewer: Viewer, topic: Topic, action: str,
                   category: ForumCategory | None = None) -> Topic:
    if not viewer.is_staff:
        raise PermissionDenied(_("Moderation is for staff."))
    if topic.tenant_id != tenant.pk or action not in TOPIC_ACTIONS:
        raise ValidationError(_("Unknown moderation action."))
    if action == "move":
        if category is None or category.tenant_id != tenant.pk:
            raise ValidationError({"category": _("Unknown category.")})
        topic.category = category
    else:
        field, value = {"hide": ("hidden", True), "unhide": ("hidden", False), "lock": ("locked", True),
                        "unlock": ("locked", False), "pin": ("pinned", True), "unpin": ("pinned", False)}[action]
        setattr(topic, field, value)
    topic.save()
    topic_index(topic)
    audit_record(tenant=tenant, actor=viewer.user, action=f"helpcenter.topic_{action}", obj=topic,
                 summary=topic.title, data={"category": category.pk} if category else {})
    return topic


@transaction.atomic
def subscription_set(*, tenant: Tenant, topic: Topic, user: User, subscribed: bool) -> bool:
    if topic.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown topic."))
    if subscribed:
        _subscribe(topic, user)
    else:
        TopicSubscription.objects.for_tenant(tenant).filter(topic=topic, user=user).delete()
    return subscribed


def unsubscribe_token(subscription: TopicSubscription) -> str:
    return signing.dumps({"s": subscription.pk, "u": subscription.user_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def subscription_from_token(*, tenant: Tenant, token: str) -> TopicSubscription | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return (TopicSubscription.objects.for_tenant(tenant).select_related("topic")
            .filter(pk=data.get("s"), user_id=data.get("u")).first())


@transaction.atomic
def unsubscribe_by_token(*, tenant: Tenant, token: str) -> Topic | None:
    """One click from the e-mail, no login: the signed token names the subscription."""
    subscription = subscription_from_token(tenant=tenant, token=token)
    if subscription is None:
        return None
    topic = subscription.topic
    subscription.delete()
    return topic
