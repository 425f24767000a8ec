"""VAT, statement totals and the KJM yearly update fee (RULES 6.4, 6.5).

A pure core like ``billing.rounding``: ``Decimal`` in, ``Decimal`` out, exact intermediate
arithmetic and one ``ROUND_HALF_UP`` rounding to the grosz at the end. Rates and values come from
the terms; nothing here knows that the demo catalogue uses 23 %.

A VAT rate is a fraction: 23 % is ``Decimal("0.23")``. Rates of 1 or more are refused, since a
``23`` passed by mistake would otherwise bill 2300 % VAT.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from billing.rounding import exact_number, round_money

__all__ = [
    "MONTHS_PER_YEAR",
    "RateTotals",
    "Totals",
    "gross",
    "inactive_months",
    "update_fee",
    "update_fee_due",
    "update_known_month",
    "vat",
]

MONTHS_PER_YEAR = 12


def _require_rate(rate: object) -> Fraction:
    exact = exact_number("rate", rate)
    if not 0 <= exact < 1:
        raise ValueError(f"rate must be a fraction in [0, 1) (23 % is Decimal('0.23')), got {rate}")
    return exact


def _require_grosze(name: str, amount: object) -> Fraction:
    """An amount that is already a whole number of grosze (a rounded line or total)."""
    exact = exact_number(name, amount)
    if (exact * 100).denominator != 1:
        raise ValueError(f"{name} must already be rounded to the grosz, got {amount}")
    return exact


def vat(net: Decimal, rate: Decimal) -> Decimal:
    """VAT on a net amount at ``rate``, rounded to the grosz half up. ``net`` may be negative
    (a correction); it must already be rounded to the grosz."""
    return round_money(_require_grosze("net", net) * _require_rate(rate))


def gross(net: Decimal, rate: Decimal) -> Decimal:
    """``net + vat(net, rate)``, so the identity holds to the grosz by construction."""
    return round_money(_require_grosze("net", net)) + vat(net, rate)


@dataclass(frozen=True)
class RateTotals:
    """Net, VAT and gross of the lines that share one VAT rate."""

    rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Totals:
    """Totals of a statement: ``net + vat == gross`` always holds exactly.

    VAT is computed once per rate on the sum of the net lines, not line by line and summed: that is
    how a Polish invoice computes it (the tax of each rate is taken on the total net of that rate),
    and per-line rounding would let the VAT drift from "rate × net" by up to half a grosz per line.
    Each line's net must already be rounded to the grosz (``amount_net``, a fee from the terms), so
    the printed lines add up to the printed net.
    """

    net: Decimal
    vat: Decimal
    gross: Decimal
    by_rate: tuple[RateTotals, ...] = ()

    def __post_init__(self) -> None:
        for name in ("net", "vat", "gross"):
            _require_grosze(name, getattr(self, name))
        if self.net + self.vat != self.gross:
            raise ValueError(f"gross {self.gross} is not net {self.net} + vat {self.vat}")

    @classmethod
    def from_lines(cls, nets: Iterable[Decimal], rate: Decimal) -> Totals:
        """Totals of lines that all carry ``rate``; an empty statement totals 0.00."""
        _require_rate(rate)
        totals = cls.from_rated_lines((net, rate) for net in nets)
        if not totals.by_rate:
            zero = round_money(0)
            return cls(net=zero, vat=zero, gross=zero, by_rate=(RateTotals(rate, zero, zero, zero),))
        return totals

    @classmethod
    def from_rated_lines(cls, lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
        """Totals of ``(net, rate)`` lines: VAT once per rate, highest rate first."""
        net_by_rate: dict[Fraction, Fraction] = {}
        rate_shown: dict[Fraction, Decimal] = {}
        for position, (net, rate) in enumerate(lines, start=1):
            exact_rate = _require_rate(rate)
            exact_net = _require_grosze(f"line {position} net", net)
            net_by_rate[exact_rate] = net_by_rate.get(exact_rate, Fraction(0)) + exact_net
            rate_shown.setdefault(exact_rate, rate)

        groups = []
        for exact_rate in sorted(net_by_rate, reverse=True):
            rate_net = round_money(net_by_rate[exact_rate])
            rate_vat = vat(rate_net, rate_shown[exact_rate])
            groups.append(RateTotals(rate_shown[exact_rate], rate_net, rate_vat, rate_net + rate_vat))

        net_total = round_money(sum((group.net for group in groups), Decimal(0)))
        vat_total = round_money(sum((group.vat for group in groups), Decimal(0)))
        return cls(net=net_total, vat=vat_total, gross=net_total + vat_total, by_rate=tuple(groups))


def inactive_months(active_months: Iterable[int] | int) -> int:
    """Months of a calendar year without OPIEKA, from the set of active month numbers (1–12) or
    from a count of active months."""
    if isinstance(active_months, bool):
        raise TypeError("active_months must be a set of month numbers or an int count, got bool")
    if isinstance(active_months, int):
        if not 0 <= active_months <= MONTHS_PER_YEAR:
            raise ValueError(f"active_months must be between 0 and 12, got {active_months}")
        return MONTHS_PER_YEAR - active_months
    if isinstance(active_months, str | bytes) or not isinstance(active_months, Iterable):
        raise TypeError(
            "active_months must be a set of month numbers or an int count, "
            f"got {type(active_months).__name__}"
        )
    months = set()
    for month in active_months:
        if isinstance(month, bool) or not isinstance(month, int):
            raise TypeError(f"active_months: a month must be an int 1-12, got {month!r}")
        if not 1 <= month <= MONTHS_PER_YEAR:
            raise ValueError(f"active_months: a month must be between 1 and 12, got {month}")
        months.add(month)
    return MONTHS_PER_YEAR - len(months)


def update_fee(update_value: Decimal, active_months: Iterable[int] | int) -> Decimal:
    """Net fee for KJM's yearly update (RULES 6.5): ``value ÷ 12 × months without OPIEKA``.

    A full year of OPIEKA pays 0.00. Update 1 200.00 with OPIEKA from 1 April: 3 inactive months,
    300.00. The fraction is kept exact and rounded once, so 1 000.00 × 5/12 is 416.67 (rounding the
    monthly 83.33 first would give 416.65).
    """
    value = exact_number("update_value", update_value)
    if value < 0:
        raise ValueError(f"update_value must not be negative, got {update_value}")
    return round_money(value * inactive_months(active_months) / MONTHS_PER_YEAR)


def update_known_month(month: int, active_months: Iterable[int]) -> int | None:
    """The month in which a month without OPIEKA becomes known, and so is charged (RULES 6.5).

    * a month before the year's first OPIEKA month is known in that first month (activation in the
      course of the year);
    * a month after an OPIEKA month (the end, or a gap before a re-activation) is known in the last
      OPIEKA month before it: the month of the end;
    * an OPIEKA month, or any month of a year without OPIEKA, is never charged (``None``).
    """
    active = sorted(set(active_months))
    if not active or month in active:
        return None
    before = [m for m in active if m < month]
    return before[-1] if before else active[0]


def update_fee_due(update_value: Decimal, active_months: Iterable[int], through_month: int) -> Decimal:
    """What the yearly update costs for the months without OPIEKA known by ``through_month``.

    ``update_fee_due(v, A, 12)`` is ``update_fee(v, A)`` when ``A`` has an OPIEKA month, and 0.00
    for a year without one. The charge of month ``M`` is ``due(M) − charged before M``, so the
    charges of a year add up to the yearly fee to the grosz, whatever the pattern of gaps.
    """
    active = set(active_months)
    inactive_months(active)  # validates
    known = [m for m in range(1, MONTHS_PER_YEAR + 1)
             if (k := update_known_month(m, active)) is not None and k <= through_month]
    value = exact_number("update_value", update_value)
    if value < 0:
        raise ValueError(f"update_value must not be negative, got {update_value}")
    return round_money(value * len(known) / MONTHS_PER_YEAR)
