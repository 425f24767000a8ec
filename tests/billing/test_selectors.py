"""organization_usage and the usage include."""
from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from billing.selectors import organization_usage
from billing.services import package_purchase, time_entry_log
from tests.billing.conftest import at

pytestmark = pytest.mark.django_db


def _log(demo, slug, org, kind, when, minutes):
    return time_entry_log(tenant=demo.tenant(slug), ticket=demo.ticket(slug, org), agent=demo.agent(slug), kind=kind,
                          started_at=when, minutes=minutes)


def test_standard_usage_with_overage_email_and_alerts(demo):
    _log(demo, "wysylki", "Elektro-Mat", "remote", at(2026, 5, 4, 9), 475)  # 480: 7 h + 1 h
    _log(demo, "wysylki", "Elektro-Mat", "email", at(2026, 5, 5, 9), 55)  # 60 of the 15 h e-mail limit
    usage = organization_usage(tenant=demo.tenant("wysylki"), organization=demo.organization("wysylki", "Elektro-Mat"),
                               month=date(2026, 5, 1))
    assert (usage.included_minutes, usage.used_minutes, usage.remaining_minutes) == (420, 420, 0)
    assert (usage.overage_minutes, usage.overage_net) == (60, Decimal("140.00"))
    assert (usage.email_limit_minutes, usage.email_used_minutes) == (900, 60)
    assert [alert.code for alert in usage.alerts] == ["allowance_100"]
    html = render_to_string("billing/_usage.html", {"usage": usage})
    assert "7 h" in html and "140" in html and "1 h / 15 h" in html


def test_allowance_alert_at_80_percent(demo):
    _log(demo, "wysylki", "Meblex", "remote", at(2026, 5, 4, 9), 145)  # 150 of 180
    usage = organization_usage(tenant=demo.tenant("wysylki"), organization=demo.organization("wysylki", "Meblex"),
                               month=date(2026, 5, 1))
    assert [alert.code for alert in usage.alerts] == ["allowance_80"]
    assert usage.remaining_minutes == 30


def test_pakiet_usage_lists_packages_debt_and_package_alerts(demo):
    kjm = demo.tenant("kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    package = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 12, 1))
    _log(demo, "kjm", "Biuro Rachunkowe", "phone", at(2026, 12, 2, 9), 150)
    usage = organization_usage(tenant=kjm, organization=bilans, month=date(2026, 12, 1))
    assert [(p.id, p.minutes, p.minutes_left, p.status) for p in usage.packages] == [(package.pk, 180, 30, "active")]
    assert [(a.code, a.package_id) for a in usage.alerts] == [("package_80", package.pk)]
    _log(demo, "kjm", "Biuro Rachunkowe", "phone", at(2026, 12, 3, 9), 70)
    usage = organization_usage(tenant=kjm, organization=bilans, month=date(2026, 12, 1))
    assert usage.package_debt_minutes == 60
    assert [a.code for a in usage.alerts] == ["package_100"]
    html = render_to_string("billing/_usage.html", {"usage": usage})
    assert "01.12.2026" in html and "1 h" in html


def test_usage_query_count_is_bounded(demo, django_assert_max_num_queries):
    org = demo.organization("wysylki", "Elektro-Mat")
    tenant = demo.tenant("wysylki")
    for day in range(4, 9):
        _log(demo, "wysylki", "Elektro-Mat", "remote", at(2026, 5, day, 9), 25)
    with django_assert_max_num_queries(12):
        organization_usage(tenant=tenant, organization=org, month=date(2026, 5, 1))
