"""Subscriptions and hour packages in the settings: typed forms, dated changes, audit, isolation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from billing.models import Package
from billing.statements import statement_generate
from core.models import AuditEvent, Contact
from plans.models import Subscription, SubscriptionAddon, SubscriptionChange
from tests.console.test_polish import _pages, english  # noqa: F401 (a fixture)
from tickets.models import Ticket
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db

ZORZA = "Spółdzielnia Mieszkaniowa Zorza"


@pytest.fixture
def kjm_admin(demo, client):
    client.force_login(demo.user("admin@kjm.example.com"))
    return client


def _change_data(subscription, **extra):
    addons = list(SubscriptionAddon.objects.filter(subscription=subscription).order_by("id"))
    data = {
        "effective_from": "2027-03",
        "price_net": "2500.00",
        "seats": "12",
        "note": "Nowe stanowiska",
        "rounding_phone": "30",
        "rounding_remote": "",
        "rounding_email": "",
        "rounding_development": "",
        "rounding_onsite": "",
        "addons-TOTAL_FORMS": str(len(addons) + 1),
        "addons-INITIAL_FORMS": str(len(addons)),
        "addons-MIN_NUM_FORMS": "0",
        "addons-MAX_NUM_FORMS": "10",
    }
    for index, addon in enumerate(addons):
        data.update(
            {
                f"addons-{index}-kind": addon.kind,
                f"addons-{index}-calendar": addon.calendar_id or "",
                f"addons-{index}-product": addon.product,
                f"addons-{index}-price_net": str(addon.price_net),
            }
        )
    data.update(
        {
            f"addons-{len(addons)}-kind": "",
            f"addons-{len(addons)}-calendar": "",
            f"addons-{len(addons)}-product": "",
            f"addons-{len(addons)}-price_net": "",
        }
    )
    data.update(extra)
    return data


def test_the_list_shows_each_organizations_subscription(demo, kjm_admin):
    page = kjm_admin.get(reverse("console:subscription_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert ZORZA in html and "Wodociągi Leśne" in html
    zorza = demo.subscription(ZORZA)
    assert reverse("console:subscription_edit", args=[zorza.pk]) in html


def test_a_typed_change_writes_a_dated_change_with_audit_and_shows_the_history(demo, kjm_admin):
    zorza = demo.subscription(ZORZA)
    url = reverse("console:subscription_edit", args=[zorza.pk])
    form = kjm_admin.get(url)
    assert form.status_code == 200 and 'type="month"' in form.content.decode()
    # keep the extended hours, drop the extra product (its kind emptied)
    data = _change_data(zorza, **{"addons-1-kind": ""})
    response = kjm_admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = SubscriptionChange.objects.get(subscription=zorza)
    assert (change.effective_from, change.seats, change.note) == (date(2027, 3, 1), 12, "Nowe stanowiska")
    assert change.overrides == {"price_net": "2500.00", "rounding_units": {"phone": 30}}
    assert change.overrides_before == {"price_net": "2200.00"}
    rows = {(a.kind, a.effective_from, a.ends_on) for a in SubscriptionAddon.objects.filter(subscription=zorza)}
    assert rows == {("extended_hours", date(2026, 1, 1), None), ("extra_product", date(2026, 1, 1), date(2027, 2, 28))}
    event = AuditEvent.objects.filter(action="subscription.overrides_changed").latest("id")
    assert event.data["before"] == {"price_net": "2200.00"} and event.data["after"]["price_net"] == "2500.00"
    assert [a["kind"] for a in event.data["addons_after"]] == ["extended_hours"]
    history = kjm_admin.get(url).content.decode()
    assert "2\xa0200,00 → 2\xa0500,00" in history and "Nowe stanowiska" in history
    # the rounding applies kind by kind on top of the plan's units from March
    from plans.selectors import plan_in_force

    march = plan_in_force(tenant=demo.kjm, organization=zorza.organization, at=date(2027, 3, 1)).terms
    february = plan_in_force(tenant=demo.kjm, organization=zorza.organization, at=date(2027, 2, 1)).terms
    assert dict(march.rounding_units)["phone"] == 30 and dict(february.rounding_units).get("phone") != 30
    assert {k: v for k, v in march.rounding_units if k != "phone"} == {
        k: v for k, v in february.rounding_units if k != "phone"
    }


def test_bad_input_is_a_form_error_and_a_billed_month_cannot_change(demo, kjm_admin):
    zorza = demo.subscription(ZORZA)
    url = reverse("console:subscription_edit", args=[zorza.pk])
    for bad in (
        {"rounding_phone": "0"},
        {"price_net": "-5"},
        {"effective_from": "marzec"},
        {"seats": "1e9"},
        {"addons-0-kind": "night", "addons-0-calendar": "999999"},
    ):
        assert kjm_admin.post(url, _change_data(zorza, **bad)).status_code == 400, bad
    statement_generate(tenant=demo.kjm, organization=zorza.organization, month=date(2026, 11, 1))
    refused = kjm_admin.post(url, _change_data(zorza, effective_from="2026-11"))
    assert refused.status_code == 400 and "2026" in refused.content.decode()
    assert not SubscriptionChange.objects.filter(subscription=zorza).exists()


def test_a_new_subscription_from_the_typed_form(demo, kjm_admin):
    bilans = demo.organization("Biuro Rachunkowe Bilans")
    response = kjm_admin.post(
        reverse("console:subscription_list"),
        {
            "organization": bilans.pk,
            "plan": demo.plan("kjm", "opieka").pk,
            "accepted_on": "2026-11-20",
            "starts_on": "",
            "price_net": "1800.00",
        },
    )
    assert response.status_code == 302
    subscription = Subscription.objects.filter(organization=bilans, plan__code="opieka").get()
    assert subscription.starts_on == date(2026, 12, 1) and subscription.overrides == {"price_net": "1800.00"}


def test_others_get_a_404(demo, client):
    zorza = demo.subscription(ZORZA)
    client.force_login(demo.user("admin@wysylki.example.com"))
    assert client.get(reverse("console:subscription_edit", args=[zorza.pk])).status_code == 404
    assert client.post(reverse("console:subscription_edit", args=[zorza.pk]), _change_data(zorza)).status_code == 404
    client.force_login(demo.user("dyzurny@kjm.example.com"))
    assert client.get(reverse("console:package_list")).status_code == 404
    assert not SubscriptionChange.objects.exists()


def test_selling_a_package_releases_the_waiting_tickets_and_shows_the_balance(demo, kjm_admin):
    bilans = demo.organization("Biuro Rachunkowe Bilans")
    contact = Contact.objects.filter(organization=bilans).first()
    waiting = ticket_create(
        tenant=demo.kjm,
        channel="portal",
        contact=contact,
        subject="Bilans nie liczy",
        body="Pomocy.",
        received_at=datetime.now(ZoneInfo("Europe/Warsaw")),
    )
    waiting.refresh_from_db()
    assert waiting.status == Ticket.Status.WAITING_PACKAGE
    response = kjm_admin.post(
        reverse("console:package_list"),
        {"organization": bilans.pk, "purchased_on": date.today().isoformat(), "hours": "3", "price_net": ""},
    )
    assert response.status_code == 302
    package = Package.objects.get(organization=bilans, purchased_on=date.today())
    assert package.minutes == 180
    waiting.refresh_from_db()
    assert waiting.status == Ticket.Status.NEW
    page = kjm_admin.get(reverse("console:package_list"))
    assert "Biuro Rachunkowe Bilans" in page.content.decode()
    assert (
        kjm_admin.post(
            reverse("console:package_list"), {"organization": bilans.pk, "purchased_on": "x", "hours": "-1"}
        ).status_code
        == 400
    )
    other = kjm_admin.post(
        reverse("console:package_list"),
        {"organization": demo.organization(ZORZA).pk, "purchased_on": date.today().isoformat()},
    )
    assert other.status_code == 400 and Package.objects.filter(organization=bilans).count() == 1
    assert Decimal(package.price_net) >= 0


def test_the_pages_are_in_polish(demo, kjm_admin, english):  # noqa: F811
    zorza = demo.subscription(ZORZA)
    urls = [
        reverse("console:subscription_list"),
        reverse("console:subscription_edit", args=[zorza.pk]),
        reverse("console:package_list"),
    ]
    assert _pages(kjm_admin, urls, english) == {}
