"""billing.pricing: VAT, statement totals, the KJM yearly update fee (RULES 6.4, 6.5)."""

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.pricing import RateTotals, Totals, gross, inactive_months, update_fee, vat
from billing.rounding import amount_net

VAT_23 = Decimal("0.23")
VAT_8 = Decimal("0.08")


# --- VAT and gross ------------------------------------------------------------------------------


def test_vat_and_gross_of_a_standard_plan_fee():
    # STANDARD: 799.00 net a month at 23 %
    assert vat(Decimal("799.00"), VAT_23) == Decimal("183.77")
    assert gross(Decimal("799.00"), VAT_23) == Decimal("982.77")


def test_vat_rounds_half_up_to_the_grosz():
    assert vat(Decimal("0.50"), Decimal("0.01")) == Decimal("0.01")  # 0.005
    assert vat(Decimal("0.49"), Decimal("0.01")) == Decimal("0.00")
    assert vat(Decimal("-0.50"), Decimal("0.01")) == Decimal("-0.01")  # correction line
    assert vat(Decimal("129.00"), Decimal("0")) == Decimal("0.00")


def test_amounts_come_back_with_two_places():
    assert str(gross(Decimal("100"), VAT_23)) == "123.00"
    assert str(vat(100, VAT_23)) == "23.00"


@pytest.mark.parametrize("rate", [Decimal("23"), Decimal("1"), Decimal("-0.23"), Decimal("NaN")])
def test_rate_must_be_a_fraction_below_one(rate):
    with pytest.raises(ValueError):
        vat(Decimal("100.00"), rate)


@pytest.mark.parametrize(("net", "rate"), [(100.0, VAT_23), (Decimal("100.00"), 0.23), ("100.00", VAT_23)])
def test_floats_and_strings_are_rejected(net, rate):
    with pytest.raises(TypeError):
        vat(net, rate)
    with pytest.raises(TypeError):
        gross(net, rate)


def test_net_must_already_be_rounded_to_the_grosz():
    with pytest.raises(ValueError, match="rounded to the grosz"):
        vat(Decimal("10.005"), VAT_23)


# --- statement totals ---------------------------------------------------------------------------


def test_vat_is_computed_once_on_the_total_net_not_per_line():
    # given three lines of 0.10 at 23 %: per line 0.023 -> 0.02 each, 0.06 summed
    lines = [Decimal("0.10")] * 3
    # when totalled
    totals = Totals.from_lines(lines, VAT_23)
    # then VAT is 23 % of 0.30 = 0.069 -> 0.07
    assert totals == Totals(
        net=Decimal("0.30"),
        vat=Decimal("0.07"),
        gross=Decimal("0.37"),
        by_rate=(RateTotals(VAT_23, Decimal("0.30"), Decimal("0.07"), Decimal("0.37")),),
    )


def test_statement_of_a_month_with_overage():
    # given STANDARD's fee and 90 minutes beyond the package at 140.00
    lines = [Decimal("799.00"), amount_net(90, Decimal("140.00"))]
    totals = Totals.from_lines(lines, VAT_23)
    assert (totals.net, totals.vat, totals.gross) == (Decimal("1009.00"), Decimal("232.07"), Decimal("1241.07"))


def test_empty_statement_totals_zero():
    totals = Totals.from_lines([], VAT_23)
    assert (str(totals.net), str(totals.vat), str(totals.gross)) == ("0.00", "0.00", "0.00")
    assert totals.by_rate == (RateTotals(VAT_23, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),)
    assert Totals.from_rated_lines([]).by_rate == ()


def test_lines_of_several_rates_are_taxed_per_rate_highest_first():
    totals = Totals.from_rated_lines(
        [
            (Decimal("0.10"), VAT_8),
            (Decimal("100.00"), VAT_23),
            (Decimal("0.10"), Decimal("0.080")),  # the same rate written differently
        ]
    )
    assert [group.rate for group in totals.by_rate] == [VAT_23, VAT_8]
    assert totals.by_rate[1] == RateTotals(VAT_8, Decimal("0.20"), Decimal("0.02"), Decimal("0.22"))
    assert (totals.net, totals.vat, totals.gross) == (Decimal("100.20"), Decimal("23.02"), Decimal("123.22"))


def test_a_line_not_rounded_to_the_grosz_is_refused():
    with pytest.raises(ValueError, match="line 2 net"):
        Totals.from_lines([Decimal("1.00"), Decimal("1.005")], VAT_23)


def test_totals_that_do_not_add_up_cannot_be_built():
    with pytest.raises(ValueError, match="is not net"):
        Totals(net=Decimal("1.00"), vat=Decimal("0.23"), gross=Decimal("1.24"))


# --- yearly update fee --------------------------------------------------------------------------


def test_update_fee_for_opieka_from_april():
    # given an update worth 1 200.00 and OPIEKA active April-December
    assert update_fee(Decimal("1200.00"), set(range(4, 13))) == Decimal("300.00")
    assert update_fee(Decimal("1200.00"), 9) == Decimal("300.00")


def test_update_fee_is_free_after_a_full_year_and_full_price_without_opieka():
    assert str(update_fee(Decimal("1200.00"), set(range(1, 13)))) == "0.00"
    assert update_fee(Decimal("1200.00"), set()) == Decimal("1200.00")
    assert update_fee(Decimal("1200.00"), 0) == Decimal("1200.00")


def test_update_fee_rounds_once_at_the_end():
    # 1000.00 × 5/12 = 416.666…; rounding the monthly 83.33 first would give 416.65
    assert update_fee(Decimal("1000.00"), 7) == Decimal("416.67")
    # 100.00 for a year without OPIEKA is 100.00, not 12 × 8.33 = 99.96
    assert update_fee(Decimal("100.00"), 0) == Decimal("100.00")


def test_update_fee_ignores_the_callers_decimal_context():
    with localcontext() as ctx:
        ctx.prec = 2
        assert update_fee(Decimal("1000.00"), 7) == Decimal("416.67")


def test_active_months_as_any_collection_of_month_numbers():
    assert inactive_months(frozenset({1, 2})) == 10
    assert inactive_months([4, 4, 5]) == 10  # a repeated month counts once


@pytest.mark.parametrize("active", [13, -1, {0}, {13}])
def test_months_out_of_range_raise_value_error(active):
    with pytest.raises(ValueError):
        update_fee(Decimal("1200.00"), active)


@pytest.mark.parametrize("active", [True, 9.0, "4-12", {4.0}, None])
def test_months_of_the_wrong_type_raise_type_error(active):
    with pytest.raises(TypeError):
        update_fee(Decimal("1200.00"), active)


def test_update_value_must_be_a_non_negative_decimal():
    with pytest.raises(ValueError):
        update_fee(Decimal("-1.00"), 6)
    with pytest.raises(TypeError):
        update_fee(1200.0, 6)


# --- properties ---------------------------------------------------------------------------------

amounts = st.decimals(
    min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2, allow_nan=False, allow_infinity=False
)
rates = st.decimals(min_value=0, max_value=Decimal("0.99"), places=2, allow_nan=False, allow_infinity=False)


def _reference_grosze(exact: Fraction) -> Fraction:
    """Brute force: of the two neighbouring grosze, the nearer; on a tie, away from zero."""
    sign = -1 if exact < 0 else 1
    magnitude = abs(exact)
    below = Fraction(math.floor(magnitude * 100), 100)
    above = below + Fraction(1, 100)
    return sign * (below if magnitude - below < above - magnitude else above)


@given(net=amounts, rate=rates)
def test_vat_is_exact_to_the_grosz_and_net_plus_vat_is_gross(net, rate):
    assert Fraction(vat(net, rate)) == _reference_grosze(Fraction(net) * Fraction(rate))
    assert net + vat(net, rate) == gross(net, rate)
    assert gross(net, rate).as_tuple().exponent == -2


@given(lines=st.lists(st.tuples(amounts, st.sampled_from([VAT_23, VAT_8, Decimal("0.05"), Decimal("0")]))))
def test_totals_always_add_up(lines):
    totals = Totals.from_rated_lines(lines)
    assert totals.net + totals.vat == totals.gross
    assert totals.net == sum((net for net, _ in lines), Decimal(0))
    assert totals.vat == sum((group.vat for group in totals.by_rate), Decimal(0))
    for group in totals.by_rate:
        assert group.vat == vat(group.net, group.rate)
        assert group.net + group.vat == group.gross


@given(lines=st.lists(amounts, max_size=30), rate=rates)
def test_single_rate_totals_tax_the_sum(lines, rate):
    totals = Totals.from_lines(lines, rate)
    net = sum(lines, Decimal(0))
    assert (totals.net, totals.vat, totals.gross) == (net, vat(net, rate), gross(net, rate))


values = st.decimals(min_value=0, max_value=Decimal("1000000"), places=2, allow_nan=False, allow_infinity=False)


@given(value=values)
def test_update_fee_for_every_number_of_inactive_months_matches_the_exact_fraction(value):
    fees = []
    for inactive in range(13):
        fee = update_fee(value, 12 - inactive)
        assert Fraction(fee) == _reference_grosze(Fraction(value) * inactive / 12)
        fees.append(fee)
    assert fees == sorted(fees)
    assert fees[0] == 0 and fees[12] == value


@given(value=values, active=st.sets(st.integers(min_value=1, max_value=12)))
def test_update_fee_from_a_set_of_months_equals_the_fee_from_its_count(value, active):
    assert update_fee(value, active) == update_fee(value, len(active))
