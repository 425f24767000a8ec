"""billing.rounding: time entries -> billed and deducted minutes -> money (RULES 5)."""

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.rounding import (
    GROSZ,
    RoundingRule,
    amount_net,
    billed_minutes,
    billed_total,
    deducted_minutes,
    round_money,
    round_total,
)

# The demo catalogue's terms, as a tenant admin would have entered them.
SEED_000 = RoundingRule.from_terms(units={"phone": 15, "remote": 30}, minutes_added=5)
KJM_PAKIET = RoundingRule.from_terms(default_unit=30, after_hours_multiplier=Decimal("2"))


# --- worked examples ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "actual", "billed"),
    [
        ("phone", 10, 15),
        ("phone", 11, 30),
        ("remote", 25, 30),
        ("remote", 26, 60),
    ],
)
def test_seed_000_adds_five_minutes_then_bills_per_started_unit(kind, actual, billed):
    assert billed_minutes(actual, kind, SEED_000) == billed


def test_seed_000_kind_without_a_unit_is_not_rounded_but_still_gets_the_record_minutes():
    # default_unit 1: e.g. development work billed by the minute.
    assert billed_minutes(7, "development", SEED_000) == 12


def test_kjm_pakiet_rounds_every_intervention_up_to_half_an_hour():
    assert billed_minutes(70, "phone", KJM_PAKIET) == 90
    assert billed_minutes(70, "remote", KJM_PAKIET) == 90
    assert billed_minutes(30, "remote", KJM_PAKIET) == 30
    assert billed_minutes(1, "remote", KJM_PAKIET) == 30


def test_kjm_pakiet_after_hours_emergency_is_deducted_double():
    # given 40 minutes of emergency work outside working hours
    billed = billed_minutes(40, "remote", KJM_PAKIET)
    # then 60 minutes are billed and 120 deducted from the package
    assert billed == 60
    assert deducted_minutes(billed, KJM_PAKIET, after_hours=True) == 120
    assert deducted_minutes(billed, KJM_PAKIET, after_hours=False) == 60


def test_overage_90_minutes_at_140_is_210():
    assert amount_net(90, Decimal("140.00")) == Decimal("210.00")


# --- decisions and edges ------------------------------------------------------------------------


def test_zero_actual_minutes_bills_zero_even_with_record_minutes():
    assert billed_minutes(0, "phone", SEED_000) == 0
    assert billed_minutes(0, "remote", KJM_PAKIET) == 0


def test_fractional_multiplier_rounds_the_deduction_up():
    rule = RoundingRule.from_terms(default_unit=1, after_hours_multiplier="1.5")
    assert deducted_minutes(15, rule, after_hours=True) == 23  # 22.5
    assert deducted_minutes(14, rule, after_hours=True) == 21


def test_per_period_rule_bills_entries_raw_and_rounds_the_total_once():
    # given a rule that rounds the month's total per started 30 minutes, 5 minutes per record
    rule = RoundingRule.from_terms(units={"remote": 30}, minutes_added=5, per_intervention=False)
    # when three entries of 10 minutes are logged
    entries = [10, 10, 10]
    # then each entry counts 15 and the total 45 is rounded to 60 (not 3 × 30 = 90)
    assert [billed_minutes(m, "remote", rule) for m in entries] == [15, 15, 15]
    assert round_total(45, "remote", rule) == 60
    assert billed_total(entries, "remote", rule) == 60


def test_billed_total_per_intervention_sums_rounded_entries():
    assert billed_total([10, 11], "phone", SEED_000) == 45
    assert billed_total([], "phone", SEED_000) == 0
    assert round_total(45, "phone", SEED_000) == 45


def test_round_total_of_zero_is_zero():
    assert round_total(0, "remote", KJM_PAKIET) == 0


def test_amount_net_rounds_half_up_to_the_grosz():
    assert amount_net(20, Decimal("100.00")) == Decimal("33.33")
    assert amount_net(1, Decimal("0.30")) == Decimal("0.01")  # 0.005 -> 0.01
    assert amount_net(1, Decimal("0.29")) == Decimal("0.00")  # 0.00483…
    assert amount_net(0, Decimal("165.00")) == Decimal("0.00")
    assert amount_net(60, 200) == Decimal("200.00")


def test_amount_net_ignores_the_callers_decimal_context():
    with localcontext() as ctx:
        ctx.prec = 3
        assert amount_net(90, Decimal("140.00")) == Decimal("210.00")
        assert amount_net(59, Decimal("12345.67")) == Decimal("12139.91")


def test_round_money_halves_go_away_from_zero():
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("-0.005")) == Decimal("-0.01")
    assert round_money(Decimal("-0.004")) == Decimal("0.00")
    assert round_money(Fraction(1, 3)) == Decimal("0.33")
    assert str(round_money(7)) == "7.00"


def test_rule_is_frozen_and_does_not_follow_later_edits_of_the_callers_dict():
    units = {"phone": 15}
    rule = RoundingRule.from_terms(units=units)
    units["phone"] = 60
    assert rule.unit_for("phone") == 15
    with pytest.raises(TypeError):
        rule.units["phone"] = 60  # type: ignore[index]


def test_rules_with_the_same_terms_are_equal_and_hash_alike():
    other = RoundingRule(
        units={"remote": 30, "phone": 15},
        default_unit=1,
        minutes_added=5,
        per_intervention=True,
        after_hours_multiplier=Decimal("1.0"),
    )
    assert other == SEED_000
    assert hash(other) == hash(SEED_000)


def test_from_terms_takes_a_multiplier_as_string_or_int():
    assert RoundingRule.from_terms(after_hours_multiplier="2").after_hours_multiplier == Decimal(2)
    assert RoundingRule.from_terms(after_hours_multiplier=2).after_hours_multiplier == Decimal(2)


# --- invalid input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"units": {"phone": 0}}, "units\\['phone'\\] must be a positive"),
        ({"units": {"phone": -15}}, "units\\['phone'\\] must be a positive"),
        ({"units": {"": 15}}, "non-empty str"),
        ({"default_unit": 0}, "default_unit must be a positive"),
        ({"minutes_added": -1}, "minutes_added must not be negative"),
        ({"after_hours_multiplier": Decimal("0.5")}, "after_hours_multiplier must be a finite number >= 1"),
        ({"after_hours_multiplier": "NaN"}, "after_hours_multiplier must be a finite number >= 1"),
        ({"after_hours_multiplier": "Infinity"}, "after_hours_multiplier must be a finite number >= 1"),
        ({"after_hours_multiplier": "two"}, "after_hours_multiplier must be a decimal number"),
    ],
)
def test_invalid_terms_raise_value_error(terms, message):
    with pytest.raises(ValueError, match=message):
        RoundingRule.from_terms(**terms)


@pytest.mark.parametrize(
    "terms",
    [
        {"units": {"phone": 15.0}},
        {"units": {"phone": True}},
        {"units": [("phone", 15)]},
        {"default_unit": 30.0},
        {"minutes_added": 5.0},
        {"per_intervention": 1},
        {"after_hours_multiplier": 2.0},
        {"after_hours_multiplier": True},
    ],
)
def test_terms_of_the_wrong_type_raise_type_error(terms):
    with pytest.raises(TypeError):
        RoundingRule.from_terms(**terms)


def test_direct_construction_is_validated_too():
    with pytest.raises(ValueError, match="minutes_added"):
        RoundingRule(
            units={}, default_unit=1, minutes_added=-5, per_intervention=True, after_hours_multiplier=Decimal(1)
        )


def test_negative_minutes_raise_value_error():
    with pytest.raises(ValueError, match="actual_minutes must not be negative"):
        billed_minutes(-1, "phone", SEED_000)
    with pytest.raises(ValueError, match="total_minutes"):
        round_total(-1, "phone", SEED_000)
    with pytest.raises(ValueError, match="billed"):
        deducted_minutes(-30, KJM_PAKIET, after_hours=True)
    with pytest.raises(ValueError, match="minutes"):
        amount_net(-1, Decimal("140.00"))


@pytest.mark.parametrize("minutes", [10.0, Decimal("10"), "10", True, None])
def test_minutes_must_be_ints(minutes):
    with pytest.raises(TypeError):
        billed_minutes(minutes, "phone", SEED_000)
    with pytest.raises(TypeError):
        amount_net(minutes, Decimal("140.00"))


def test_floats_are_rejected_in_money():
    with pytest.raises(TypeError, match="float"):
        amount_net(90, 140.0)
    with pytest.raises(TypeError, match="float"):
        round_money(0.1)
    with pytest.raises(TypeError):
        amount_net(90, "140.00")


def test_invalid_rates_and_flags():
    with pytest.raises(ValueError, match="hourly_rate must not be negative"):
        amount_net(60, Decimal("-1.00"))
    with pytest.raises(ValueError, match="finite"):
        amount_net(60, Decimal("NaN"))
    with pytest.raises(TypeError, match="after_hours"):
        deducted_minutes(60, KJM_PAKIET, after_hours=1)
    with pytest.raises(TypeError, match="kind"):
        billed_minutes(10, None, SEED_000)


# --- properties ---------------------------------------------------------------------------------

kinds = st.sampled_from(["phone", "remote", "email", "development", "on_site"])
unit_minutes = st.integers(min_value=1, max_value=240)
minutes = st.integers(min_value=0, max_value=100_000)
multipliers = st.decimals(min_value=1, max_value=10, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def rules(draw, *, minutes_added=st.integers(min_value=0, max_value=30), per_intervention=st.just(True)):
    return RoundingRule.from_terms(
        units=draw(st.dictionaries(kinds, unit_minutes, max_size=3)),
        default_unit=draw(unit_minutes),
        minutes_added=draw(minutes_added),
        per_intervention=draw(per_intervention),
        after_hours_multiplier=draw(multipliers),
    )


@given(rule=rules(), kind=kinds, actual=minutes.filter(bool))
def test_billed_covers_the_work_and_the_record_by_less_than_one_unit(rule, kind, actual):
    billed = billed_minutes(actual, kind, rule)
    assert billed >= actual + rule.minutes_added
    assert billed - (actual + rule.minutes_added) < rule.unit_for(kind)


@given(rule=rules(), kind=kinds, actual=minutes)
def test_billed_is_a_multiple_of_the_unit(rule, kind, actual):
    assert billed_minutes(actual, kind, rule) % rule.unit_for(kind) == 0


@given(rule=rules(), kind=kinds, a=minutes, b=minutes)
def test_billed_is_monotonic_in_actual(rule, kind, a, b):
    low, high = sorted((a, b))
    assert billed_minutes(low, kind, rule) <= billed_minutes(high, kind, rule)


@given(rule=rules(minutes_added=st.just(0)), kind=kinds, actual=minutes)
def test_billing_an_already_billed_value_gives_it_back_when_nothing_is_added(rule, kind, actual):
    billed = billed_minutes(actual, kind, rule)
    assert billed_minutes(billed, kind, rule) == billed


@given(rule=rules(), kind=kinds, actual=minutes)
def test_billed_matches_the_rule_as_written(rule, kind, actual):
    unit = rule.unit_for(kind)
    expected = 0 if actual == 0 else math.ceil(Fraction(actual + rule.minutes_added, unit)) * unit
    assert billed_minutes(actual, kind, rule) == expected


@given(rule=rules(), kind=kinds, total=minutes)
def test_round_total_is_idempotent_and_a_multiple_of_the_unit(rule, kind, total):
    rounded = round_total(total, kind, rule)
    assert rounded >= total
    assert rounded % rule.unit_for(kind) == 0
    assert round_total(rounded, kind, rule) == rounded


@given(
    rule=rules(per_intervention=st.booleans()),
    kind=kinds,
    entries=st.lists(st.integers(min_value=0, max_value=600), max_size=20),
)
def test_per_period_rounding_never_bills_more_than_per_intervention(rule, kind, entries):
    per_entry = RoundingRule.from_terms(
        units=dict(rule.units),
        default_unit=rule.default_unit,
        minutes_added=rule.minutes_added,
        per_intervention=True,
    )
    per_period = RoundingRule.from_terms(
        units=dict(rule.units),
        default_unit=rule.default_unit,
        minutes_added=rule.minutes_added,
        per_intervention=False,
    )
    worked = sum(m + rule.minutes_added for m in entries if m)
    assert worked <= billed_total(entries, kind, per_period) <= billed_total(entries, kind, per_entry)


@given(rule=rules(), billed=minutes, after_hours=st.booleans())
def test_deducted_is_at_least_billed_and_the_smallest_whole_minute_covering_the_multiple(
    rule, billed, after_hours
):
    deducted = deducted_minutes(billed, rule, after_hours=after_hours)
    assert deducted >= billed
    if after_hours:
        exact = Fraction(rule.after_hours_multiplier) * billed
        assert exact <= deducted < exact + 1
    else:
        assert deducted == billed


def _reference_grosze(exact: Fraction) -> Fraction:
    """Brute force: of the two neighbouring grosze, the nearer; on a tie, the larger magnitude."""
    assert exact >= 0
    below = Fraction(math.floor(exact * 100), 100)
    above = below + Fraction(1, 100)
    return below if exact - below < above - exact else above


rates = st.decimals(min_value=0, max_value=Decimal("100000"), places=2, allow_nan=False, allow_infinity=False)


@given(billed=minutes, rate=rates)
def test_amount_net_is_exact_to_the_grosz(billed, rate):
    amount = amount_net(billed, rate)
    assert amount.as_tuple().exponent == -2
    assert Fraction(amount) == _reference_grosze(Fraction(billed) * Fraction(rate) / 60)


@given(a=minutes, b=minutes, rate=rates)
def test_amount_net_is_monotonic_in_minutes(a, b, rate):
    low, high = sorted((a, b))
    assert amount_net(low, rate) <= amount_net(high, rate)


@given(
    value=st.decimals(
        min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6, allow_nan=False, allow_infinity=False
    )
)
def test_round_money_agrees_with_decimal_quantize_half_up(value):
    with localcontext() as ctx:
        ctx.prec = 50
        expected = value.quantize(GROSZ, rounding=ROUND_HALF_UP)
    assert round_money(value) == expected
    assert round_money(value).as_tuple().exponent == -2


@given(numerator=st.integers(min_value=-(10**12), max_value=10**12), denominator=st.integers(1, 10**6))
def test_round_money_is_within_half_a_grosz(numerator, denominator):
    exact = Fraction(numerator, denominator)
    assert abs(Fraction(round_money(exact)) - exact) <= Fraction(1, 200)


@given(half_grosze=st.integers(min_value=-(10**9), max_value=10**9))
def test_round_money_takes_a_tie_away_from_zero(half_grosze):
    tie = Fraction(2 * half_grosze + 1, 200)
    rounded = Fraction(round_money(tie))
    assert abs(rounded - tie) == Fraction(1, 200)
    assert abs(rounded) > abs(tie)
