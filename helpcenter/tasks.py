"""E-mail of forum events, through the delivery outbox (core.outbox).

A new visible post writes, in its own transaction, one outbox row per subscriber of the topic (its
author aside), with the text as it was posted; the outbox's dispatcher sends each row once, with a
stable Message-ID and a ``List-Unsubscribe`` header pointing at the one-click unsubscribe page.
"""
from __future__ import annotations


from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core import outbox
from helpcenter.models import Post, TopicSubscription


POST_ADDED = "helpcenter.post_added"


def _base_url(tenant) -> str:
    scheme = "https" if getattr(settings, "PRODUCTION", False) else "http"
    host = tenant.domain or "localhost"
    return f"{scheme}://{host}"


def post_added_enqueue(post_id: int) -> int:
    """Queue the e-mail of a new post for every subscriber of its topic; returns how many."""
    from helpcenter.services.forum import unsubscribe_token

    post = Post.objects.select_related("topic", "tenant").filter(pk=post_id, held=False, hidden=False).first()
    if post is None:
        return 0
    tenant, topic = post.tenant, post.topic
    subscriptions = (TopicSubscription.objects.for_tenant(tenant).filter(topic=topic).select_related("user")
                     .exclude(user_id=post.author_user_id).exclude(user__email=""))
    base = _base_url(tenant)
    queued = 0
    with translation.override(tenant.language):
        for subscription in subscriptions:
            topic_url = base + reverse("help:topic", args=[topic.pk])
            unsubscribe_url = base + reverse("help:unsubscribe", args=[unsubscribe_token(subscription)])
            body = "\n\n".join([
                _("%(author)s replied in “%(topic)s”:") % {"author": post.author_name, "topic": topic.title},
                post.body[:2000], _("Read the whole topic: %(url)s") % {"url": topic_url},
                _("Stop e-mails about this topic with one click: %(url)s") % {"url": unsubscribe_url},
            ])
            row = outbox.enqueue(
                tenant=tenant, handler=POST_ADDED, recipient=subscription.user.email,
                dedupe_key=f"helpcenter:post:{post.pk}:{subscription.user_id}",
                payload={"subject": f"[{tenant.name}] {topic.title}", "body": body,
                         "from_email": tenant.support_email or settings.DEFAULT_FROM_EMAIL,
                         "unsubscribe": unsubscribe_url})
            queued += row is not None
    return queued


def post_added_deliver(row) -> None:
    """The outbox's handler: one subscriber's e-mail."""
    outbox.mail_send(row, subject=row.payload["subject"], body=row.payload["body"],
                     from_email=row.payload["from_email"],
                     headers={"List-Unsubscribe": f"<{row.payload['unsubscribe']}>", "Precedence": "list"})
