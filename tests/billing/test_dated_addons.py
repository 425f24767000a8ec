"""Add-ons are dated changes of a subscription, end to end through the REST API ("today" is 15 Dec 2026)."""

from __future__ import annotations

from datetime import date

from billing.statements import statement_generate
from plans.models import Subscription, SubscriptionAddon
from plans.selectors import plan_in_force
from tests.billing.test_round2_api import _client, _lines, _statement


def _patch(client, subscription, body):
    return client.patch(f"/api/v1/subscriptions/{subscription.pk}/", body, format="json")


def test_an_add_on_from_june_leaves_may_alone_and_applies_from_june_until_it_is_removed(demo):
    client = _client(demo, "kjm")
    tenant = demo.tenant("kjm")
    lesne = demo.organization("kjm", "Wodociągi")
    subscription = Subscription.objects.get(organization=lesne)
    may_before = _statement(client, lesne, "2027-05")
    assert _lines(may_before, "addon") == []

    added = _patch(
        client,
        subscription,
        {
            "addons": [{"kind": "extended_hours", "calendar": "extended", "price_net": "400.00"}],
            "effective_from": "2027-06-01",
            "seats": 8,
            "note": "Godziny wydłużone od czerwca",
        },
    )
    assert added.status_code == 200, added.content
    body = added.json()
    assert [(a["kind"], a["calendar"], a["effective_from"], a["ends_on"]) for a in body["addons"]] == [
        ("extended_hours", "extended", "2027-06-01", None)
    ]
    assert [(c["effective_from"], c["seats"], c["note"]) for c in body["changes"]] == [
        ("2027-06-01", 8, "Godziny wydłużone od czerwca")
    ]

    # May: as before, to the grosz; June: the add-on's line, and its hours in the terms.
    assert _statement(client, lesne, "2027-05") == may_before
    assert _lines(_statement(client, lesne, "2027-06"), "addon") == [("1.00", "400.00")]
    may = plan_in_force(tenant=tenant, organization=lesne, at=date(2027, 5, 31)).terms
    june = plan_in_force(tenant=tenant, organization=lesne, at=date(2027, 6, 1)).terms
    assert not may.hours_addon and june.hours_addon
    assert june.service_calendar["windows"]["sat"] and not may.service_calendar["windows"]["sat"]

    # the same list again from September keeps the row; an empty list from September ends it in August
    assert _patch(client, subscription, {"addons": [], "effective_from": "2027-09-01"}).status_code == 200
    assert _lines(_statement(client, lesne, "2027-08"), "addon") == [("1.00", "400.00")]
    assert _lines(_statement(client, lesne, "2027-09"), "addon") == []
    row = SubscriptionAddon.objects.get(subscription=subscription)
    assert (row.effective_from, row.ends_on) == (date(2027, 6, 1), date(2027, 8, 31))
    history = client.get(f"/api/v1/subscriptions/{subscription.pk}/").json()
    assert [(c["effective_from"], c["seats"]) for c in history["changes"]] == [("2027-06-01", 8), ("2027-09-01", 8)]


def test_a_price_change_of_an_add_on_ends_the_old_row_and_starts_a_new_one(demo):
    client = _client(demo, "kjm")
    zorza = demo.organization("kjm", "Spółdzielnia")
    subscription = Subscription.objects.get(organization=zorza)
    december = _statement(client, zorza, "2026-12")
    assert sorted(_lines(december, "addon")) == [("1.00", "150.00"), ("1.00", "400.00")]
    changed = _patch(
        client,
        subscription,
        {
            "addons": [
                {"kind": "extended_hours", "calendar": "extended", "price_net": "400.00"},
                {"kind": "extra_product", "product": "hurtownia", "price_net": "180.00"},
            ]
        },
    )  # default: 1 January
    assert changed.status_code == 200, changed.content
    assert _statement(client, zorza, "2026-12") == december
    assert sorted(_lines(_statement(client, zorza, "2027-01"), "addon")) == [("1.00", "180.00"), ("1.00", "400.00")]
    rows = [(a["kind"], a["price_net"], a["effective_from"], a["ends_on"]) for a in changed.json()["addons"]]
    assert sorted(rows) == [
        ("extended_hours", "400.00", "2026-01-01", None),
        ("extra_product", "150.00", "2026-01-01", "2026-12-31"),
        ("extra_product", "180.00", "2027-01-01", None),
    ]


def test_a_change_reaching_an_issued_month_is_refused_and_the_statement_stays(demo):
    client = _client(demo, "kjm")
    tenant = demo.tenant("kjm")
    lesne = demo.organization("kjm", "Wodociągi")
    subscription = Subscription.objects.get(organization=lesne)
    statement_generate(tenant=tenant, organization=lesne, month=date(2026, 11, 1))
    issued = _statement(client, lesne, "2026-11")
    refused = _patch(
        client,
        subscription,
        {
            "addons": [{"kind": "extended_hours", "calendar": "extended", "price_net": "400.00"}],
            "effective_from": "2026-11-01",
        },
    )
    assert refused.status_code == 422 and "effective_from" in refused.json()["errors"]
    assert not SubscriptionAddon.objects.filter(subscription=subscription).exists()
    assert _statement(client, lesne, "2026-11") == issued


def test_hostile_add_ons_are_refused_with_the_field_named(demo):
    client = _client(demo, "kjm")
    subscription = Subscription.objects.get(organization=demo.organization("kjm", "Wodociągi"))
    foreign_calendar = _patch(client, subscription, {"addons": [{"kind": "night", "calendar": "no-such"}]})
    assert foreign_calendar.status_code in (400, 422) and "addons[0].calendar" in foreign_calendar.json()["errors"]
    no_hours = _patch(client, subscription, {"addons": [{"kind": "night"}], "effective_from": "2027-02-01"})
    assert no_hours.status_code in (400, 422) and "addons[0].calendar" in no_hours.json()["errors"]
    mid_month = _patch(client, subscription, {"addons": [], "effective_from": "2027-02-15"})
    assert mid_month.status_code in (400, 422) and "effective_from" in mid_month.json()["errors"]
    assert not SubscriptionAddon.objects.filter(subscription=subscription).exists()
