"""The KJM yearly update fee month by month (seed 003, RULES 6.5), and its charge records.

Value ÷ 12 × the months of the year without OPIEKA. A month without OPIEKA is charged on the
statement of the month in which it becomes known (``pricing.update_known_month``): the months
before the year's first OPIEKA month in that month, the months after an OPIEKA month (an end, or
a gap) in that month. A re-activation after an end already charged is credited.

Issued statements are facts: each wrote ``UpdateFeeCharge`` rows, one per run of months it
charged or credited, and the database refuses the same months charged twice. An open month is
computed from the current data against those facts: the months now known and not yet paid are
charged, the months paid that are no longer without OPIEKA are credited, each run priced so that
the year's charges add up to ``update_fee_due`` to the grosz (one rounding per running total).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing.models import Statement, UpdateFeeCharge
from billing.pricing import update_fee, update_fee_due, update_known_month
from core.models import Organization, Tenant
from plans.selectors import plan_in_force

ZERO = Decimal("0.00")
CHARGE, CREDIT, ADJUSTMENT = (UpdateFeeCharge.Kind.CHARGE, UpdateFeeCharge.Kind.CREDIT, UpdateFeeCharge.Kind.ADJUSTMENT)


@dataclass(frozen=True)
class Run:
    """A run of months charged (or credited) together on one statement."""

    kind: str
    first_month: int
    last_month: int
    amount: Decimal

    @property
    def months(self) -> list[int]:
        return list(range(self.first_month, self.last_month + 1))


@dataclass(frozen=True)
class MonthCharge:
    month: int
    net: Decimal
    runs: tuple[Run, ...]
    recorded: bool  # from an issued statement (its charge records), else computed


@dataclass(frozen=True)
class UpdateYear:
    """How the yearly update fee of one organization and year is computed (RULES 6.5)."""

    year: int
    value: Decimal | None  # the update value of the year's OPIEKA terms; None: no OPIEKA that year
    active_months: tuple[int, ...]
    inactive_months: tuple[int, ...]
    known_in: dict[int, int]  # month without OPIEKA → the month in which it is charged
    months: dict[int, MonthCharge] = field(default_factory=dict)  # non-zero charges only
    total: Decimal = ZERO

    @property
    def charges(self) -> dict[int, Decimal]:
        return {month: charge.net for month, charge in self.months.items()}


def _runs(months: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for month in sorted(months):
        if runs and runs[-1][1] == month - 1:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def _due(value: Decimal, months: int) -> Decimal:
    """value ÷ 12 × months, rounded once."""
    return update_fee(value, 12 - months)


def plan_month(*, value: Decimal, active: tuple[int, ...], month: int, paid: set[int], charged: Decimal) -> list[Run]:
    """The runs an open statement of ``month`` carries, given the months paid so far and their sum."""
    known = {m for m in range(1, 13) if (k := update_known_month(m, active)) is not None and k <= month}
    runs: list[Run] = []
    count, total = len(paid), charged
    for kind, months, step in ((CREDIT, paid - known, -1), (CHARGE, known - paid, 1)):
        for first, last in _runs(list(months)):
            count += step * (last - first + 1)
            amount = _due(value, count) - total
            total += amount
            runs.append(Run(kind, first, last, amount))
    rest = update_fee_due(value, active, month) - total
    if rest:  # the value changed during the year: the months paid are settled at the new value
        span = sorted(known) or sorted(paid) or [month]
        runs.append(Run(ADJUSTMENT, span[0], span[-1], rest))
    return [run for run in runs if run.amount or run.kind != ADJUSTMENT]


def _terms_by_month(tenant: Tenant, organization: Organization, year: int):
    return [plan_in_force(tenant=tenant, organization=organization, at=date(year, m, 1)).terms for m in range(1, 13)]


def update_year(*, tenant: Tenant, organization: Organization, year: int, through_month: int = 12) -> UpdateYear:
    """The update fee of ``year`` month by month: what each statement charged or will charge, and why.

    An issued month counts with its charge records (a statement issued before the records existed,
    with the net of its update line, for the months known in it then).
    """
    terms_by_month = _terms_by_month(tenant, organization, year)
    active = tuple(m for m, terms in enumerate(terms_by_month, start=1) if terms is not None and terms.update_included)
    values = [terms_by_month[m - 1].update_fee_net for m in active if terms_by_month[m - 1].update_fee_net]
    inactive = tuple(m for m in range(1, 13) if m not in active)
    known_in = {m: k for m in inactive if (k := update_known_month(m, active)) is not None}
    records: dict[int, list[UpdateFeeCharge]] = {}
    for record in UpdateFeeCharge.objects.for_tenant(tenant).filter(organization=organization, year=year):
        records.setdefault(record.charged_in, []).append(record)
    if not values and not records:
        return UpdateYear(year, None, active, inactive, known_in)
    value = values[-1] if values else records[max(records)][-1].update_value
    stored = {
        s.month.month: s
        for s in Statement.objects.for_tenant(tenant).filter(organization=organization, month__year=year)
    }
    months: dict[int, MonthCharge] = {}
    paid: set[int] = set()
    charged = ZERO
    for month in range(1, through_month + 1):
        if month in stored:
            if month in records:
                runs = tuple(Run(r.kind, r.first_month, r.last_month, r.amount_net) for r in records[month])
            else:
                net = sum((Decimal(line["net"]) for line in stored[month].lines if line["code"] == "update"), ZERO)
                legacy = [m for m, k in known_in.items() if k == month] if net > 0 else []
                runs = tuple(Run(CHARGE, a, b, ZERO) for a, b in _runs(legacy))
                runs = runs[:-1] + (Run(CHARGE, runs[-1].first_month, runs[-1].last_month, net),) if runs else ()
                if net and not runs:
                    runs = (Run(ADJUSTMENT, month, month, net),)
            recorded = True
        else:
            runs = tuple(plan_month(value=value, active=active, month=month, paid=paid, charged=charged))
            recorded = False
        for run in runs:
            if run.kind == CHARGE:
                paid |= set(run.months)
            elif run.kind == CREDIT:
                paid -= set(run.months)
        net = sum((run.amount for run in runs), ZERO)
        charged += net
        if runs and (net or any(run.kind != ADJUSTMENT for run in runs)):
            months[month] = MonthCharge(month, net, runs, recorded)
    return UpdateYear(year, value, active, inactive, known_in, months, charged)


def update_charges_record(*, statement: Statement, runs: list[Run], value: Decimal) -> None:
    """Write the charge records of an issued statement (``statement_generate``, same transaction)."""
    UpdateFeeCharge.objects.bulk_create(
        [
            UpdateFeeCharge(
                tenant_id=statement.tenant_id,
                organization_id=statement.organization_id,
                statement=statement,
                year=statement.month.year,
                charged_in=statement.month.month,
                first_month=run.first_month,
                last_month=run.last_month,
                kind=run.kind,
                update_value=value,
                amount_net=run.amount,
            )
            for run in runs
        ]
    )
