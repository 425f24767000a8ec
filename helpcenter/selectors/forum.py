"""Reads of the forum and the moderation queue."""
from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from core.models import Tenant
from helpcenter.models import ForumCategory, Post, PostReport, PostRevision, Topic, TopicSubscription, Viewer


def forum_categories(*, viewer: Viewer) -> QuerySet[ForumCategory]:
    visible = Topic.objects.visible_to(viewer)
    return (ForumCategory.objects.for_tenant(viewer.tenant).select_related("product")
            .annotate(topic_count=Count("topics", filter=Q(topics__in=visible.values("pk")))))


def forum_category(*, viewer: Viewer, slug: str) -> ForumCategory:
    category = ForumCategory.objects.for_tenant(viewer.tenant).filter(slug=slug).first()
    if category is None:
        raise Http404
    return category


def topics(*, viewer: Viewer, category: ForumCategory | None = None, state: str = "") -> QuerySet[Topic]:
    queryset = Topic.objects.visible_to(viewer).select_related("category")
    if category is not None:
        queryset = queryset.filter(category=category)
    if state == "solved":
        queryset = queryset.filter(solution__isnull=False)
    elif state == "unsolved":
        queryset = queryset.filter(solution__isnull=True)
    return queryset.order_by("-pinned", "-last_activity_at", "-id")


def topic_for(*, viewer: Viewer, pk: int) -> Topic:
    topic = Topic.objects.visible_to(viewer).select_related("category", "ticket", "solution").filter(pk=pk).first()
    if topic is None:
        raise Http404
    return topic


def topic_posts(*, viewer: Viewer, topic: Topic) -> QuerySet[Post]:
    return (Post.objects.visible_to(viewer).filter(topic=topic)
            .annotate(revision_count=Count("revisions")).order_by("created_at", "id"))


def post_for(*, viewer: Viewer, pk: int) -> Post:
    post = Post.objects.visible_to(viewer).select_related("topic").filter(pk=pk).first()
    if post is None or (not viewer.is_staff and post.topic.hidden):
        raise Http404
    return post


def post_history(*, post: Post) -> QuerySet[PostRevision]:
    return PostRevision.objects.for_tenant(post.tenant_id).filter(post=post).select_related("editor")


def is_subscribed(*, topic: Topic, viewer: Viewer) -> bool:
    return viewer.user is not None and TopicSubscription.objects.filter(topic=topic, user=viewer.user).exists()


def moderation_queue(*, tenant: Tenant) -> dict:
    held = (Post.objects.for_tenant(tenant).filter(held=True, hidden=False).select_related("topic")
            .order_by("created_at"))
    reported = (Post.objects.for_tenant(tenant).filter(reports__resolved_at__isnull=True).distinct()
                .select_related("topic")
                .prefetch_related(Prefetch("reports", queryset=PostReport.objects.filter(resolved_at__isnull=True)
                                           .select_related("reporter"), to_attr="open_reports")))
    return {"held": held, "reported": reported}


def moderation_count(*, tenant: Tenant) -> int:
    return (Post.objects.for_tenant(tenant).filter(held=True, hidden=False).count()
            + PostReport.objects.for_tenant(tenant).filter(resolved_at__isnull=True).values("post").distinct().count())
