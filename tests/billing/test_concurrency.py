"""Parallel writers never overdraw a pool or lose minutes: the organization row lock serialises them.

Each thread has its own database connection and transaction. On PostgreSQL (CI) this is a real
race on ``select_for_update``; SQLite serialises writers on its database lock, so the test also
runs there, as long as the writers queue instead of failing.
"""
import threading
from datetime import date

import pytest
from django.db import connections
from django.db.models import Sum

from billing.models import Package, TimeEntry
from billing.services import package_purchase, time_entry_log
from tests.billing.conftest import at

WRITERS = 8


def _race(target, count: int) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            target(index)
        except BaseException as exc:  # collected and re-raised by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return errors


# SQLite fails a second writer with "database is locked" at once: there is no race to observe, so
# these run in the PostgreSQL pass of CI (see the postgresql marker in tests/conftest.py).
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_package_draws_never_overdraw(demo_tx):
    from django.core.exceptions import ValidationError

    kjm = demo_tx.tenant("kjm")
    bilans = demo_tx.organization("kjm", "Biuro Rachunkowe")
    package = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 2, 5))  # 180 min
    tickets = [demo_tx.ticket("kjm", "Biuro Rachunkowe", received_at=at(2026, 2, 10, 8)) for _ in range(WRITERS)]
    agent = demo_tx.agent("kjm")

    def write(index: int) -> None:
        time_entry_log(tenant=kjm, ticket=tickets[index], agent=agent, kind="phone",
                       started_at=at(2026, 2, 10, 9, index), minutes=100)  # 120 billed each

    errors = _race(write, WRITERS)
    package.refresh_from_db()
    entries = TimeEntry.objects.filter(organization=bilans)
    totals = entries.aggregate(deducted=Sum("deducted_minutes"), debt=Sum("debt_minutes"))
    # the first two interventions, in lock order: 120 from the package, then its 60 left and 60 of
    # debt (RULES 6.2); the package is then used up, so the other writers are refused (RULES 6.7):
    # nothing lost, doubled or drawn from a package that was no longer there
    assert entries.count() == 2
    assert len(errors) == WRITERS - 2
    assert all(isinstance(e, ValidationError) and "ticket" in e.message_dict for e in errors)
    assert (totals["deducted"], totals["debt"]) == (240, 60)
    assert (package.minutes_left, package.status) == (0, Package.Status.EXHAUSTED)


# SQLite fails a second writer with "database is locked" at once: there is no race to observe, so
# these run in the PostgreSQL pass of CI (see the postgresql marker in tests/conftest.py).
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_allowance_draws_split_exactly_at_the_allowance(demo_tx):
    wysylki = demo_tx.tenant("wysylki")
    tickets = [demo_tx.ticket("wysylki", "Elektro-Mat") for _ in range(WRITERS * 2)]
    agent = demo_tx.agent("wysylki")

    def write(index: int) -> None:
        time_entry_log(tenant=wysylki, ticket=tickets[index], agent=agent, kind="remote",
                       started_at=at(2026, 5, 4, 8, index), minutes=25)  # 30 billed each

    assert _race(write, WRITERS * 2) == []
    entries = TimeEntry.objects.filter(organization=demo_tx.organization("wysylki", "Elektro-Mat"))
    totals = entries.aggregate(allowance=Sum("deducted_minutes"), overage=Sum("overage_minutes"),
                               net=Sum("amount_net"))
    # 16 × 30 = 480: 420 from STANDARD's 7 h, 60 at 140.00
    assert (entries.count(), totals["allowance"], totals["overage"], str(totals["net"])) == (16, 420, 60, "140.00")
