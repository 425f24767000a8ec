"""Time entries and the pools they draw on, through the services, on the demo catalogue."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import Package, TimeEntry
from billing.services import (package_expire_due, package_purchase, time_entry_delete, time_entry_log,
                              time_entry_update)
from core.models import AuditEvent
from tests.billing.conftest import at

pytestmark = pytest.mark.django_db
Pool = TimeEntry.Pool


def log(demo, slug, org, kind, when, minutes, *, ticket=None, emergency=False, category=None):
    # A ticket received just before the work (so it was not waiting for a package then).
    ticket = ticket or demo.ticket(slug, org, category=category, received_at=when - timedelta(hours=1))
    return time_entry_log(tenant=demo.tenant(slug), ticket=ticket, agent=demo.agent(slug), kind=kind,
                          started_at=when, minutes=minutes, emergency=emergency)


# --- seed 000 rounding and pools -----------------------------------------------------------------


def test_phone_11_minutes_bills_30_from_the_start_allowance(demo):
    # given Meblex on START (3 h of phone/remote a month)
    # when an agent logs an 11-minute call on a Tuesday morning
    entry = log(demo, "wysylki", "Meblex", "phone", at(2026, 3, 10, 9), 11)
    # then 11 + 5 minutes for the record, per started 15 minutes: 30, from the allowance
    assert (entry.billed_minutes, entry.pool, entry.deducted_minutes, entry.amount_net) == (30, Pool.ALLOWANCE, 30,
                                                                                          Decimal("0.00"))
    assert entry.after_hours is False


def test_remote_26_minutes_bills_60(demo):
    entry = log(demo, "wysylki", "Meblex", "remote", at(2026, 3, 10, 9), 26)
    assert entry.billed_minutes == 60
    assert entry.deducted_minutes == 60


def test_standard_month_of_8h30_bills_7h_from_allowance_and_1h30_at_140(demo):
    # given Elektro-Mat on STANDARD (7 h included, 140.00 per hour beyond)
    ticket = demo.ticket("wysylki", "Elektro-Mat")
    # when remote entries bill 4 h + 4 h + 30 min in one month (each 235/235/25 actual minutes)
    entries = [log(demo, "wysylki", "Elektro-Mat", "remote", at(2026, 5, day, 9), minutes, ticket=ticket)
               for day, minutes in [(4, 235), (5, 235), (6, 25)]]
    assert [e.billed_minutes for e in entries] == [240, 240, 30]
    entries = [TimeEntry.objects.get(pk=e.pk) for e in entries]
    # then 7 h come from the allowance: the second entry is split 180 allowance + 60 billable
    assert [(e.pool, e.deducted_minutes, e.overage_minutes) for e in entries] == [
        (Pool.ALLOWANCE, 240, 0), (Pool.ALLOWANCE, 180, 60), (Pool.OVERAGE, 0, 30)]
    # and 1 h 30 min are billed at 140.00
    assert sum(e.amount_net for e in entries) == Decimal("210.00")
    assert entries[1].rate_net == Decimal("140.00")


def test_email_work_counts_towards_the_email_limit_not_the_allowance(demo):
    entry = log(demo, "wysylki", "Elektro-Mat", "email", at(2026, 5, 4, 9), 20, category="configuration")
    assert (entry.pool, entry.billed_minutes, entry.counts_as_bug) == (Pool.EMAIL_LIMIT, 30, False)
    bug = log(demo, "wysylki", "Elektro-Mat", "email", at(2026, 5, 4, 11), 20, category="bug")
    assert (bug.pool, bug.counts_as_bug) == (Pool.EMAIL_LIMIT, True)
    remote = log(demo, "wysylki", "Elektro-Mat", "remote", at(2026, 5, 4, 12), 25)
    assert remote.deducted_minutes == 30  # the allowance still has all 7 h: e-mail took none


def test_community_remote_help_is_billed_at_200(demo):
    entry = log(demo, "wysylki", "Kwiaciarnia", "remote", at(2026, 5, 4, 11), 25)
    assert (entry.pool, entry.billed_minutes, entry.amount_net) == (Pool.OVERAGE, 30, Decimal("100.00"))


def test_allowance_does_not_carry_over_to_the_next_month(demo):
    ticket = demo.ticket("wysylki", "Meblex")
    log(demo, "wysylki", "Meblex", "remote", at(2026, 3, 10, 9), 175, ticket=ticket)  # 180 billed: all of March
    april = log(demo, "wysylki", "Meblex", "remote", at(2026, 4, 1, 9), 25, ticket=ticket)
    assert (april.pool, april.deducted_minutes) == (Pool.ALLOWANCE, 30)


# --- KJM PAKIET ----------------------------------------------------------------------------------


def test_pakiet_purchase_takes_size_validity_and_price_from_the_terms(demo):
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    package = package_purchase(tenant=demo.tenant("kjm"), organization=bilans, purchased_on=date(2026, 2, 5))
    assert (package.minutes, package.minutes_left, package.valid_until, package.price_net) == (
        180, 180, date(2026, 5, 4), Decimal("540.00"))
    assert AuditEvent.objects.filter(action="package.purchased", object_id=str(package.pk)).exists()


def test_pakiet_overdraw_zeroes_the_package_and_the_debt_comes_from_the_next_one(demo):
    kjm = demo.tenant("kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    first = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 2, 5))
    ticket = demo.ticket("kjm", "Biuro Rachunkowe", received_at=at(2026, 2, 10, 8))
    log(demo, "kjm", "Biuro Rachunkowe", "phone", at(2026, 2, 10, 9), 150, ticket=ticket)
    first.refresh_from_db()
    assert first.minutes_left == 30
    # when an intervention of 1 h 10 min (billed 1 h 30 min) needs more than the 0.5 h left
    entry = log(demo, "kjm", "Biuro Rachunkowe", "phone", at(2026, 2, 11, 9), 70, ticket=ticket)
    first.refresh_from_db()
    # then the package goes to zero and 1 h is a debt
    assert (entry.billed_minutes, entry.deducted_minutes, entry.debt_minutes) == (90, 90, 60)
    assert (first.minutes_left, first.status) == (0, Package.Status.EXHAUSTED)
    # and the debt is taken first from the next package bought
    second = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 2, 20))
    assert (second.debt_minutes, second.minutes_left) == (60, 120)


def test_after_hours_pakiet_emergency_of_40_minutes_deducts_2_hours(demo):
    kjm = demo.tenant("kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    package = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 2, 5))
    # Tuesday 20:00, outside KJM's 7:00–16:00
    entry = log(demo, "kjm", "Biuro Rachunkowe", "remote", at(2026, 2, 10, 20), 40, emergency=True)
    package.refresh_from_db()
    assert (entry.after_hours, entry.billed_minutes, entry.deducted_minutes) == (True, 60, 120)
    assert package.minutes_left == 60


def test_after_hours_is_computed_from_the_calendar_and_an_override_needs_a_reason(demo):
    kjm = demo.tenant("kjm")
    package_purchase(tenant=kjm, organization=demo.organization("kjm", "Biuro Rachunkowe"),
                     purchased_on=date(2026, 2, 5))
    # Tuesday 20:00 is outside KJM's working hours: doubled without anyone ticking "emergency"
    entry = log(demo, "kjm", "Biuro Rachunkowe", "email", at(2026, 2, 10, 20), 40)
    assert (entry.after_hours, entry.deducted_minutes) == (True, 120)
    # an agent who knows it was no emergency overrides it, with a reason, and it is deducted once
    with pytest.raises(ValidationError) as error:
        time_entry_update(tenant=kjm, entry=entry, after_hours_override=False)
    assert "after_hours_reason" in error.value.message_dict
    entry = time_entry_update(tenant=kjm, entry=entry, after_hours_override=False,
                              after_hours_reason="Odpowiedź na e-mail, nie awaria")
    assert (entry.after_hours, entry.deducted_minutes, entry.after_hours_override) == (False, 60, False)
    audit = AuditEvent.objects.filter(action="time_entry.updated", object_id=str(entry.pk)).get()
    assert audit.data["after"]["after_hours_reason"] == "Odpowiedź na e-mail, nie awaria"
    # and clearing the override goes back to the computed value
    entry = time_entry_update(tenant=kjm, entry=entry, after_hours_override=None)
    assert (entry.after_hours, entry.deducted_minutes, entry.after_hours_reason) == (True, 120, "")


def test_oldest_valid_package_is_used_first_and_an_expired_one_not_at_all(demo):
    kjm = demo.tenant("kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    old = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 1, 10))  # until 9 April
    new = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 3, 1))
    ticket = demo.ticket("kjm", "Biuro Rachunkowe", received_at=at(2026, 3, 2, 8))
    log(demo, "kjm", "Biuro Rachunkowe", "phone", at(2026, 3, 2, 9), 30, ticket=ticket)
    log(demo, "kjm", "Biuro Rachunkowe", "phone", at(2026, 4, 20, 9), 30, ticket=ticket)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.minutes_left, new.minutes_left) == (150, 150)
    assert old.status == Package.Status.EXPIRED


def test_package_expire_due_marks_active_packages_past_their_end_once(demo):
    kjm = demo.tenant("kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    package = Package.objects.create(tenant=kjm, organization=bilans, minutes=180, minutes_left=180,
                                     purchased_on=date(2026, 1, 1), valid_until=date(2026, 3, 31))
    assert package_expire_due(today=date(2026, 3, 31)) == []
    assert [p.pk for p in package_expire_due(today=date(2026, 4, 1))] == [package.pk]
    assert package_expire_due(today=date(2026, 4, 2)) == []


def test_package_purchase_needs_a_package_plan(demo):
    with pytest.raises(ValidationError):
        package_purchase(tenant=demo.tenant("wysylki"), organization=demo.organization("wysylki", "Meblex"),
                         purchased_on=date(2026, 2, 5))


# --- KJM OPIEKA ----------------------------------------------------------------------------------


def test_opieka_work_in_working_hours_is_in_the_flat_fee(demo):
    entry = log(demo, "kjm", "Wodociągi", "phone", at(2026, 5, 5, 9), 50)
    assert (entry.pool, entry.amount_net) == (Pool.FLAT_FEE, Decimal("0.00"))


def test_opieka_after_hours_emergency_without_hours_addon_is_billed_per_price_list(demo):
    entry = log(demo, "kjm", "Wodociągi", "remote", at(2026, 5, 5, 23), 40, emergency=True)
    # 40 min → 60 billed at the after-hours rate of 180.00
    assert (entry.pool, entry.billed_minutes, entry.rate_net, entry.amount_net) == (
        Pool.OVERAGE, 60, Decimal("180.00"), Decimal("180.00"))


def test_opieka_with_extended_hours_addon_emergency_stays_in_the_flat_fee(demo):
    # Zorza has the extended-hours add-on (Mon–Sat 7:00–22:00): 23:00 is after those hours too
    entry = log(demo, "kjm", "Spółdzielnia", "remote", at(2026, 5, 5, 23), 40, emergency=True)
    assert (entry.after_hours, entry.pool, entry.amount_net) == (True, Pool.FLAT_FEE, Decimal("0.00"))


# --- corrections ---------------------------------------------------------------------------------


def test_update_and_delete_recompute_the_month_and_keep_an_audit_trail(demo):
    ticket = demo.ticket("wysylki", "Elektro-Mat")
    tenant = demo.tenant("wysylki")
    big = log(demo, "wysylki", "Elektro-Mat", "remote", at(2026, 5, 4, 9), 415, ticket=ticket)  # 420: all 7 h
    later = log(demo, "wysylki", "Elektro-Mat", "remote", at(2026, 5, 5, 9), 25, ticket=ticket)
    assert (later.pool, later.amount_net) == (Pool.OVERAGE, Decimal("70.00"))
    # when the big entry is corrected to 3 h 55 min
    time_entry_update(tenant=tenant, entry=big, minutes=235)
    later.refresh_from_db()
    # then the later one now fits in the allowance
    assert (later.pool, later.deducted_minutes, later.amount_net) == (Pool.ALLOWANCE, 30, Decimal("0.00"))
    time_entry_delete(tenant=tenant, entry=later)
    assert not TimeEntry.objects.filter(pk=later.pk).exists()
    actions = list(AuditEvent.objects.filter(action__startswith="time_entry.").values_list("action", flat=True))
    assert actions.count("time_entry.created") == 2
    assert "time_entry.updated" in actions and "time_entry.deleted" in actions


def test_deleting_the_overdrawing_entry_clears_the_debt(demo):
    kjm = demo.tenant("kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    first = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 2, 5))
    ticket = demo.ticket("kjm", "Biuro Rachunkowe", received_at=at(2026, 2, 10, 8))
    log(demo, "kjm", "Biuro Rachunkowe", "phone", at(2026, 2, 10, 9), 150, ticket=ticket)
    over = log(demo, "kjm", "Biuro Rachunkowe", "phone", at(2026, 2, 11, 9), 70, ticket=ticket)
    second = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 2, 20))
    time_entry_delete(tenant=kjm, entry=over)
    first.refresh_from_db()
    second.refresh_from_db()
    # ("today" is December: the February package is past its end, no longer used up)
    assert (first.minutes_left, first.status, second.debt_minutes, second.minutes_left) == (
        30, Package.Status.EXPIRED, 0, 180)


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("changes", [{"minutes": 0}, {"minutes": 24 * 60 + 1}, {"minutes": "10"},
                                     {"kind": "juggling"}, {"started_at": at(2027, 1, 1)}])
def test_bad_input_is_a_validation_error(demo, changes):
    values = {"kind": "phone", "started_at": at(2026, 5, 4, 9), "minutes": 10, **changes}
    with pytest.raises(ValidationError):
        time_entry_log(tenant=demo.tenant("wysylki"), ticket=demo.ticket("wysylki", "Meblex"),
                       agent=demo.agent("wysylki"), **values)


def test_another_tenants_ticket_is_refused(demo):
    with pytest.raises(ValidationError):
        time_entry_log(tenant=demo.tenant("kjm"), ticket=demo.ticket("wysylki", "Meblex"), agent=demo.agent("kjm"),
                       kind="phone", started_at=at(2026, 5, 4, 9), minutes=10)
