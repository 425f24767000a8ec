"""The forum: moderation of first posts, staff answers, solutions, edits, reports, rate limit, e-mail."""
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client

from core import outbox
from core.models import OutboxMessage
from helpcenter import tasks
from helpcenter.models import Post, PostRevision, Topic, TopicSubscription
from helpcenter.services import forum
from helpcenter.services.forum import unsubscribe_token

pytestmark = pytest.mark.django_db


def ask(h, title="Jak skonfigurować drukarkę?", body="Etykiety są puste."):
    return forum.topic_create(tenant=h.tenant, viewer=h.customer(), category=h.forum, title=title, body=body)


def test_a_new_customers_first_topic_waits_for_moderation(help_alpha):
    h = help_alpha
    topic = ask(h)
    assert topic.held
    assert not Topic.objects.visible_to(h.anonymous()).filter(pk=topic.pk).exists()
    assert Topic.objects.visible_to(h.customer()).filter(pk=topic.pk).exists()  # the author sees it
    first = Post.objects.get(topic=topic, is_first=True)
    forum.post_moderate(tenant=h.tenant, viewer=h.staff(), post=first, action="approve")
    assert Topic.objects.visible_to(h.anonymous()).filter(pk=topic.pk).exists()
    # the next post of the same person is not held
    assert not ask(h, "Drugie pytanie o drukarkę").held


def test_staff_answer_is_marked_and_the_asker_accepts_it(help_alpha, django_capture_on_commit_callbacks):
    h = help_alpha
    topic = ask(h)
    forum.post_moderate(tenant=h.tenant, viewer=h.staff(), post=topic.posts.get(), action="approve")
    with django_capture_on_commit_callbacks(execute=False):
        answer = forum.post_add(tenant=h.tenant, viewer=h.staff(), topic=topic, body="Ustaw język **ZPL**.")
    assert answer.from_staff and not answer.held
    with pytest.raises(PermissionDenied):
        other = forum.Viewer(tenant=h.tenant, user=h.world.admin.user)  # neither asker nor staff role here
        forum.solution_mark(tenant=h.tenant, viewer=other, post=answer)
    topic = forum.solution_mark(tenant=h.tenant, viewer=h.customer(), post=answer)
    assert topic.is_solved and topic.solution == answer
    with pytest.raises(ValidationError):
        forum.solution_mark(tenant=h.tenant, viewer=h.customer(), post=topic.posts.get(is_first=True))


def test_edit_keeps_history_and_only_author_or_staff_may_edit(help_alpha):
    h = help_alpha
    topic = forum.topic_create(tenant=h.tenant, viewer=h.staff(), category=h.forum, title="Ogłoszenie", body="v1")
    post = topic.posts.get()
    forum.post_edit(tenant=h.tenant, viewer=h.staff(), post=post, body="v2")
    assert list(PostRevision.objects.filter(post=post).values_list("body", flat=True)) == ["v1"]
    with pytest.raises(PermissionDenied):
        forum.post_edit(tenant=h.tenant, viewer=h.customer(), post=post, body="hacked")


def test_locked_topic_takes_staff_replies_only_and_hidden_posts_disappear(help_alpha):
    h = help_alpha
    topic = forum.topic_create(tenant=h.tenant, viewer=h.staff(), category=h.forum, title="Zamknięty", body="x")
    forum.topic_moderate(tenant=h.tenant, viewer=h.staff(), topic=topic, action="lock")
    with pytest.raises(ValidationError):
        forum.post_add(tenant=h.tenant, viewer=h.customer(), topic=topic, body="a")
    forum.post_add(tenant=h.tenant, viewer=h.staff(), topic=topic, body="staff may")
    forum.topic_moderate(tenant=h.tenant, viewer=h.staff(), topic=topic, action="pin")
    forum.topic_moderate(tenant=h.tenant, viewer=h.staff(), topic=topic, action="hide")
    assert not Topic.objects.visible_to(h.customer()).filter(pk=topic.pk).exists()
    with pytest.raises(PermissionDenied):
        forum.topic_moderate(tenant=h.tenant, viewer=h.customer(), topic=topic, action="unhide")


def test_move_to_another_tenants_category_is_refused(helps):
    alpha, beta = helps
    topic = forum.topic_create(tenant=alpha.tenant, viewer=alpha.staff(), category=alpha.forum, title="Temat", body="x")
    with pytest.raises(ValidationError):
        forum.topic_moderate(tenant=alpha.tenant, viewer=alpha.staff(), topic=topic, action="move",
                             category=beta.forum)


def test_report_lands_in_the_moderation_queue_once(help_alpha):
    h = help_alpha
    topic = forum.topic_create(tenant=h.tenant, viewer=h.staff(), category=h.forum, title="Temat", body="spam?")
    post = topic.posts.get()
    forum.post_report(tenant=h.tenant, viewer=h.customer(), post=post, reason="reklama")
    forum.post_report(tenant=h.tenant, viewer=h.customer(), post=post, reason="reklama")
    c = Client(HTTP_HOST=h.tenant.domain)
    c.force_login(h.world.agent.user)
    page = c.get("/help/staff/moderation/").content.decode()
    assert "reklama" in page
    forum.post_moderate(tenant=h.tenant, viewer=h.staff(), post=post, action="hide")
    assert "reklama" not in c.get("/help/staff/moderation/").content.decode()


def test_rate_limit_stops_a_flood_of_customer_posts(help_alpha, settings):
    h = help_alpha
    limit, _window = forum.rate_check.__globals__["POST_RATE"]
    with pytest.raises(ValidationError):
        for n in range(limit + 1):
            ask(h, f"Pytanie numer {n}")
    # staff are not limited
    for n in range(limit + 1):
        forum.topic_create(tenant=h.tenant, viewer=h.staff(), category=h.forum, title=f"Odp {n}", body="x")


def test_subscribers_get_an_email_with_a_one_click_unsubscribe(help_alpha):
    h = help_alpha
    h.world.customer.email = "customer@alpha.example.com"
    h.world.customer.save()
    topic = ask(h)
    forum.post_moderate(tenant=h.tenant, viewer=h.staff(), post=topic.posts.get(), action="approve")
    mail.outbox.clear()
    forum.post_add(tenant=h.tenant, viewer=h.staff(), topic=topic, body="Odpowiedź zespołu")
    outbox.dispatch()
    outbox.dispatch()  # sent once
    [message] = [m for m in mail.outbox if topic.title in m.subject]
    assert message.to == ["customer@alpha.example.com"] and "Odpowiedź zespołu" in message.body
    subscription = TopicSubscription.objects.get(topic=topic, user=h.world.customer)
    token = unsubscribe_token(subscription)
    assert f"/help/unsubscribe/{token}/" in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<http://{h.tenant.domain}/help/unsubscribe/{token}/>"
    c = Client(HTTP_HOST=h.tenant.domain)
    assert c.get(f"/help/unsubscribe/{token}/").status_code == 200  # a link scanner's GET changes nothing
    assert TopicSubscription.objects.filter(pk=subscription.pk).exists()
    assert c.post(f"/help/unsubscribe/{token}/").status_code == 200
    assert not TopicSubscription.objects.filter(pk=subscription.pk).exists()
    assert c.post("/help/unsubscribe/forged-token/").status_code == 404


def test_reply_notification_is_written_in_the_replys_transaction(help_alpha):
    h = help_alpha
    h.world.customer.email = "customer@alpha.example.com"
    h.world.customer.save()
    topic = ask(h)
    forum.post_moderate(tenant=h.tenant, viewer=h.staff(), post=topic.posts.get(), action="approve")
    OutboxMessage.objects.filter(handler=tasks.POST_ADDED).delete()
    # a reply that rolls back leaves no e-mail behind
    with pytest.raises(RuntimeError), transaction.atomic():
        forum.post_add(tenant=h.tenant, viewer=h.staff(), topic=topic, body="cofnięte")
        raise RuntimeError
    assert not OutboxMessage.objects.filter(handler=tasks.POST_ADDED).exists()
    # a reply that commits has its e-mail to the topic's subscriber (not to its author) with it
    post = forum.post_add(tenant=h.tenant, viewer=h.staff(), topic=topic, body="y")
    rows = OutboxMessage.objects.filter(handler=tasks.POST_ADDED)
    assert [(r.recipient, r.dedupe_key) for r in rows] == [
        ("customer@alpha.example.com", f"helpcenter:post:{post.pk}:{h.world.customer.pk}")]


def test_hostile_markdown_in_a_post_is_neutralised_on_the_page(help_alpha):
    h = help_alpha
    hostile = ('<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> '
               '![y](data:image/svg+xml;base64,PHN2Zz4=)')
    topic = forum.topic_create(tenant=h.tenant, viewer=h.staff(), category=h.forum, title="Złośliwy", body=hostile)
    page = Client(HTTP_HOST=h.tenant.domain).get(f"/help/forum/t/{topic.pk}/").content.decode()
    assert "<script>alert" not in page and 'href="javascript' not in page and "<img src=x" not in page
    assert 'src="data:' not in page and "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
