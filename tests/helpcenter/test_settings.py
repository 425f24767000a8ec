"""The tenant's help center settings in the help center: manuals for logged-in customers only, forum
moderation (first post / every post / none) and who may post."""
import pytest
from django.core.exceptions import PermissionDenied

from helpcenter.models import Article, Post
from helpcenter.selectors import kb
from helpcenter.services import forum
from helpcenter.services.settings import help_center_settings_save

pytestmark = pytest.mark.django_db


def test_manuals_for_customers_only_are_hidden_from_anonymous_visitors(help_alpha):
    h = help_alpha
    assert list(kb.manual_products(viewer=h.anonymous())) == [h.product]
    help_center_settings_save(tenant=h.tenant, actor=None, title="", intro="", forum_moderation="first",
                              forum_posting="customers", customer_only_manuals=[h.product])
    assert list(kb.manual_products(viewer=h.anonymous())) == []
    assert not Article.objects.visible_to(h.anonymous()).filter(pk=h.section.pk).exists()
    assert Article.objects.visible_to(h.anonymous()).filter(pk=h.howto.pk).exists()  # how-tos stay public
    assert list(kb.manual_products(viewer=h.customer())) == [h.product]
    assert list(kb.manual_products(viewer=h.staff())) == [h.product]


def _ask(h, title):
    return forum.topic_create(tenant=h.tenant, viewer=h.customer(), category=h.forum, title=title, body="Treść.")


def test_forum_moderation_and_posting_follow_the_settings(help_alpha):
    h = help_alpha
    first = _ask(h, "Pierwsze pytanie o drukarkę")
    forum.post_moderate(tenant=h.tenant, viewer=h.staff(), post=Post.objects.get(topic=first, is_first=True),
                        action="approve")
    assert not _ask(h, "Drugie pytanie o drukarkę").held  # the default: only the first post waits

    save = dict(tenant=h.tenant, actor=None, title="", intro="", customer_only_manuals=[])
    help_center_settings_save(**save, forum_moderation="all", forum_posting="customers")
    assert _ask(h, "Trzecie pytanie o drukarkę").held
    help_center_settings_save(**save, forum_moderation="off", forum_posting="customers")
    assert not _ask(h, "Czwarte pytanie o drukarkę").held
    help_center_settings_save(**save, forum_moderation="off", forum_posting="staff")
    with pytest.raises(PermissionDenied):
        _ask(h, "Piąte pytanie o drukarkę")
    staff_topic = forum.topic_create(tenant=h.tenant, viewer=h.staff(), category=h.forum, title="Ogłoszenie zespołu",
                                     body="Nowa wersja.")
    assert not staff_topic.held


def test_a_forum_kept_to_the_team_offers_customers_no_way_to_post(help_alpha):
    from django.test import Client

    h = help_alpha
    topic = forum.topic_create(tenant=h.tenant, viewer=h.staff(), category=h.forum, title="Ogłoszenie zespołu",
                               body="Nowa wersja.")
    customer = Client(HTTP_HOST=h.tenant.domain)
    customer.force_login(h.world.customer)
    assert 'href="/help/forum/new/' in customer.get("/help/forum/").content.decode()
    assert 'id="reply"' in customer.get(f"/help/forum/t/{topic.pk}/").content.decode()

    help_center_settings_save(tenant=h.tenant, actor=None, title="", intro="", customer_only_manuals=[],
                              forum_moderation="first", forum_posting="staff")
    assert 'href="/help/forum/new/' not in customer.get("/help/forum/").content.decode()
    assert 'id="reply"' not in customer.get(f"/help/forum/t/{topic.pk}/").content.decode()
    refused = customer.get("/help/forum/new/")
    assert refused.status_code == 403 and "piszą tylko pracownicy wsparcia" in refused.content.decode()
    staff = Client(HTTP_HOST=h.tenant.domain)
    staff.force_login(h.world.agent.user)
    assert 'id="reply"' in staff.get(f"/help/forum/t/{topic.pk}/").content.decode()
    assert staff.get("/help/forum/new/").status_code == 200
