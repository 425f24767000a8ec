"""Versioned plan terms (RULES 2): an edit is a new version from a date; old versions stay readable."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

from core.models import AuditEvent
from plans.models import PlanTerms
from plans.selectors import plan_in_force, plan_terms_history, plan_terms_in_force
from plans.services import plan_terms_update
from tests import factories

ON = date(2026, 6, 15)

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def email_plan(demo):
    return demo.plan("wysylki", "email")


def snapshot(terms: PlanTerms) -> dict:
    return model_to_dict(terms)


def test_update_creates_the_next_version_from_its_date(demo, email_plan):
    # Given EMAIL at version 1.
    v1 = plan_terms_in_force(tenant=demo.wysylki, plan=email_plan, on=ON)
    before = snapshot(v1)
    # When the price and reaction time change from 1 July 2026.
    v2 = plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1),
                           changes={"price_net": Decimal("139.00"), "reaction_minutes": 10 * 60},
                           note="Nowy cennik")
    # Then version 2 carries the changes and every other term of version 1.
    assert (v2.version, v2.effective_from, v2.change_note) == (2, date(2026, 7, 1), "Nowy cennik")
    assert (v2.price_net, v2.reaction_minutes) == (Decimal("139.00"), 600)
    assert v2.email_limit_minutes == v1.email_limit_minutes and v2.service_calendar == v1.service_calendar
    # And version 1 is unchanged and still readable in the history.
    v1.refresh_from_db()
    assert snapshot(v1) == before
    assert [t.version for t in plan_terms_history(tenant=demo.wysylki, plan=email_plan)] == [2, 1]


@pytest.mark.parametrize(("on", "version", "price"), [
    (date(2026, 6, 30), 1, Decimal("129.00")),   # the day before: the old terms
    (date(2026, 7, 1), 2, Decimal("139.00")),    # from effective_from: the new ones
    (date(2027, 1, 1), 2, Decimal("139.00")),
    (date(2024, 12, 31), None, None),            # before the first version there are no terms
])
def test_terms_in_force_by_date(demo, email_plan, on, version, price):
    # Given version 2 from 1 July 2026.
    plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1),
                      changes={"price_net": Decimal("139.00")})
    # When the terms in force on a date are read.
    terms = plan_terms_in_force(tenant=demo.wysylki, plan=email_plan, on=on)
    # Then the version whose period contains the date answers.
    got = (terms.version, terms.price_net) if terms is not None else (None, None)
    assert got == (version, price)


def test_two_versions_on_the_same_day_the_higher_wins(demo, email_plan):
    # Given two edits taking effect on the same day.
    plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1),
                      changes={"price_net": Decimal("139.00")})
    plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1),
                      changes={"price_net": Decimal("149.00")}, note="korekta")
    # Then on that day the later version is in force.
    terms = plan_terms_in_force(tenant=demo.wysylki, plan=email_plan, on=date(2026, 7, 1))
    assert (terms.version, terms.price_net) == (3, Decimal("149.00"))


def test_no_op_edit_is_refused(demo, email_plan):
    # Given EMAIL at 129.00; when an edit sets the same price (even written as text).
    for changes in ({"price_net": Decimal("129.00")}, {"price_net": "129.00"}, {}):
        with pytest.raises(ValidationError) as error:
            plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1), changes=changes)
        # Then nothing is recorded and the error says why.
        assert "Nothing changed" in error.value.messages[0] and "version 1" in error.value.messages[0]
    assert PlanTerms.objects.filter(plan=email_plan).count() == 1


@pytest.mark.parametrize("field", ["colour", "version", "tenant", "created_by"])
def test_unknown_or_bookkeeping_field_is_refused(demo, email_plan, field):
    with pytest.raises(ValidationError) as error:
        plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1),
                          changes={field: 1, "price_net": Decimal("139.00")})
    assert error.value.message_dict == {field: ["Not a plan term."]}


def test_bad_value_is_refused_with_the_field_named(demo, email_plan):
    with pytest.raises(ValidationError) as error:
        plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1),
                          changes={"price_net": "dużo"})
    assert "price_net" in error.value.message_dict


def test_another_tenants_calendar_is_refused(demo, email_plan):
    # Given a KJM calendar; when wysylki's EMAIL is pointed at it.
    kjm_calendar = demo.calendar("kjm", "working")
    with pytest.raises(ValidationError) as error:
        plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1),
                          changes={"service_calendar": kjm_calendar})
    # Then it is an unknown calendar and nothing is recorded.
    assert error.value.message_dict == {"service_calendar": ["Unknown calendar."]}
    assert PlanTerms.objects.filter(plan=email_plan).count() == 1


def test_another_tenants_plan_is_refused(demo):
    with pytest.raises(ValidationError) as error:
        plan_terms_update(tenant=demo.wysylki, plan=demo.plan("kjm", "opieka"), effective_from=date(2026, 7, 1),
                          changes={"notice_days": 60})
    assert error.value.message_dict == {"plan": ["Unknown plan."]}


def test_a_version_cannot_take_effect_before_the_latest_one(demo, email_plan):
    # Given version 2 from 1 July 2026; when an edit would take effect in March.
    plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1),
                      changes={"price_net": Decimal("139.00")})
    with pytest.raises(ValidationError) as error:
        plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 3, 1),
                          changes={"reaction_minutes": 600})
    # Then it is refused: it would carry version 2's price into March and vanish again in July.
    assert "effective_from" in error.value.message_dict


def test_update_writes_an_audit_event(demo, email_plan):
    admin = demo.user("admin@wysylki.example.com")
    version = plan_terms_update(tenant=demo.wysylki, plan=email_plan, effective_from=date(2026, 7, 1),
                                changes={"price_net": Decimal("139.00")}, actor=admin)
    event = AuditEvent.objects.for_tenant(demo.wysylki).get(action="plan_terms.changed")
    assert (event.actor, event.object_type, event.object_id) == (admin, "plans.planterms", str(version.pk))
    assert event.data == {"changes": {"price_net": ["129.00", "139.00"]}, "effective_from": "2026-07-01"}


# --- terms of an organization: overrides and add-ons -------------------------------------------


def test_premium_organization_gets_its_contract_terms(demo):
    # Given MegaLogistyka on PREMIUM with per-contract terms.
    organization = demo.organization("MegaLogistyka S.A.")
    # When its terms in force are read.
    current = plan_in_force(tenant=demo.wysylki, organization=organization, at=ON)
    terms = current.terms
    # Then the contract's values replace "per contract" and the 24/7 calendar applies.
    assert current.plan.code == "premium" and current.subscription is not None
    assert terms.price_net == Decimal("2500.00") and terms.hourly_rate_net == Decimal("120.00")
    assert (terms.minimum_term_months, terms.reaction_minutes, terms.included_minutes) == (12, 120, 1200)
    assert (terms.days_off_support, terms.email_limit_minutes, terms.queue_priority) == (True, 3000, 5)
    assert terms.service_calendar == demo.calendar("wysylki", "nonstop").to_spec()
    # And the plan's own terms stay as the catalogue has them.
    plan_terms = plan_terms_in_force(tenant=demo.wysylki, plan=current.plan, on=ON)
    assert plan_terms.price_net is None and plan_terms.reaction_minutes is None


def test_kjm_addons_extend_hours_and_products(demo):
    # Given Zorza on OPIEKA with the extended-hours and data-warehouse add-ons.
    organization = demo.organization("Spółdzielnia Mieszkaniowa Zorza")
    terms = plan_in_force(tenant=demo.kjm, organization=organization, at=ON).terms
    # Then its service hours are the extended calendar, the critical hours stay, and the warehouse is covered.
    assert terms.service_calendar == demo.calendar("kjm", "extended").to_spec()
    assert terms.service_calendar["windows"]["sat"] == [["07:00", "22:00"]]
    assert terms.critical_calendar == demo.calendar("kjm", "critical").to_spec()
    assert terms.covers_product("hurtownia") and terms.covers_product("soot")
    assert terms.hours_addon and set(terms.addons) == {"extended_hours", "extra_product"}
    assert terms.price_net == Decimal("2200.00")


def test_opieka_without_addons_keeps_the_plan_terms(demo):
    organization = demo.organization("Wodociągi Leśne sp. z o.o.")
    terms = plan_in_force(tenant=demo.kjm, organization=organization, at=ON).terms
    assert terms.service_calendar == demo.calendar("kjm", "working").to_spec()
    assert not terms.covers_product("hurtownia") and not terms.hours_addon


def test_the_day_is_taken_in_the_tenants_zone(demo):
    # Given Wodociągi's OPIEKA from 1 April 2026 (accepted 16 March); before it, KJM's default plan.
    organization = demo.organization("Wodociągi Leśne sp. z o.o.")
    # When read at 31 March 23:30 UTC, which is already 1 April 01:30 in Warsaw.
    current = plan_in_force(tenant=demo.kjm, organization=organization,
                            at=datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc))
    # Then OPIEKA applies; an hour earlier in Warsaw (31 March) the default plan still does.
    assert current.plan.code == "opieka"
    before = plan_in_force(tenant=demo.kjm, organization=organization,
                           at=datetime(2026, 3, 31, 21, 30, tzinfo=timezone.utc))
    assert before.plan.code == "pakiet" and before.subscription is None


def test_new_terms_version_reaches_organizations_from_its_date(demo):
    # Given Nova Hurt on EMAIL, and EMAIL's reaction time shortened from 1 July 2026.
    organization = demo.organization("Nova Hurt sp. z o.o.")
    plan_terms_update(tenant=demo.wysylki, plan=demo.plan("wysylki", "email"), effective_from=date(2026, 7, 1),
                      changes={"reaction_minutes": 6 * 60})
    # Then the organization's terms follow the date.
    june = plan_in_force(tenant=demo.wysylki, organization=organization, at=date(2026, 6, 30)).terms
    assert june.reaction_minutes == 720
    july = plan_in_force(tenant=demo.wysylki, organization=organization, at=date(2026, 7, 1)).terms
    assert (july.reaction_minutes, july.version) == (360, 2)


def test_factory_plan_has_a_first_version(db):
    # Given a plan made by the factory (through plan_create), then it has version 1 from its date.
    plan = factories.PlanFactory(terms={"reaction_minutes": 60})
    (terms,) = plan.terms_versions.all()
    assert (terms.version, terms.effective_from, terms.reaction_minutes) == (1, date(2025, 1, 1), 60)
    assert terms.service_calendar.tenant == plan.tenant
