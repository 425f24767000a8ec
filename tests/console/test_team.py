"""The team page, Django's password reset and the TOTP second factor."""
from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEvent, Membership, Role, User

pytestmark = pytest.mark.django_db

ADMIN = "admin@wysylki.example.com"


@pytest.fixture
def admin_client(demo, client):
    client.force_login(demo.user(ADMIN))
    return client


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _without_tokens(response) -> str:
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", response.content.decode())


def test_invite_answers_the_same_for_new_and_foreign_addresses(demo, admin_client, django_capture_on_commit_callbacks):
    url = reverse("console:team")
    answers = []
    for email in ("nowy@wysylki.example.com", "admin@kjm.example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(url, {"email": email, "first_name": "Jan", "last_name": "Nowy",
                                               "role": "agent"}, follow=True)
        answers.append(re.sub(re.escape(email), "ADDRESS", "".join(str(m) for m in response.context["messages"])))
    assert answers[0] == answers[1]
    invited = User.objects.get(username="nowy@wysylki.example.com")
    assert not invited.is_active and Membership.objects.filter(tenant=demo.wysylki, user=invited).exists()
    assert not Membership.objects.filter(tenant=demo.wysylki, user__username="admin@kjm.example.com").exists()
    link = re.search(r"http://\S+/invitation/\S+/", mail.outbox[0].body)
    assert link and mail.outbox[0].to == ["nowy@wysylki.example.com"]


def test_role_change_and_deactivation_are_audited(demo, admin_client):
    agent = Membership.objects.get(tenant=demo.wysylki, user__username="agent2@wysylki.example.com")
    response = admin_client.post(reverse("console:member_role", args=[agent.pk]),
                                 {f"m{agent.pk}-role": "admin", f"m{agent.pk}-on_call": "on"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.role, agent.on_call) == ("admin", True)
    event = AuditEvent.objects.filter(action="membership.changed").latest("id")
    assert event.data == {"before": {"role": "agent", "on_call": False}, "after": {"role": "admin", "on_call": True}}
    admin_client.post(reverse("console:member_deactivate", args=[agent.pk]))
    assert not Membership.objects.filter(pk=agent.pk).exists()
    assert not User.objects.get(username="agent2@wysylki.example.com").is_active
    assert AuditEvent.objects.filter(action="membership.removed", tenant=demo.wysylki).exists()


def test_the_last_admin_stays_and_nobody_removes_themselves(demo, admin_client):
    me = Membership.objects.get(tenant=demo.wysylki, user__username=ADMIN)
    admin_client.post(reverse("console:member_role", args=[me.pk]), {f"m{me.pk}-role": "agent"})
    admin_client.post(reverse("console:member_deactivate", args=[me.pk]))
    me.refresh_from_db()
    assert me.role == Role.ADMIN


def test_another_tenants_member_is_a_404(demo, admin_client):
    foreign = Membership.objects.get(tenant=demo.kjm, user__username="admin@kjm.example.com")
    assert admin_client.post(reverse("console:member_deactivate", args=[foreign.pk])).status_code == 404
    assert admin_client.post(reverse("console:member_role", args=[foreign.pk]),
                             {f"m{foreign.pk}-role": "agent"}).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk, role="admin").exists()


def test_password_reset_sends_a_link_only_to_a_known_address_and_says_the_same(demo, client):
    url = reverse("password_reset")
    known = client.post(url, {"email": "agent@wysylki.example.com"}, follow=True)
    unknown = client.post(url, {"email": "nikt@example.com"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert _without_tokens(known) == _without_tokens(unknown)
    assert [m.to for m in mail.outbox] == [["agent@wysylki.example.com"]]
    path = re.search(r"https?://[^/\s]+(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(path, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Nowe-haslo-2026!", "new_password2":
                                                     "Nowe-haslo-2026!"}, follow=True)
    assert done.status_code == 200
    assert User.objects.get(username="agent@wysylki.example.com").check_password("Nowe-haslo-2026!")
    # the link works once
    again = client.get(path, follow=True)
    assert not again.context["validlink"]


def test_second_factor_setup_then_every_login_asks_for_a_code(demo, client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code is tried first; no wait between tries here
    agent = demo.user("agent@wysylki.example.com")
    client.force_login(agent)
    page = client.get(reverse("account:second_factor"))
    assert page.status_code == 200 and page.context["uri"].startswith("otpauth://totp/")
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    assert client.post(reverse("account:second_factor"), {"code": "000000" if _code(device) != "000000"
                                                         else "111111"}).status_code == 200
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.post(reverse("account:second_factor"), {"code": _code(device)}).status_code == 302
    assert TOTPDevice.objects.get(pk=device.pk).confirmed

    client.logout()
    client.force_login(agent)
    queue = client.get(reverse("agent:queue"))
    assert queue.status_code == 302 and queue["Location"].startswith(reverse("account:second_factor_verify"))
    assert client.get(reverse("agent:queue")).status_code == 302
    api = client.get("/api/v1/tickets/")
    assert api.status_code == 403 and api.json()["code"] == "second_factor_required"
    device.refresh_from_db()
    wrong = client.post(reverse("account:second_factor_verify"), {"code": "12345x", "next": "/agent/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    # the same code cannot be used twice: move the device's last step back to accept this one
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    ok = client.post(reverse("account:second_factor_verify"), {"code": _code(device), "next": "/agent/"})
    assert ok.status_code == 302 and ok["Location"] == "/agent/"
    assert client.get(reverse("agent:queue")).status_code == 200
    assert client.get("/api/v1/tickets/").status_code == 200


def test_tenant_rule_sends_admins_without_a_second_factor_to_set_one_up(demo, admin_client):
    response = admin_client.post(reverse("console:security"), {"admin_second_factor_required": "on"})
    assert response.status_code == 302
    demo.wysylki.refresh_from_db()
    assert demo.wysylki.admin_second_factor_required
    event = AuditEvent.objects.filter(action="tenant.second_factor_rule").latest("id")
    assert event.data["after"] == {"admin_second_factor_required": True}
    blocked = admin_client.get(reverse("console:plan_list"))
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("account:second_factor"))
    assert admin_client.get(reverse("account:second_factor")).status_code == 200
    # agents are not bound by the rule
    admin_client.force_login(demo.user("agent@wysylki.example.com"))
    assert admin_client.get(reverse("agent:queue")).status_code == 200
