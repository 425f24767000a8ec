"""Writes of the tenancy core: every one refuses another tenant's objects and records who did it."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from core.models import AuditEvent, ContactEmail, Membership, Role
from core.services import (audit_record, contact_create, contact_set_addresses, membership_set, normalize_phone,
                               organization_create)
from tests import factories

pytestmark = pytest.mark.usefixtures("english")


def test_organization_is_created_in_the_tenant_with_an_audit_event(two_tenants):
    alpha, _beta = two_tenants
    organization = organization_create(tenant=alpha.tenant, name="Nowa Firma", actor=alpha.admin.user,
                                       account_manager=alpha.agent, external_id="CRM-1")
    assert (organization.tenant, organization.account_manager) == (alpha.tenant, alpha.agent)
    event = AuditEvent.objects.for_tenant(alpha.tenant).get(action="organization.created")
    assert (event.actor, event.object_id) == (alpha.admin.user, str(organization.pk))


def test_account_manager_of_another_tenant_is_refused(two_tenants):
    alpha, beta = two_tenants
    with pytest.raises(ValidationError) as error:
        organization_create(tenant=alpha.tenant, name="Nowa Firma", account_manager=beta.agent)
    assert error.value.message_dict == {"account_manager": ["Choose a member of your own staff."]}


def test_external_id_is_unique_within_the_tenant_only(two_tenants):
    alpha, beta = two_tenants
    organization_create(tenant=alpha.tenant, name="Pierwsza", external_id="CRM-7")
    with pytest.raises(ValidationError):
        organization_create(tenant=alpha.tenant, name="Druga", external_id="CRM-7")
    assert organization_create(tenant=beta.tenant, name="Druga", external_id="CRM-7").tenant == beta.tenant


def test_contact_of_another_tenants_organization_is_refused(two_tenants):
    alpha, beta = two_tenants
    with pytest.raises(ValidationError) as error:
        contact_create(tenant=alpha.tenant, organization=beta.organization, name="Obca Osoba")
    assert error.value.message_dict == {"organization": ["Unknown organization."]}


def test_contact_addresses_are_normalised_and_unique_in_the_tenant(two_tenants):
    alpha, beta = two_tenants
    contact = contact_create(tenant=alpha.tenant, organization=alpha.organization, name="Nowa Osoba",
                             emails=[" Nowa@Alpha.Example.com ", "nowa@alpha.example.com"],
                             phones=["+48 555-123-456"])
    assert list(contact.emails.values_list("email", flat=True)) == ["nowa@alpha.example.com"]
    assert list(contact.phones.values_list("number", flat=True)) == ["+48555123456"]
    # The same address in the same tenant belongs to one contact only; another tenant may use it.
    other = factories.ContactFactory(organization=alpha.organization)
    with pytest.raises(ValidationError) as error:
        contact_set_addresses(tenant=alpha.tenant, contact=other, emails=["nowa@alpha.example.com"], phones=[])
    assert "nowa@alpha.example.com" in error.value.message_dict["emails"][0]
    contact_create(tenant=beta.tenant, organization=beta.organization, name="Ktoś", emails=["nowa@alpha.example.com"])
    assert ContactEmail.objects.filter(email="nowa@alpha.example.com").count() == 2


@pytest.mark.parametrize("number", ["", "abc", "+48 12", "+48 555 123 456 789 000 1"])
def test_bad_phone_numbers_are_refused(number):
    with pytest.raises(ValidationError):
        normalize_phone(number)


def test_membership_set_creates_then_changes_the_role(two_tenants):
    alpha, _beta = two_tenants
    user = factories.UserFactory()
    membership_set(tenant=alpha.tenant, user=user, role=Role.AGENT, actor=alpha.admin.user)
    membership_set(tenant=alpha.tenant, user=user, role=Role.ADMIN, actor=alpha.admin.user, on_call=True)
    membership = Membership.objects.for_tenant(alpha.tenant).get(user=user)
    assert (membership.role, membership.on_call) == (Role.ADMIN, True)
    actions = list(AuditEvent.objects.for_tenant(alpha.tenant).filter(object_id=str(membership.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["membership.created", "membership.changed"]
    with pytest.raises(ValidationError):
        membership_set(tenant=alpha.tenant, user=user, role="owner")


def test_audit_record_of_an_anonymous_actor_has_no_actor(two_tenants):
    alpha, _beta = two_tenants
    event = audit_record(tenant=alpha.tenant, actor=AnonymousUser(), action="x", obj=alpha.organization,
                         summary="s" * 400)
    assert event.actor is None and len(event.summary) == 300
