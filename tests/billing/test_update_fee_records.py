"""The yearly update fee's charge records: written with the statement, never twice, read by the summary.

"Today" is 15 December 2026; the KJM update value is 1 200.00 (100.00 a month).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from billing.models import UpdateFeeCharge
from billing.statements import statement_generate
from billing.update_fee import _due, plan_month
from plans.models import Plan, Subscription
from plans.services import subscription_cancel, subscription_create
from tests.billing.test_round2_api import _client


def _issue(demo, organization, *months):
    for month in months:
        statement_generate(tenant=demo.tenant("kjm"), organization=organization, month=date(2026, month, 1))


def _records(organization):
    return [
        (r.charged_in, r.kind, r.first_month, r.last_month, str(r.amount_net))
        for r in UpdateFeeCharge.objects.filter(organization=organization, year=2026).order_by("charged_in", "id")
    ]


def _summary(demo, organization):
    response = _client(demo, "kjm").get(f"/api/v1/organizations/{organization.pk}/update-fee/2026/")
    assert response.status_code == 200, response.content
    return response.json()


def test_start_mid_year_is_charged_in_the_first_month_and_generating_again_writes_nothing(demo):
    lesne = demo.organization("kjm", "Wodociągi")  # OPIEKA from 1 April 2026
    _issue(demo, lesne, 3, 4)
    assert _records(lesne) == [(4, "charge", 1, 3, "300.00")]
    _issue(demo, lesne, 4, 4)  # the statement exists: nothing recomputed, nothing written
    assert _records(lesne) == [(4, "charge", 1, 3, "300.00")]
    body = _summary(demo, lesne)
    assert body["charges"] == [
        {
            "month": "2026-04",
            "months": [1, 2, 3],
            "net": "300.00",
            "recorded": True,
            "runs": [{"kind": "charge", "first_month": 1, "last_month": 3, "net": "300.00"}],
        }
    ]
    assert body["total"] == "300.00"


def test_end_mid_year_is_charged_in_the_month_of_the_end(demo):
    zorza = demo.organization("kjm", "Spółdzielnia")
    subscription_cancel(
        tenant=demo.tenant("kjm"),
        subscription=Subscription.objects.get(organization=zorza),
        notice_given_on=date(2026, 8, 15),
        ends_on=date(2026, 9, 30),
    )
    _issue(demo, zorza, *range(1, 13))
    assert _records(zorza) == [(9, "charge", 10, 12, "300.00")]
    assert _summary(demo, zorza)["total"] == "300.00"


def test_a_gap_a_re_activation_and_a_second_end_are_each_settled_once(demo):
    tenant = demo.tenant("kjm")
    zorza = demo.organization("kjm", "Spółdzielnia")
    subscription_cancel(
        tenant=tenant,
        subscription=Subscription.objects.get(organization=zorza),
        notice_given_on=date(2026, 2, 1),
        ends_on=date(2026, 3, 31),
    )
    _issue(demo, zorza, 1, 2, 3, 4, 5, 6, 7)
    assert _records(zorza) == [(3, "charge", 4, 12, "900.00")]
    # back on OPIEKA from 1 August (a gap April–July), then leaving again at the end of November
    back = subscription_create(
        tenant=tenant,
        organization=zorza,
        plan=Plan.objects.get(tenant=tenant, code="opieka"),
        accepted_on=date(2026, 7, 10),
        overrides={"price_net": "2200.00"},
    )
    _issue(demo, zorza, 8)
    subscription_cancel(tenant=tenant, subscription=back, notice_given_on=date(2026, 8, 20), ends_on=date(2026, 11, 30))
    _issue(demo, zorza, 9, 10, 11, 12)
    assert _records(zorza) == [
        (3, "charge", 4, 12, "900.00"),
        (8, "credit", 8, 12, "-500.00"),
        (11, "charge", 12, 12, "100.00"),
    ]
    body = _summary(demo, zorza)
    assert body["inactive_months"] == [4, 5, 6, 7, 12] and body["total"] == "500.00"
    assert [(c["month"], c["net"], c["recorded"]) for c in body["charges"]] == [
        ("2026-03", "900.00", True),
        ("2026-08", "-500.00", True),
        ("2026-11", "100.00", True),
    ]


def test_the_same_months_cannot_be_charged_twice(demo):
    lesne = demo.organization("kjm", "Wodociągi")
    _issue(demo, lesne, 4, 5)
    first = UpdateFeeCharge.objects.get(organization=lesne)
    with pytest.raises(IntegrityError), transaction.atomic():
        UpdateFeeCharge.objects.create(
            tenant=first.tenant,
            organization=lesne,
            statement=first.statement.__class__.objects.get(organization=lesne, month=date(2026, 5, 1)),
            year=2026,
            charged_in=5,
            first_month=1,
            last_month=3,
            kind="charge",
            update_value=Decimal("1200.00"),
            amount_net=Decimal("300.00"),
        )


months = st.sets(st.integers(1, 12))


@given(
    active=months.filter(bool),
    paid=months,
    month=st.integers(1, 12),
    value=st.decimals(min_value=0, max_value=100000, places=2),
)
def test_an_open_month_charges_what_is_due_minus_what_was_paid(active, paid, month, value):
    from billing.pricing import update_fee_due, update_known_month

    charged = _due(value, len(paid))
    runs = plan_month(value=value, active=tuple(sorted(active)), month=month, paid=set(paid), charged=charged)
    assert charged + sum((run.amount for run in runs), Decimal("0")) == update_fee_due(value, active, month)
    after = set(paid)
    for run in runs:
        (after.update if run.kind == "charge" else after.difference_update)(run.months)
        assert run.kind != "adjustment"
    known = {m for m in range(1, 13) if (k := update_known_month(m, active)) is not None and k <= month}
    assert after == known
