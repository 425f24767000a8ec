"""E-mail of forum events, sent by the workers after the transaction commits."""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from helpcenter.models import Post, TopicSubscription

log = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def notify(kind: str, object_id: int) -> None:
    """``post_added`` (post id): every subscriber of the topic but the author gets one e-mail."""
    if kind == "post_added":
        post_added_send(object_id)


def _base_url(tenant) -> str:
    scheme = "https" if getattr(settings, "PRODUCTION", False) else "http"
    host = tenant.domain or "localhost"
    return f"{scheme}://{host}"


def post_added_send(post_id: int) -> int:
    """The one place forum mail is composed and sent (it moves to the delivery outbox with the rest)."""
    from helpcenter.services.forum import unsubscribe_token

    post = Post.objects.select_related("topic", "tenant").filter(pk=post_id, held=False, hidden=False).first()
    if post is None:
        return 0
    tenant, topic = post.tenant, post.topic
    subscriptions = (TopicSubscription.objects.for_tenant(tenant).filter(topic=topic).select_related("user")
                     .exclude(user_id=post.author_user_id).exclude(user__email=""))
    base = _base_url(tenant)
    sent = 0
    with translation.override(tenant.language):
        for subscription in subscriptions:
            topic_url = base + reverse("help:topic", args=[topic.pk])
            unsubscribe_url = base + reverse("help:unsubscribe", args=[unsubscribe_token(subscription)])
            body = "\n\n".join([
                _("%(author)s replied in “%(topic)s”:") % {"author": post.author_name, "topic": topic.title},
                post.body[:2000], _("Read the whole topic: %(url)s") % {"url": topic_url},
                _("Stop e-mails about this topic with one click: %(url)s") % {"url": unsubscribe_url},
            ])
            send_mail(subject=f"[{tenant.name}] {topic.title}", message=body,
                      from_email=tenant.support_email or settings.DEFAULT_FROM_EMAIL,
                      recipient_list=[subscription.user.email])
            sent += 1
    return sent

