"""Canned replies in the settings: the team's and one's own, a Markdown preview, delete; what agents
are offered on the ticket page and in the queue's bulk close."""
from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent, Membership, Role
from tickets.models import CannedReply, Category
from tickets.selectors import canned_replies

pytestmark = pytest.mark.django_db

ADMIN = "admin@wysylki.example.com"
HOSTILE = "**Proszę** o logi.\n\n<script>alert(1)</script> [klik](javascript:alert(1))"


@pytest.fixture
def admin_client(demo, client):
    client.force_login(demo.user(ADMIN))
    return client


def _membership(demo, email):
    return Membership.objects.get(tenant=demo.wysylki, user=demo.user(email))


def test_add_with_preview_then_save_and_audit(demo, admin_client):
    category = Category.objects.for_tenant(demo.wysylki).first()
    data = {"title": "Prośba o logi programu", "body": HOSTILE, "visibility": "team", "category": category.pk}
    preview = admin_client.post(reverse("console:canned_new"), {**data, "action": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200 and "<strong>Proszę</strong>" in html
    assert "<script>alert(1)</script>" not in html and 'href="javascript' not in html
    assert not CannedReply.objects.filter(tenant=demo.wysylki, title=data["title"]).exists()  # only a preview

    saved = admin_client.post(reverse("console:canned_new"), {**data, "action": "save"})
    assert saved.status_code == 302
    reply = CannedReply.objects.get(tenant=demo.wysylki, title=data["title"])
    assert reply.body == HOSTILE and reply.category == category and reply.owner == _membership(demo, ADMIN)
    event = AuditEvent.objects.get(tenant=demo.wysylki, action="canned_reply.saved", object_id=str(reply.pk))
    assert event.data["before"] is None and event.data["after"]["title"] == data["title"]

    admin_client.post(reverse("console:canned_edit", args=[reply.pk]), {**data, "title": "Logi", "action": "save"})
    reply.refresh_from_db()
    assert reply.title == "Logi"
    admin_client.post(reverse("console:canned_delete", args=[reply.pk]))
    assert not CannedReply.objects.filter(pk=reply.pk).exists()
    assert AuditEvent.objects.filter(action="canned_reply.deleted", object_id=str(reply.pk)).exists()


@pytest.mark.parametrize("changes", [{"title": ""}, {"body": ""}, {"visibility": "everyone"},
                                     {"category": "999999"}, {"title": "x" * 201}])
def test_bad_input_is_a_form_error(demo, admin_client, changes):
    data = {"title": "Nowa", "body": "Treść", "visibility": "team", "action": "save", **changes}
    response = admin_client.post(reverse("console:canned_new"), data)
    assert response.status_code == 200 and response.context["form"].errors
    assert not CannedReply.objects.filter(tenant=demo.wysylki, body="Treść").exists()


def test_a_personal_reply_is_its_authors_alone(demo, admin_client, client):
    admin = _membership(demo, ADMIN)
    agent = _membership(demo, "agent@wysylki.example.com")
    second_admin = _membership(demo, "agent2@wysylki.example.com")
    Membership.objects.filter(pk=second_admin.pk).update(role=Role.ADMIN)
    mine = CannedReply.objects.create(tenant=demo.wysylki, title="Moja notatka", body="x", visibility="personal",
                                      owner=admin)
    theirs = CannedReply.objects.create(tenant=demo.wysylki, title="Szablon Marty", body="y",
                                        visibility="personal", owner=second_admin)
    listing = admin_client.get(reverse("console:canned_list")).content.decode()
    assert "Moja notatka" in listing and "Szablon Marty" not in listing
    assert admin_client.get(reverse("console:canned_edit", args=[theirs.pk])).status_code == 404
    assert admin_client.post(reverse("console:canned_delete", args=[theirs.pk])).status_code == 404
    assert CannedReply.objects.filter(pk=theirs.pk).exists()

    offered = set(canned_replies(tenant=demo.wysylki, membership=agent).values_list("title", flat=True))
    assert "Moja notatka" not in offered and "Szablon Marty" not in offered and offered  # the team's ones stay
    assert mine in canned_replies(tenant=demo.wysylki, membership=admin)

    client.force_login(agent.user)
    page = client.get(reverse("agent:queue")).content.decode()
    assert "Moja notatka" not in page and "Szablon Marty" not in page


def test_another_tenants_reply_is_a_404_and_agents_do_not_edit(demo, admin_client, client):
    foreign = CannedReply.objects.create(tenant=demo.kjm, title="KJM", body="z")
    for name in ("canned_edit", "canned_delete"):
        assert admin_client.post(reverse(f"console:{name}", args=[foreign.pk]),
                                 {"title": "x", "body": "x", "visibility": "team"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.title == "KJM"
    client.force_login(demo.user("agent@wysylki.example.com"))
    assert client.get(reverse("console:canned_list")).status_code == 404
