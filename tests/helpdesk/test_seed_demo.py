"""``seed_demo``: the demo loads once, re-running it changes nothing, and its data is made up."""
from __future__ import annotations

import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import models

from helpdesk.management.commands.seed_demo import DEMO_PASSWORD, ORGANIZATIONS, STAFF, SUPERUSER, _seed_tenant, seed
from core.models import ContactEmail, ContactPhone, Tenant, User

pytestmark = pytest.mark.django_db

# Fields that change on every save or are never compared; everything else is part of the dump.
VOLATILE = {"created_at", "updated_at", "at", "last_login", "date_joined", "seen_at"}


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def dump() -> dict[str, list[tuple]]:
    """Every row of the project's own apps, volatile fields left out."""
    result = {}
    for model in apps.get_models():
        if model._meta.app_label not in {"helpdesk", "plans", "tickets", "sla", "billing"}:
            continue
        names = [f.attname for f in model._meta.concrete_fields if f.name not in VOLATILE]
        result[model._meta.label] = sorted(model._default_manager.values_list(*names), key=repr)
    return result


def test_seeding_twice_changes_nothing():
    # Given the demo seeded once.
    assert seed() is True
    before_counts, before_rows = counts(), dump()
    assert before_counts["helpdesk.Tenant"] == 2
    # When it is seeded again.
    assert seed() is False
    # Then no model gained or lost a row and no key field changed.
    assert counts() == before_counts
    assert dump() == before_rows


def test_seeding_an_already_seeded_tenant_again_changes_nothing():
    # Given the demo; when a tenant's part runs again (as it does when the other tenant is missing).
    seed()
    before_counts, before_rows = counts(), dump()
    root = User.objects.get(username=SUPERUSER[0])
    for tenant in Tenant.objects.order_by("slug"):
        _seed_tenant(tenant, tenant.default_plan.code, root)
    # Then nothing is added or changed.
    assert counts() == before_counts
    assert dump() == before_rows


def test_command_reports_created_then_unchanged():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    assert "(created)" in out.getvalue() and "(unchanged)" in out.getvalue()


def demo_logins() -> list[str]:
    logins = [SUPERUSER[0]] + [email for staff in STAFF.values() for email, *_rest in staff]
    for organizations in ORGANIZATIONS.values():
        for *_org, contacts in organizations:
            logins += [email for _name, email, _phone, _authorised, login in contacts if login]
    return logins


def test_demo_logins_authenticate_with_the_demo_password():
    # Given the demo; when each printed demo login signs in with the demo password, then it gets in.
    seed()
    assert DEMO_PASSWORD == "demo-haslo-2026"
    refused = [login for login in demo_logins() if authenticate(username=login, password=DEMO_PASSWORD) is None]
    assert not refused
    assert authenticate(username=SUPERUSER[0], password="wrong-password") is None
    assert len(demo_logins()) == User.objects.filter(username__in=demo_logins()).count() == 15


MADE_UP_ADDRESS = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)*(example\.com|[a-z0-9-]+\.test)$")
MADE_UP_PHONE = re.compile(r"^\+48555\d{6}$")


def test_demo_contact_data_is_made_up():
    # Given the demo, then every e-mail address is in example.com (or .test) and every phone a 555 number.
    seed()
    addresses = list(ContactEmail.objects.values_list("email", flat=True))
    addresses += [u.email for u in User.objects.all()]
    for tenant in Tenant.objects.all():
        addresses += [tenant.support_email, *tenant.escalation_emails]
    assert addresses and all(MADE_UP_ADDRESS.match(a) for a in addresses), addresses
    phones = list(ContactPhone.objects.values_list("number", flat=True))
    assert phones and all(MADE_UP_PHONE.match(p) for p in phones), phones
    # And no text field of the demo carries an address outside those domains.
    found = set()
    for model in apps.get_models():
        if model._meta.app_label not in {"helpdesk", "plans", "tickets"}:
            continue
        text_fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, (models.CharField,
                                                                                       models.TextField))]
        if not text_fields:
            continue
        for row in model._default_manager.values_list(*text_fields):
            for value in row:
                found.update(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", value or ""))
    assert all(MADE_UP_ADDRESS.match(a.lower()) for a in found), sorted(found)
