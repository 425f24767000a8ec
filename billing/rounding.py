"""Rounding of logged work time and of money amounts (RULES 5).

A pure core: plain values in, plain values out. No ORM, no settings, no clock. Every business
figure (unit minutes per kind of work, the minutes added for writing the record, the after-hours
multiplier, the hourly rate) comes from the plan terms the caller passes in; the only constants
here are units of measure (60 minutes an hour, 100 grosze a złoty).

Arithmetic is exact: minutes are ints, money is ``Decimal``, and intermediate results are
``Fraction``s, so no rounding happens before the single, explicit one at the end. Floats are
rejected with ``TypeError`` wherever a number is taken, because a float rate or multiplier has
already lost the value the tenant typed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

__all__ = [
    "GROSZ",
    "RoundingRule",
    "amount_net",
    "billed_minutes",
    "billed_total",
    "deducted_minutes",
    "exact_number",
    "round_money",
    "round_total",
]

GROSZ = Decimal("0.01")
MINUTES_PER_HOUR = 60


# --- input checks -------------------------------------------------------------------------------


def _require_minutes(name: str, value: object) -> int:
    # bool is an int subclass; True minutes is a bug at the call site, not one minute.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of minutes, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def exact_number(name: str, value: object) -> Fraction:
    """``value`` as an exact Fraction. Accepts Decimal, int and Fraction; a float or bool raises
    TypeError, NaN or infinity ValueError. ``name`` is the argument named in the error."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a Decimal, got bool")
    if isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, not a float (floats lose grosze); got {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{name} must be a finite number, got {value}")
        return Fraction(value)
    if isinstance(value, int | Fraction):
        return Fraction(value)
    raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")


def _require_kind(kind: object) -> str:
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a str, got {type(kind).__name__}")
    return kind


def _ceil_to_multiple(value: int, unit: int) -> int:
    return -(-value // unit) * unit


# --- money --------------------------------------------------------------------------------------


def round_money(value: Decimal | Fraction | int) -> Decimal:
    """Round an exact amount to the grosz, halves away from zero (``ROUND_HALF_UP``).

    Works on the exact value rather than through ``Decimal.quantize`` so the result does not depend
    on the caller's decimal context (precision, traps) and is never rounded twice.
    """
    exact = exact_number("value", value)
    hundredths = exact * 100
    magnitude = math.floor(abs(hundredths) + Fraction(1, 2))
    whole, cents = divmod(magnitude, 100)
    sign = "-" if hundredths < 0 and magnitude else ""
    return Decimal(f"{sign}{whole}.{cents:02d}")


def amount_net(minutes: int, hourly_rate: Decimal) -> Decimal:
    """Net price of ``minutes`` of work at ``hourly_rate`` per hour, to the grosz (half up).

    ``minutes`` are the billed (already rounded) minutes; the rate is a net amount from the terms.
    The exact product is rounded once, so 90 minutes at 140.00 is 210.00 and 20 minutes at 100.00
    is 33.33.
    """
    minutes = _require_minutes("minutes", minutes)
    rate = exact_number("hourly_rate", hourly_rate)
    if rate < 0:
        raise ValueError(f"hourly_rate must not be negative, got {hourly_rate}")
    return round_money(rate * minutes / MINUTES_PER_HOUR)


# --- time ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundingRule:
    """How a plan turns actual minutes of work into billed and deducted minutes.

    ``units``: unit minutes per kind of work (``{"phone": 15, "remote": 30}``); work is billed per
    *started* unit. ``default_unit`` applies to kinds not listed (1 means "no rounding").
    ``minutes_added``: minutes for writing the record, added to each entry before rounding.
    ``per_intervention``: True rounds every entry on its own (seed 000, KJM PAKIET); False bills
    entries unrounded and rounds only the period total of each kind (``round_total``).
    ``after_hours_multiplier``: applied to the billed minutes of an after-hours emergency to get the
    minutes deducted from a package (KJM PAKIET: 2).
    """

    units: Mapping[str, int]
    default_unit: int
    minutes_added: int
    per_intervention: bool
    after_hours_multiplier: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.units, Mapping):
            raise TypeError(f"units must be a mapping of kind -> minutes, got {type(self.units).__name__}")
        units: dict[str, int] = {}
        for kind, unit in self.units.items():
            if not isinstance(kind, str) or not kind:
                raise ValueError(f"units: every kind must be a non-empty str, got {kind!r}")
            if isinstance(unit, bool) or not isinstance(unit, int):
                raise TypeError(f"units[{kind!r}] must be an int number of minutes, got {unit!r}")
            if unit <= 0:
                raise ValueError(f"units[{kind!r}] must be a positive number of minutes, got {unit}")
            units[kind] = unit
        # Frozen means frozen: a caller's later edit of its dict must not change a rule in use.
        object.__setattr__(self, "units", MappingProxyType(units))

        if isinstance(self.default_unit, bool) or not isinstance(self.default_unit, int):
            raise TypeError(f"default_unit must be an int number of minutes, got {self.default_unit!r}")
        if self.default_unit <= 0:
            raise ValueError(
                "default_unit must be a positive number of minutes (1 = no rounding), "
                f"got {self.default_unit}"
            )
        if isinstance(self.minutes_added, bool) or not isinstance(self.minutes_added, int):
            raise TypeError(f"minutes_added must be an int number of minutes, got {self.minutes_added!r}")
        if self.minutes_added < 0:
            raise ValueError(f"minutes_added must not be negative, got {self.minutes_added}")
        if not isinstance(self.per_intervention, bool):
            raise TypeError(f"per_intervention must be a bool, got {self.per_intervention!r}")

        multiplier = self.after_hours_multiplier
        if isinstance(multiplier, bool) or not isinstance(multiplier, Decimal | int):
            raise TypeError(
                f"after_hours_multiplier must be a Decimal (not a float), got {type(multiplier).__name__}"
            )
        multiplier = Decimal(multiplier)
        if not multiplier.is_finite() or multiplier < 1:
            raise ValueError(
                f"after_hours_multiplier must be a finite number >= 1 (1 = no surcharge), got {multiplier}"
            )
        object.__setattr__(self, "after_hours_multiplier", multiplier)

    def __hash__(self) -> int:
        # The generated hash would fail on the mapping proxy; hash its items instead.
        return hash(
            (
                tuple(sorted(self.units.items())),
                self.default_unit,
                self.minutes_added,
                self.per_intervention,
                self.after_hours_multiplier,
            )
        )

    @classmethod
    def from_terms(
        cls,
        *,
        units: Mapping[str, int] | None = None,
        default_unit: int = 1,
        minutes_added: int = 0,
        per_intervention: bool = True,
        after_hours_multiplier: Decimal | int | str = 1,
    ) -> RoundingRule:
        """Build a rule from plain values as stored in plan terms (e.g. a JSON object).

        The defaults are the neutral rule: no rounding, nothing added, no after-hours surcharge.
        The multiplier may be a string (``"1.5"``), the lossless way to keep a decimal in JSON.
        """
        if isinstance(after_hours_multiplier, str):
            try:
                after_hours_multiplier = Decimal(after_hours_multiplier.strip())
            except ArithmeticError:
                raise ValueError(
                    f"after_hours_multiplier must be a decimal number, got {after_hours_multiplier!r}"
                ) from None
        return cls(
            units={} if units is None else units,
            default_unit=default_unit,
            minutes_added=minutes_added,
            per_intervention=per_intervention,
            after_hours_multiplier=after_hours_multiplier,
        )

    def unit_for(self, kind: str) -> int:
        """Unit minutes for a kind of work; ``default_unit`` for kinds the terms do not list."""
        return self.units.get(_require_kind(kind), self.default_unit)


def billed_minutes(actual_minutes: int, kind: str, rule: RoundingRule) -> int:
    """Minutes billed for one time entry: ``ceil((actual + added) / unit) × unit``.

    Seed 000 (phone 15, remote 30, 5 added): phone 10 -> 15, phone 11 -> 30, remote 26 -> 60.

    An entry of 0 actual minutes bills 0: it records that no work was done (a placeholder or a
    corrected entry), and charging the minutes for writing the record of nothing would bill the
    customer for the bookkeeping alone.

    Under a per-period rule (``per_intervention=False``) the entry is not rounded here: it bills
    ``actual + added`` and the period total of its kind is rounded with ``round_total``.
    """
    actual = _require_minutes("actual_minutes", actual_minutes)
    unit = rule.unit_for(kind)
    if actual == 0:
        return 0
    with_record = actual + rule.minutes_added
    if not rule.per_intervention:
        return with_record
    return _ceil_to_multiple(with_record, unit)


def round_total(total_minutes: int, kind: str, rule: RoundingRule) -> int:
    """Round a period's total of billed minutes of one kind up to the kind's unit.

    This is the per-period rounding (``per_intervention=False``). ``minutes_added`` is not added
    here: it is per record and already in each entry's ``billed_minutes``. Under a
    per-intervention rule the entries are already multiples of the unit, so this returns their sum
    unchanged.
    """
    total = _require_minutes("total_minutes", total_minutes)
    return _ceil_to_multiple(total, rule.unit_for(kind))


def billed_total(actual_minutes: Iterable[int], kind: str, rule: RoundingRule) -> int:
    """Billed minutes for a period's entries of one kind, whichever way the rule rounds."""
    total = sum(billed_minutes(actual, kind, rule) for actual in actual_minutes)
    return total if rule.per_intervention else round_total(total, kind, rule)


def deducted_minutes(billed: int, rule: RoundingRule, after_hours: bool) -> int:
    """Minutes deducted from a package for an entry that billed ``billed`` minutes.

    An after-hours emergency is deducted ``billed × after_hours_multiplier`` (KJM PAKIET: 40 minutes
    bill 60 and deduct 120). The multiplier applies after rounding; a fractional result is rounded
    up to the next whole minute, in the same direction as the rest of the rule.
    """
    billed = _require_minutes("billed", billed)
    if not isinstance(after_hours, bool):
        raise TypeError(f"after_hours must be a bool, got {after_hours!r}")
    if not after_hours:
        return billed
    return math.ceil(Fraction(rule.after_hours_multiplier) * billed)
