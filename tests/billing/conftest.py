"""Fixtures of the billing tests (hypothesis profiles come from tests/conftest.py)."""

from datetime import datetime as _datetime
from zoneinfo import ZoneInfo as _ZoneInfo

import pytest

WARSAW = _ZoneInfo("Europe/Warsaw")


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> _datetime:
    """A Warsaw wall-clock instant (what an agent types in)."""
    return _datetime(year, month, day, hour, minute, tzinfo=WARSAW)


@pytest.fixture
def frozen_now():
    """Every service test runs "today" = 15 December 2026, after all the demo months."""
    import time_machine

    with time_machine.travel(at(2026, 12, 15, 12), tick=False):
        yield


@pytest.fixture
def demo(db, frozen_now):
    from helpdesk.management.commands.seed_demo import seed

    seed()
    return Demo()


class Demo:
    """Look-ups into the demo data by name."""

    def tenant(self, slug: str):
        from core.models import Tenant

        return Tenant.objects.get(slug=slug)

    def organization(self, slug: str, name_start: str):
        from core.models import Organization

        return Organization.objects.for_tenant(self.tenant(slug)).get(name__startswith=name_start)

    def agent(self, slug: str):
        from core.models import Membership

        return Membership.objects.for_tenant(self.tenant(slug)).filter(role="agent").order_by("id").first()

    def ticket(self, slug: str, name_start: str, *, category: str | None = None, received_at=None):
        from core.models import Contact
        from tickets.models import Category
        from tickets.services import ticket_create

        tenant = self.tenant(slug)
        organization = self.organization(slug, name_start)
        contact = Contact.objects.for_tenant(tenant).filter(organization=organization, can_file_tickets=True).first()
        cat = Category.objects.for_tenant(tenant).get(code=category) if category else None
        return ticket_create(tenant=tenant, channel="portal", contact=contact, subject="Program nie drukuje",
                             body="Opis problemu.", category=cat, received_at=received_at)


@pytest.fixture
def demo_tx(transactional_db, frozen_now):
    """The demo data committed for real: for tests whose threads use their own connections."""
    from helpdesk.management.commands.seed_demo import seed

    seed()
    return Demo()
