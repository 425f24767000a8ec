"""Fixtures shared by every test folder, and the hypothesis profiles.

Hypothesis profiles: "dev" for quick local runs (the default), "ci" for a thorough one; choose with
``HYPOTHESIS_PROFILE=ci``. Some folders register the same names for their own needs; registering a
name twice is allowed, and whichever conftest loads last decides the settings of its folder.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test.utils import override_settings
from django.utils import translation
from hypothesis import HealthCheck, settings as hypothesis_settings

# Property tests of the pure cores compare them with brute-force references, so single examples may
# take tens of milliseconds: no per-example deadline in either profile.
hypothesis_settings.register_profile(
    "dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The ci profile runs once per CI run (the SQLite pass): 1 000 examples of each property; at 2 000 the
# calendar's properties alone took some 150 s of the run's 30-minute budget.
hypothesis_settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """The demo creates a dozen logins; the production hasher would make every seed take seconds."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _language_reset():
    """Requests activate their language in the test's thread; the next test starts from the default."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _tenancy_cache_reset():
    """A test's rows are rolled back without a signal: what the requests cached of them is dropped too."""
    from core import tenancy_cache

    tenancy_cache.bump()
    yield
    tenancy_cache.bump()


@pytest.fixture
def list_cache_off(monkeypatch):
    """Ticket lists computed on every request (``tickets.list_cache``): for tests that count what
    computing them costs. The cached path is tested in tests/tickets/test_list_cache.py."""
    from tickets import list_cache

    monkeypatch.setattr(list_cache, "version", lambda tenant_id: None)


@pytest.fixture
def english():
    """Messages in English, for tests that compare them word for word (the product defaults to Polish)."""
    with translation.override("en"):
        yield


# --- the demo ----------------------------------------------------------------------------------


@contextmanager
def rolled_back_at_exit(django_db_blocker):
    """A transaction around a whole test module, rolled back when it ends.

    Data made inside it once serves every test of the module; each test still runs in its own
    savepoint (the ``db`` fixture), so what one test changes is gone before the next one starts,
    and other modules never see the data.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def _demo_module_base(django_db_setup, django_db_blocker):
    """The demo, seeded once per test module that uses it (see ``rolled_back_at_exit``)."""
    from helpdesk.management.commands.seed_demo import seed

    with rolled_back_at_exit(django_db_blocker):
        with django_db_blocker.unblock():
            seed()
        yield


class Demo:
    """Handles to the demo data of ``seed_demo`` (tenants, people, organizations)."""

    def tenant(self, slug: str):
        from core.models import Tenant

        return Tenant.objects.get(slug=slug)

    @property
    def wysylki(self):
        return self.tenant("wysylki")

    @property
    def kjm(self):
        return self.tenant("kjm")

    def user(self, email: str):
        from core.models import User

        return User.objects.get(username=email)

    def organization(self, name: str):
        from core.models import Organization

        return Organization.objects.get(name=name)

    def plan(self, tenant_slug: str, code: str):
        from plans.models import Plan

        return Plan.objects.get(tenant__slug=tenant_slug, code=code)

    def calendar(self, tenant_slug: str, code: str):
        from plans.models import Calendar

        return Calendar.objects.get(tenant__slug=tenant_slug, code=code)

    def subscription(self, organization_name: str):
        from plans.models import Subscription

        return Subscription.objects.filter(organization__name=organization_name).order_by("-starts_on").first()


@pytest.fixture
def demo(_demo_module_base, db) -> Demo:
    """``seed_demo``'s ``seed()`` for this test (a no-op on top of the module's seeded base)."""
    from helpdesk.management.commands.seed_demo import seed

    seed()
    return Demo()


# --- two tenants built from factories ----------------------------------------------------------


@pytest.fixture
def two_tenants(db):
    """Tenants "alpha" and "beta", each with staff, a customer, a calendar, a plan and a subscription."""
    from tests.factories import build_tenant_world

    return build_tenant_world("alpha"), build_tenant_world("beta")


def _database_vendor() -> str:
    from django.conf import settings

    engine = settings.DATABASES.get("default", {}).get("ENGINE", "")
    return "postgresql" if "postgresql" in engine else engine.rsplit(".", 1)[-1]


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql`` need PostgreSQL itself (row locks, pg_dump); on another database
    they are deselected (not skipped): CI runs the whole suite again on PostgreSQL, where they run.
    Tests marked ``sqlite`` are the SQLite twins of such tests, deselected on PostgreSQL."""
    other = "sqlite" if _database_vendor() == "postgresql" else "postgresql"
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker(other) else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
        config._other_database_only = (len(deselected), other)


def pytest_terminal_summary(terminalreporter, config):
    count, other = getattr(config, "_other_database_only", (0, ""))
    if count:
        name = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[other]
        terminalreporter.write_line(f"{count} {name}-only tests deselected on this database; "
                                    f"the {name} run covers them.")
