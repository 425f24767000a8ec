"""Contract rules of subscriptions (RULES 6.3), each with the message the admin sees.

Demo subscriptions used here: Elektro-Mat on STANDARD (6-month minimum term) and Nova Hurt on EMAIL
(3 months), both from 1 January 2026; Zorza on KJM OPIEKA (30-day notice) from 1 January 2026;
Bilans on a KJM PAKIET from 5 January 2026; Kwiaciarnia Bukiet on wysylki's default plan.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.formats import date_format

from core.models import AuditEvent
from plans.models import Subscription
from plans.selectors import plan_in_force
from plans.services import (subscription_cancel, subscription_create, subscription_earliest_end,
                            subscription_set_overrides)

pytestmark = pytest.mark.usefixtures("english")


def day(value: date) -> str:
    """A date as the messages write it."""
    return date_format(value, "DATE_FORMAT")


def errors_of(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


# --- minimum term --------------------------------------------------------------------------------


def test_demo_subscriptions_start_on_the_first_of_the_month_after_acceptance(demo):
    # Given orders accepted on 10 and 15 December 2025, then they started on 1 January 2026.
    for name in ("Elektro-Mat S.A.", "Nova Hurt sp. z o.o.", "Spółdzielnia Mieszkaniowa Zorza"):
        subscription = demo.subscription(name)
        assert (subscription.starts_on, subscription.ends_on) == (date(2026, 1, 1), None)


def test_cancel_before_the_minimum_term_names_its_end(demo):
    # Given STANDARD from 1 January 2026 with a 6-month minimum term.
    subscription = demo.subscription("Elektro-Mat S.A.")
    # When it is cancelled to end on 31 March 2026.
    with pytest.raises(ValidationError) as error:
        subscription_cancel(tenant=demo.wysylki, subscription=subscription, notice_given_on=date(2026, 2, 2),
                            ends_on=date(2026, 3, 31))
    # Then the minimum term and its last day are named, and the subscription runs on.
    assert error.value.message_dict == {
        "ends_on": [f"The minimum term of STANDARD runs until {day(date(2026, 6, 30))}."]}
    subscription.refresh_from_db()
    assert subscription.ends_on is None


def test_cancel_without_a_date_ends_at_the_minimum_term(demo):
    subscription = demo.subscription("Elektro-Mat S.A.")
    cancelled = subscription_cancel(tenant=demo.wysylki, subscription=subscription, notice_given_on=date(2026, 2, 2))
    assert (cancelled.ends_on, cancelled.notice_given_on) == (date(2026, 6, 30), date(2026, 2, 2))
    assert AuditEvent.objects.for_tenant(demo.wysylki).filter(action="subscription.cancelled",
                                                              object_id=str(subscription.pk)).exists()


def test_cancel_after_the_minimum_term_ends_at_the_month_end(demo):
    subscription = demo.subscription("Elektro-Mat S.A.")
    cancelled = subscription_cancel(tenant=demo.wysylki, subscription=subscription, notice_given_on=date(2026, 9, 9))
    assert cancelled.ends_on == date(2026, 9, 30)


def test_monthly_subscription_ends_on_a_months_last_day(demo):
    subscription = demo.subscription("Elektro-Mat S.A.")
    with pytest.raises(ValidationError) as error:
        subscription_cancel(tenant=demo.wysylki, subscription=subscription, notice_given_on=date(2026, 9, 1),
                            ends_on=date(2026, 9, 15))
    assert error.value.message_dict == {
        "ends_on": [f"A subscription ends on the last day of a month: choose {day(date(2026, 9, 30))}."]}


def test_change_to_a_cheaper_plan_inside_the_minimum_term_is_refused(demo):
    # Given STANDARD (799.00) bound until 30 June 2026.
    organization = demo.organization("Elektro-Mat S.A.")
    # When START (399.00) is ordered on 10 February, to start on 1 March.
    with pytest.raises(ValidationError) as error:
        subscription_create(tenant=demo.wysylki, organization=organization, plan=demo.plan("wysylki", "start"),
                            accepted_on=date(2026, 2, 10))
    # Then the minimum term and the earliest possible start are named.
    assert error.value.message_dict == {"starts_on": [
        f"The current plan STANDARD has a minimum term until {day(date(2026, 6, 30))}; a change to a cheaper plan "
        f"can start on {day(date(2026, 7, 1))} at the earliest."]}
    assert Subscription.objects.for_tenant(demo.wysylki).filter(organization=organization).count() == 1


def test_change_to_a_cheaper_plan_after_the_minimum_term_is_allowed(demo):
    organization = demo.organization("Elektro-Mat S.A.")
    start = subscription_create(tenant=demo.wysylki, organization=organization, plan=demo.plan("wysylki", "start"),
                                accepted_on=date(2026, 6, 10))
    assert start.starts_on == date(2026, 7, 1)
    assert demo.subscription("Elektro-Mat S.A.") == start
    assert Subscription.objects.get(organization=organization, plan__code="standard").ends_on == date(2026, 6, 30)


def test_upgrade_inside_the_minimum_term_takes_effect_next_month(demo):
    # Given EMAIL from 1 January 2026, bound until 31 March.
    organization = demo.organization("Nova Hurt sp. z o.o.")
    email = demo.subscription("Nova Hurt sp. z o.o.")
    # When STANDARD is ordered on 20 January.
    standard = subscription_create(tenant=demo.wysylki, organization=organization,
                                   plan=demo.plan("wysylki", "standard"), accepted_on=date(2026, 1, 20))
    # Then STANDARD starts on 1 February and EMAIL ends the day before.
    email.refresh_from_db()
    assert (standard.starts_on, email.ends_on) == (date(2026, 2, 1), date(2026, 1, 31))
    assert plan_in_force(tenant=demo.wysylki, organization=organization, at=date(2026, 1, 31)).plan.code == "email"
    assert plan_in_force(tenant=demo.wysylki, organization=organization, at=date(2026, 2, 1)).plan.code == "standard"
    assert AuditEvent.objects.for_tenant(demo.wysylki).filter(action="subscription.ended",
                                                              object_id=str(email.pk)).exists()


# --- notice --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("notice", "earliest"), [
    (date(2026, 11, 10), date(2026, 12, 31)),   # + 30 days = 10 December -> end of December
    (date(2026, 11, 1), date(2026, 12, 31)),    # + 30 days = 1 December
    (date(2026, 10, 31), date(2026, 11, 30)),   # + 30 days = 30 November, a month's last day
])
def test_opieka_notice_of_30_days_ends_at_a_months_end(demo, notice, earliest):
    subscription = demo.subscription("Spółdzielnia Mieszkaniowa Zorza")
    assert subscription_earliest_end(subscription=subscription, notice_given_on=notice) == earliest
    cancelled = subscription_cancel(tenant=demo.kjm, subscription=subscription, notice_given_on=notice)
    assert cancelled.ends_on == earliest


def test_opieka_end_inside_the_notice_period_is_refused(demo):
    # Given notice given on 10 November 2026; when the end asked for is 30 November.
    subscription = demo.subscription("Spółdzielnia Mieszkaniowa Zorza")
    with pytest.raises(ValidationError) as error:
        subscription_cancel(tenant=demo.kjm, subscription=subscription, notice_given_on=date(2026, 11, 10),
                            ends_on=date(2026, 11, 30))
    # Then the notice period and the earliest end are named.
    assert error.value.message_dict == {"ends_on": [
        f"The notice period is 30 days: notice given on {day(date(2026, 11, 10))} allows an end on "
        f"{day(date(2026, 12, 31))} at the earliest."]}


def test_per_customer_notice_overrides_the_plans(demo):
    subscription = demo.subscription("Spółdzielnia Mieszkaniowa Zorza")
    subscription_set_overrides(tenant=demo.kjm, subscription=subscription,
                               overrides={**subscription.overrides, "notice_days": 90})
    assert subscription_earliest_end(subscription=subscription, notice_given_on=date(2026, 11, 10)) == date(2027, 2, 28)


# --- start dates ---------------------------------------------------------------------------------


def test_opieka_starting_in_the_month_of_acceptance_names_the_earliest_start(demo):
    # Given Bilans on a PAKIET; when OPIEKA accepted on 10 February is to start on 15 February.
    organization = demo.organization("Biuro Rachunkowe Bilans")
    with pytest.raises(ValidationError) as error:
        subscription_create(tenant=demo.kjm, organization=organization, plan=demo.plan("kjm", "opieka"),
                            accepted_on=date(2026, 2, 10), starts_on=date(2026, 2, 15))
    # Then the rule and the earliest start (1 March) are named.
    assert error.value.message_dict == {"starts_on": [
        f"Too early: OPIEKA starts in the calendar month after the order is accepted — the earliest start is "
        f"{day(date(2026, 3, 1))}."]}


@pytest.mark.parametrize(("accepted", "starts"), [
    (date(2026, 5, 20), date(2026, 6, 1)),
    (date(2026, 6, 1), date(2026, 7, 1)),     # accepted on a 1st: still the next month
    (date(2026, 12, 31), date(2027, 1, 1)),
])
def test_opieka_start_defaults_to_the_first_of_the_next_month(demo, accepted, starts):
    organization = demo.organization("Biuro Rachunkowe Bilans")
    opieka = subscription_create(tenant=demo.kjm, organization=organization, plan=demo.plan("kjm", "opieka"),
                                 accepted_on=accepted)
    assert opieka.starts_on == starts


def test_plan_change_starting_mid_month_is_refused(demo):
    # Given Kwiaciarnia Bukiet on the default COMMUNITY; when EMAIL accepted on 10 May starts on 10 May.
    organization = demo.organization("Kwiaciarnia Bukiet")
    with pytest.raises(ValidationError) as error:
        subscription_create(tenant=demo.wysylki, organization=organization, plan=demo.plan("wysylki", "email"),
                            accepted_on=date(2026, 5, 10), starts_on=date(2026, 5, 10))
    assert error.value.message_dict == {"starts_on": [
        f"Too early: a change of plan takes effect on the 1st of the next month — the earliest start is "
        f"{day(date(2026, 6, 1))}."]}


def test_leaving_the_default_plan_takes_effect_next_month(demo):
    organization = demo.organization("Kwiaciarnia Bukiet")
    email = subscription_create(tenant=demo.wysylki, organization=organization, plan=demo.plan("wysylki", "email"),
                                accepted_on=date(2026, 5, 10))
    assert email.starts_on == date(2026, 6, 1)
    assert plan_in_force(tenant=demo.wysylki, organization=organization, at=date(2026, 5, 31)).plan.code == "community"


def test_monthly_plan_starting_on_another_day_than_the_first_is_refused(demo):
    organization = demo.organization("Kwiaciarnia Bukiet")
    with pytest.raises(ValidationError) as error:
        subscription_create(tenant=demo.wysylki, organization=organization, plan=demo.plan("wysylki", "email"),
                            accepted_on=date(2026, 5, 10), starts_on=date(2026, 6, 15))
    assert error.value.message_dict == {"starts_on": [
        f"Subscriptions start on the 1st of a month: choose {day(date(2026, 7, 1))}."]}


def test_package_starts_on_the_day_it_is_bought(demo):
    # Given a KJM customer on the default plan (PAKIET); a package may start mid-month.
    organization = demo.organization("Wodociągi Leśne sp. z o.o.")
    Subscription.objects.filter(organization=organization).delete()
    package = subscription_create(tenant=demo.kjm, organization=organization, plan=demo.plan("kjm", "pakiet"),
                                  accepted_on=date(2026, 2, 17))
    assert package.starts_on == date(2026, 2, 17)


def test_package_cannot_start_before_it_is_bought(demo):
    organization = demo.organization("Wodociągi Leśne sp. z o.o.")
    Subscription.objects.filter(organization=organization).delete()
    with pytest.raises(ValidationError) as error:
        subscription_create(tenant=demo.kjm, organization=organization, plan=demo.plan("kjm", "pakiet"),
                            accepted_on=date(2026, 2, 17), starts_on=date(2026, 2, 1))
    assert error.value.message_dict == {"starts_on": [
        f"Too early: a subscription cannot start before the order is accepted — the earliest start is "
        f"{day(date(2026, 2, 17))}."]}


def test_overlapping_subscription_is_refused(demo):
    # Given EMAIL ordered for Kwiaciarnia Bukiet from 1 June.
    organization = demo.organization("Kwiaciarnia Bukiet")
    subscription_create(tenant=demo.wysylki, organization=organization, plan=demo.plan("wysylki", "email"),
                        accepted_on=date(2026, 5, 10))
    # When START is ordered two days later for the same 1 June.
    with pytest.raises(ValidationError) as error:
        subscription_create(tenant=demo.wysylki, organization=organization, plan=demo.plan("wysylki", "start"),
                            accepted_on=date(2026, 5, 12))
    # Then it is refused: the organization already has a subscription from that day.
    assert error.value.message_dict == {"starts_on": [
        f"The organization already has a subscription from {day(date(2026, 6, 1))}."]}
    assert Subscription.objects.for_tenant(demo.wysylki).filter(organization=organization).count() == 1


# --- overrides -----------------------------------------------------------------------------------


def _order_premium(demo, overrides):
    return subscription_create(tenant=demo.wysylki, organization=demo.organization("Kwiaciarnia Bukiet"),
                               plan=demo.plan("wysylki", "premium"), accepted_on=date(2026, 5, 10),
                               overrides=overrides)


def test_valid_overrides_are_kept(demo):
    subscription = _order_premium(demo, {"price_net": "1800.00", "reaction_minutes": 240,
                                         "service_calendar": "nonstop", "channels": ["email", "phone"]})
    terms = plan_in_force(tenant=demo.wysylki, organization=subscription.organization, at=date(2026, 6, 1)).terms
    assert (terms.price_net, terms.reaction_minutes, terms.channels) == (Decimal("1800.00"), 240, ("email", "phone"))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"colour": "red"}, "These terms cannot be set per customer: colour"),
    ({"billing_mode": "free"}, "These terms cannot be set per customer: billing_mode"),
    ({"price_net": "dużo"}, "price_net: "),
    ({"reaction_minutes": -5}, "reaction_minutes: "),
    ({"warning_percent": 150}, "warning_percent: "),
    ({"days_off_support": "maybe"}, "days_off_support: "),
    ({"days_off_support": None}, "days_off_support cannot be empty."),
    ({"email_scope": "everything"}, "email_scope: "),
    ({"channels": ["carrier pigeon"]}, "channels: "),
    ({"included_kinds": "phone"}, "included_kinds: "),
    ({"service_calendar": "weekends"}, "service_calendar: there is no calendar “weekends”."),
    ({"service_calendar": "working"}, "service_calendar: there is no calendar “working”."),   # KJM's
    ({"service_calendar": None}, "service_calendar cannot be empty."),
])
def test_invalid_overrides_are_refused(demo, overrides, message):
    with pytest.raises(ValidationError) as error:
        _order_premium(demo, overrides)
    assert list(error.value.message_dict) == ["overrides"]
    assert message in errors_of(error)
    assert not Subscription.objects.filter(organization__name="Kwiaciarnia Bukiet").exists()


def test_overrides_must_be_an_object(demo):
    with pytest.raises(ValidationError) as error:
        _order_premium(demo, ["price_net"])
    assert error.value.message_dict == {"overrides": ["Give the per-customer terms as an object."]}


def test_changing_overrides_is_validated_and_audited(demo):
    subscription = demo.subscription("MegaLogistyka S.A.")
    with pytest.raises(ValidationError):
        subscription_set_overrides(tenant=demo.wysylki, subscription=subscription, overrides={"colour": "red"})
    changed = subscription_set_overrides(tenant=demo.wysylki, subscription=subscription,
                                         overrides={**subscription.overrides, "reaction_minutes": 60})
    assert changed.overrides["reaction_minutes"] == 60
    event = AuditEvent.objects.for_tenant(demo.wysylki).get(action="subscription.overrides_changed")
    assert event.data["after"]["reaction_minutes"] == 60 and event.data["before"]["reaction_minutes"] == 120


# --- another tenant ------------------------------------------------------------------------------


def test_organization_of_another_tenant_is_refused(demo):
    with pytest.raises(ValidationError) as error:
        subscription_create(tenant=demo.wysylki, organization=demo.organization("Biuro Rachunkowe Bilans"),
                            plan=demo.plan("wysylki", "email"), accepted_on=date(2026, 5, 10))
    assert error.value.messages == ["Unknown organization or plan."]


def test_plan_of_another_tenant_is_refused(demo):
    with pytest.raises(ValidationError) as error:
        subscription_create(tenant=demo.wysylki, organization=demo.organization("Kwiaciarnia Bukiet"),
                            plan=demo.plan("kjm", "opieka"), accepted_on=date(2026, 5, 10))
    assert error.value.messages == ["Unknown organization or plan."]


def test_subscription_of_another_tenant_cannot_be_cancelled_or_changed(demo):
    subscription = demo.subscription("Spółdzielnia Mieszkaniowa Zorza")
    with pytest.raises(ValidationError) as error:
        subscription_cancel(tenant=demo.wysylki, subscription=subscription, notice_given_on=date(2026, 11, 10))
    assert error.value.messages == ["Unknown subscription."]
    with pytest.raises(ValidationError):
        subscription_set_overrides(tenant=demo.wysylki, subscription=subscription, overrides={})
    subscription.refresh_from_db()
    assert subscription.ends_on is None and subscription.overrides == {"price_net": "2200.00"}
