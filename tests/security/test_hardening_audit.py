"""The audit log: every change of terms, subscriptions, time, staff and API access leaves a row,
and a tenant admin sees only their own tenant's rows."""
from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from core.models import ApiToken, AuditEvent, Membership


def events(tenant, action):
    return list(AuditEvent.objects.for_tenant(tenant).filter(action=action))


def only_in(tenant, other, action) -> AuditEvent:
    rows = events(tenant, action)
    assert len(rows) == 1, (action, rows)
    assert events(other, action) == []
    return rows[0]


def test_plan_terms_and_subscription_changes_are_audited(two_tenants):
    from plans.services import (plan_terms_update, subscription_cancel, subscription_create,
                                subscription_set_overrides)
    from tests.factories import OrganizationFactory

    alpha, beta = two_tenants
    actor = alpha.admin.user

    plan_terms_update(tenant=alpha.tenant, plan=alpha.plan, effective_from=date(2026, 7, 1),
                      changes={"included_minutes": 240}, actor=actor)
    event = only_in(alpha.tenant, beta.tenant, "plan_terms.changed")
    assert event.actor == actor

    organization = OrganizationFactory(tenant=alpha.tenant, name="alpha Second Ltd")
    subscription = subscription_create(tenant=alpha.tenant, organization=organization, plan=alpha.plan,
                                       accepted_on=date(2026, 1, 1), actor=actor)
    created = AuditEvent.objects.filter(action="subscription.created", object_id=str(subscription.pk))
    assert [(e.tenant_id, e.actor) for e in created] == [(alpha.tenant.pk, actor)]

    subscription_set_overrides(tenant=alpha.tenant, subscription=subscription,
                               overrides={"hourly_rate_net": "150.00"}, actor=actor)
    event = only_in(alpha.tenant, beta.tenant, "subscription.overrides_changed")
    assert event.data["after"] == {"hourly_rate_net": "150.00"}

    subscription_cancel(tenant=alpha.tenant, subscription=subscription, notice_given_on=date(2026, 2, 2),
                        actor=actor)
    assert only_in(alpha.tenant, beta.tenant, "subscription.cancelled").actor == actor


def test_time_entry_changes_are_audited(two_tenants, monkeypatch):
    from billing.services import time_entry_delete, time_entry_log, time_entry_update
    from tests.tickets.ui_support import file_ticket

    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    alpha, beta = two_tenants
    ticket = file_ticket(alpha.contact, "Praca do zalogowania")
    entry = time_entry_log(tenant=alpha.tenant, ticket=ticket, agent=alpha.agent, kind="remote",
                           started_at=timezone.now() - timedelta(hours=1), minutes=30)
    created = only_in(alpha.tenant, beta.tenant, "time_entry.created")
    assert created.actor == alpha.agent.user and created.object_id == str(entry.pk)

    time_entry_update(tenant=alpha.tenant, entry=entry, actor=alpha.admin.user, minutes=45)
    assert only_in(alpha.tenant, beta.tenant, "time_entry.updated").actor == alpha.admin.user

    time_entry_delete(tenant=alpha.tenant, entry=entry, actor=alpha.admin.user)
    assert only_in(alpha.tenant, beta.tenant, "time_entry.deleted").object_id == str(entry.pk)


def test_staff_changes_in_the_admin_are_audited(two_tenants, client):
    alpha, beta = two_tenants
    client.force_login(alpha.admin.user)
    response = client.post(reverse("admin:helpdesk_membership_add"), {
        "email": "nowy@alpha.example.com", "first_name": "Nowy", "last_name": "Agent",
        "password": "Mocne-Haslo-2026!", "role": "agent", "phone": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(tenant=alpha.tenant, user__username="nowy@alpha.example.com")
    assert only_in(alpha.tenant, beta.tenant, "membership.invited").actor == alpha.admin.user

    response = client.post(reverse("admin:helpdesk_membership_change", args=[membership.pk]), {
        "email": "nowy@alpha.example.com", "first_name": "Nowy", "last_name": "Agent", "password": "",
        "role": "admin", "on_call": "on", "phone": ""})
    assert response.status_code == 302
    event = only_in(alpha.tenant, beta.tenant, "membership.changed")
    assert event.data == {"role": "admin", "on_call": True}

    response = client.post(reverse("admin:helpdesk_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert only_in(alpha.tenant, beta.tenant, "membership.deleted").object_id == str(membership.pk)


def test_api_token_creation_and_revocation_in_the_admin_are_audited(two_tenants, client):
    alpha, beta = two_tenants
    client.force_login(alpha.admin.user)
    response = client.post(reverse("admin:helpdesk_apitoken_add"), {"name": "CRM", "role": "agent"})
    assert response.status_code == 302
    token = ApiToken.objects.for_tenant(alpha.tenant).get(name="CRM")
    assert only_in(alpha.tenant, beta.tenant, "api_token.created").object_id == str(token.pk)

    response = client.post(reverse("admin:helpdesk_apitoken_changelist"),
                           {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert only_in(alpha.tenant, beta.tenant, "api_token.revoked").actor == alpha.admin.user


def test_a_tenant_admin_sees_only_their_own_audit_log(two_tenants, client):
    alpha, beta = two_tenants
    mine = AuditEvent.objects.for_tenant(alpha.tenant).get(action="test.marker")
    theirs = AuditEvent.objects.for_tenant(beta.tenant).get(action="test.marker")
    client.force_login(alpha.admin.user)

    page = client.get(reverse("admin:helpdesk_auditevent_changelist"), {"q": "marker"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "alpha marker" in body and "beta marker" not in body
    assert client.get(reverse("admin:helpdesk_auditevent_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:helpdesk_auditevent_change", args=[theirs.pk])).status_code == 404
    # and the log cannot be edited or deleted
    assert client.post(reverse("admin:helpdesk_auditevent_delete", args=[mine.pk]), {"post": "yes"}).status_code in (
        403, 404)
    assert AuditEvent.objects.filter(pk=mine.pk).exists()


def test_an_agent_cannot_open_the_audit_log(two_tenants, client):
    alpha, _beta = two_tenants
    client.force_login(alpha.agent.user)
    response = client.get(reverse("admin:helpdesk_auditevent_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
