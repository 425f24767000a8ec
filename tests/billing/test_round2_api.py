"""Billing round 2, end to end through the REST API as a vendor's back office uses it.

One test per finding of the issue (numbered as there); "today" is 15 December 2026 (``frozen_now``).
"""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pypdfium2
import pytest
from rest_framework.test import APIClient

from billing.models import BillingParty, TimeEntry
from core.models import Membership, Role
from core.services import api_token_create
from plans.models import Subscription
from tests.billing.conftest import at
from tickets.models import Ticket


def _client(demo, slug: str) -> APIClient:
    tenant = demo.tenant(slug)
    admin = Membership.objects.for_tenant(tenant).filter(role=Role.ADMIN).first()
    _row, token = api_token_create(tenant=tenant, name="Back office", role=Role.ADMIN, created_by=admin.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _entry(client, ticket, kind, started_at, minutes, **extra):
    body = {"ticket": ticket.pk, "kind": kind, "started_at": started_at.isoformat(), "minutes": minutes, **extra}
    return client.post("/api/v1/time-entries/", body, format="json")


def _statement(client, organization, month: str, **headers):
    response = client.get(f"/api/v1/organizations/{organization.pk}/statements/{month}/", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def _lines(body, code):
    return [(line["quantity"], line["net"]) for line in body["lines"] if line["code"] == code]


# --- 1. the yearly update fee when OPIEKA ends before December --------------------------------------


def test_1_opieka_january_to_september_pays_300_for_the_update_in_september_once(demo):
    client = _client(demo, "kjm")
    zorza = demo.organization("kjm", "Spółdzielnia")
    subscription = Subscription.objects.get(organization=zorza)
    # given OPIEKA since 1 January, cancelled on 15 August to the end of September
    cancelled = client.patch(f"/api/v1/subscriptions/{subscription.pk}/",
                             {"notice_given_on": "2026-08-15", "ends_on": "2026-09-30"}, format="json")
    assert cancelled.status_code == 200, cancelled.content
    # then September (the month of the end) carries 1 200.00 ÷ 12 × 3 = 300.00
    assert _lines(_statement(client, zorza, "2026-09"), "update") == [("3.00", "300.00")]
    # and no other month of the year charges it again
    for month in ("2026-01", "2026-08", "2026-10", "2026-11", "2026-12"):
        assert _lines(_statement(client, zorza, month), "update") == []
    # the yearly summary shows how it was computed
    summary = client.get(f"/api/v1/organizations/{zorza.pk}/update-fee/2026/")
    assert summary.status_code == 200, summary.content
    body = summary.json()
    assert body["active_months"] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert body["inactive_months"] == [10, 11, 12]
    assert body["charges"] == [{"month": "2026-09", "months": [10, 11, 12], "net": "300.00", "recorded": False,
                                "runs": [{"kind": "charge", "first_month": 10, "last_month": 12, "net": "300.00"}]}]
    assert body["total"] == "300.00" and body["update_value"] == "1200.00"


def test_1_a_gap_is_charged_at_its_start_and_a_closed_statement_is_settled_not_charged_twice(demo):
    client = _client(demo, "kjm")
    zorza = demo.organization("kjm", "Spółdzielnia")
    subscription = Subscription.objects.get(organization=zorza)
    # given OPIEKA ends on 31 March and the March statement is issued (300 × 9 / 3 = 900.00)
    assert client.patch(f"/api/v1/subscriptions/{subscription.pk}/",
                        {"notice_given_on": "2026-02-01", "ends_on": "2026-03-31"}, format="json").status_code == 200
    from billing.statements import statement_generate

    issued = statement_generate(tenant=demo.tenant("kjm"), organization=zorza, month=date(2026, 3, 1))
    assert [line["net"] for line in issued.lines if line["code"] == "update"] == ["900.00"]
    # and April–July are billed without OPIEKA
    for month in range(4, 8):
        statement_generate(tenant=demo.tenant("kjm"), organization=zorza, month=date(2026, month, 1))
    # when the customer comes back on OPIEKA from 1 August (a gap April–July)
    from plans.models import Plan
    from plans.services import subscription_create

    subscription_create(tenant=demo.tenant("kjm"), organization=zorza,
                        plan=Plan.objects.get(tenant=demo.tenant("kjm"), code="opieka"),
                        accepted_on=date(2026, 7, 10), overrides={"price_net": "2200.00"})
    # then August settles the difference: 4 months without OPIEKA (400.00) were due, 900.00 charged
    assert _lines(_statement(client, zorza, "2026-08"), "update") == [("1.00", "-500.00")]
    # and the year adds up to 400.00, each month of the gap charged once
    body = client.get(f"/api/v1/organizations/{zorza.pk}/update-fee/2026/").json()
    assert body["inactive_months"] == [4, 5, 6, 7] and body["total"] == "400.00"


# --- 2. a per-customer price change never rewrites a month --------------------------------------------


def test_2_a_price_override_is_a_dated_change_and_months_already_billed_keep_their_price(demo, client):
    client = _client(demo, "kjm")
    zorza = demo.organization("kjm", "Spółdzielnia")
    subscription = Subscription.objects.get(organization=zorza)
    before = {month: _statement(client, zorza, month)["net"] for month in ("2026-05", "2026-12")}
    # when the fee is renegotiated (more seats) without a date: it applies from next month
    changed = client.patch(f"/api/v1/subscriptions/{subscription.pk}/",
                           {"overrides": {"price_net": "2500.00"}, "seats": 12, "note": "Nowe stanowiska"},
                           format="json")
    assert changed.status_code == 200, changed.content
    # then no month up to this one changes
    assert {month: _statement(client, zorza, month)["net"] for month in ("2026-05", "2026-12")} == before
    assert _lines(_statement(client, zorza, "2027-01"), "subscription") == [("1.00", "2500.00")]
    # and the history shows both prices with their dates
    history = client.get(f"/api/v1/subscriptions/{subscription.pk}/").json()["changes"]
    assert [(c["effective_from"], c["overrides"].get("price_net"), c["seats"]) for c in history] == [
        ("2027-01-01", "2500.00", 12)]
    # also on the subscription's admin page
    from core.models import User

    client.force_login(User.objects.get(username="admin@kjm.example.com"))
    page = client.get(f"/admin/plans/subscription/{subscription.pk}/change/", HTTP_HOST="kjm.localhost")
    assert page.status_code == 200
    assert "<td>2027-01-01</td>" in page.content.decode() and "Nowe stanowiska" in page.content.decode()
    # a change into a month whose statement was issued is refused with the field named
    from billing.statements import statement_generate

    statement_generate(tenant=demo.tenant("kjm"), organization=zorza, month=date(2026, 11, 1))
    refused = client.patch(f"/api/v1/subscriptions/{subscription.pk}/",
                           {"overrides": {"price_net": "1.00"}, "effective_from": "2026-11-01"}, format="json")
    assert refused.status_code == 422 and "effective_from" in refused.json()["errors"]
    assert _statement(client, zorza, "2026-11")["net"] == before["2026-05"]


# --- 3. waiting for package ------------------------------------------------------------------------


def test_3_without_a_package_no_time_no_opening_and_a_purchase_releases_the_waiting_tickets(demo):
    client = _client(demo, "kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    # given two PAKIET tickets received while Bilans has no package
    first = demo.ticket("kjm", "Biuro Rachunkowe", received_at=at(2026, 12, 14, 9))
    second = demo.ticket("kjm", "Biuro Rachunkowe", received_at=at(2026, 12, 14, 10))
    assert {first.status, second.status} == {Ticket.Status.WAITING_PACKAGE}
    # then no time can be logged, and an agent cannot open it
    refused = _entry(client, first, "phone", at(2026, 12, 14, 11), 20)
    assert refused.status_code == 422 and "ticket" in refused.json()["errors"]
    assert not TimeEntry.objects.filter(ticket=first).exists()
    opened = client.patch(f"/api/v1/tickets/{first.pk}/", {"status": "open"}, format="json",
                          HTTP_ACCEPT_LANGUAGE="pl")
    assert opened.status_code == 422, opened.content
    assert "pakietu" in str(opened.json()["errors"]["status"])
    # when a package is bought, the waiting tickets are released in the order received
    bought = client.post("/api/v1/packages/", {"organization": bilans.pk, "purchased_on": "2026-12-15"},
                         format="json")
    assert bought.status_code == 201, bought.content
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Ticket.Status.NEW, Ticket.Status.NEW)
    released = list(first.events.filter(kind="status", data__new="new").values_list("ticket_id", flat=True)) + list(
        second.events.filter(kind="status", data__new="new").values_list("ticket_id", flat=True))
    assert released == [first.pk, second.pk]
    assert first.events.get(kind="status", data__new="new").pk < second.events.get(kind="status",
                                                                                    data__new="new").pk
    # and work can now be logged
    assert _entry(client, first, "phone", at(2026, 12, 15, 9), 20).status_code == 201


# --- 4. COMMUNITY configuration help by e-mail -------------------------------------------------------


def test_4_community_email_on_a_non_bug_ticket_is_billed_at_the_hourly_rate(demo):
    client = _client(demo, "wysylki")
    bukiet = demo.organization("wysylki", "Kwiaciarnia")
    config = demo.ticket("wysylki", "Kwiaciarnia", category="configuration", received_at=at(2026, 11, 2, 8))
    bug = demo.ticket("wysylki", "Kwiaciarnia", category="bug", received_at=at(2026, 11, 2, 8))
    paid = _entry(client, config, "email", at(2026, 11, 3, 9), 25)  # 30 billed at 200.00/h
    assert paid.status_code == 201, paid.content
    assert (paid.json()["pool"], paid.json()["amount_net"]) == ("overage", "100.00")
    free = _entry(client, bug, "email", at(2026, 11, 3, 10), 25)
    assert (free.json()["pool"], free.json()["amount_net"]) == ("email_limit", "0.00")
    assert _lines(_statement(client, bukiet, "2026-11"), "time") == [("0.50", "100.00")]


# --- 5. out-of-scope work leaves a trace -------------------------------------------------------------


def test_5_custom_programming_on_opieka_without_a_price_is_listed_to_be_quoted(demo):
    client = _client(demo, "kjm")
    zorza = demo.organization("kjm", "Spółdzielnia")
    ticket = demo.ticket("kjm", "Spółdzielnia", category="custom_programming", received_at=at(2026, 11, 2, 8))
    entry = _entry(client, ticket, "development", at(2026, 11, 3, 9), 90)
    assert entry.status_code == 201, entry.content
    assert entry.json()["pool"] == "overage"
    assert _lines(_statement(client, zorza, "2026-11"), "quote_needed") == [("1.50", "0.00")]


def test_5_quotes_prepared_by_the_agent_accepted_in_the_portal_and_billed_on_the_statement(demo, client):
    from core.models import OutboxMessage, User

    api = _client(demo, "kjm")
    zorza = demo.organization("kjm", "Spółdzielnia")
    ticket = demo.ticket("kjm", "Spółdzielnia", category="custom_programming", received_at=at(2026, 12, 1, 8))
    # an hourly quote needs a rate on OPIEKA (the plan has none): a 400 naming the field
    missing = api.post("/api/v1/quotes/", {"ticket": ticket.pk, "description": "Raport", "hours": "3"},
                       format="json")
    assert missing.status_code == 422 and "rate_net" in missing.json()["errors"]
    hourly = api.post("/api/v1/quotes/", {"ticket": ticket.pk, "description": "Nowy raport zużycia wody",
                                          "hours": "3.00", "rate_net": "200.00"}, format="json").json()
    fixed = api.post("/api/v1/quotes/", {"ticket": ticket.pk, "description": "Import danych",
                                         "fixed_price_net": "1500.00"}, format="json").json()
    assert (hourly["status"], fixed["status"]) == ("draft", "draft")
    for quote in (hourly, fixed):
        sent = api.post(f"/api/v1/quotes/{quote['id']}/send/", format="json")
        assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert OutboxMessage.objects.filter(handler="billing.quote_mail", dedupe_key=f"quote:{hourly['id']}:sent",
                                        recipient="zofia@zorza.example.com").exists()
    # time cannot be logged against a quote not accepted yet
    early = _entry(api, ticket, "development", at(2026, 12, 2, 9), 60, quote=hourly["id"])
    assert early.status_code == 422 and "quote" in early.json()["errors"]
    # the customer accepts both in the portal
    client.force_login(User.objects.get(username="zofia@zorza.example.com"))
    client.defaults["HTTP_HOST"] = "kjm.localhost"
    page = client.get(f"/portal/tickets/{ticket.pk}/")
    assert page.status_code == 200 and "Nowy raport zużycia wody" in page.content.decode()
    for quote in (hourly, fixed):
        response = client.post(f"/portal/tickets/{ticket.pk}/quotes/{quote['id']}/decide/", {"decision": "accept"})
        assert response.status_code == 302
    assert api.get(f"/api/v1/quotes/{hourly['id']}/").json()["status"] == "accepted"
    # then the work logged against them is billed by them on the statement
    by_rate = _entry(api, ticket, "development", at(2026, 12, 2, 9), 90, quote=hourly["id"])
    assert by_rate.status_code == 201, by_rate.content
    assert (by_rate.json()["pool"], by_rate.json()["amount_net"]) == ("overage", "300.00")
    assert _entry(api, ticket, "development", at(2026, 12, 3, 9), 120, quote=fixed["id"]).json()["amount_net"] == \
        "0.00"
    statement = _statement(api, zorza, "2026-12")
    assert _lines(statement, "quote") == [("1.00", "1500.00")]
    assert sorted(_lines(statement, "quote_time")) == [("1.50", "300.00"), ("2.00", "0.00")]
    assert Decimal(statement["net"]) == sum(Decimal(line["net"]) for line in statement["lines"])


# --- 6. after hours from the calendar -----------------------------------------------------------------


def test_6_an_entry_at_23_10_on_saturday_is_after_hours_without_a_tick(demo):
    client = _client(demo, "kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    assert client.post("/api/v1/packages/", {"organization": bilans.pk, "purchased_on": "2026-12-01"},
                       format="json").status_code == 201
    ticket = demo.ticket("kjm", "Biuro Rachunkowe", received_at=at(2026, 12, 5, 23))
    entry = _entry(client, ticket, "remote", at(2026, 12, 5, 23, 10), 20)  # Saturday
    assert entry.status_code == 201, entry.content
    assert (entry.json()["after_hours"], entry.json()["billed_minutes"], entry.json()["deducted_minutes"]) == (
        True, 30, 60)
    # an override needs a reason (400 naming the field), and is kept with it
    refused = _entry(client, ticket, "remote", at(2026, 12, 5, 23, 40), 20, after_hours_override=False)
    assert refused.status_code == 422 and "after_hours_reason" in refused.json()["errors"]
    kept = _entry(client, ticket, "remote", at(2026, 12, 5, 23, 40), 20, after_hours_override=False,
                  after_hours_reason="Planowana praca uzgodniona z klientem")
    assert (kept.json()["after_hours"], kept.json()["deducted_minutes"]) == (False, 30)


# --- 7. usage and statement agree to the grosz ------------------------------------------------------


def test_7_usage_and_statement_agree_at_165_50_an_hour(demo):
    client = _client(demo, "wysylki")
    nova = demo.organization("wysylki", "Nova Hurt")  # EMAIL: all phone help is billed at the rate
    subscription = Subscription.objects.get(organization=nova)
    assert client.patch(f"/api/v1/subscriptions/{subscription.pk}/",
                        {"overrides": {"hourly_rate_net": "165.50"}, "effective_from": "2026-11-01"},
                        format="json").status_code == 200
    ticket = demo.ticket("wysylki", "Nova Hurt", received_at=at(2026, 11, 2, 8))
    for hour in (9, 11):
        assert _entry(client, ticket, "phone", at(2026, 11, 3, hour), 10).status_code == 201  # 15 billed each
    usage = client.get(f"/api/v1/organizations/{nova.pk}/usage/", {"month": "2026-11"}).json()
    statement = _statement(client, nova, "2026-11")
    assert _lines(statement, "time") == [("0.50", "82.75")]
    assert usage["overage_net"] == "82.75" and usage["overage_minutes"] == 30
    csv_rows = list(csv.reader(io.StringIO(client.get(
        f"/api/v1/organizations/{nova.pk}/statements/2026-11/csv/").content.decode())))
    assert [row[8] for row in csv_rows if row[3] == "time"] == ["82.75"]


# --- 8. statements an accountant accepts -----------------------------------------------------------


def test_8_csv_in_the_users_language_format_csv_wins_over_accept_and_pdf_names_both_parties(demo, settings):
    client = _client(demo, "kjm")
    zorza = demo.organization("kjm", "Spółdzielnia")
    url = f"/api/v1/organizations/{zorza.pk}/statements/2026-11/"
    BillingParty.objects.create(tenant=demo.tenant("kjm"), legal_name="KJM Software sp. z o.o.",
                                tax_id="1130000000", address="ul. Prosta 1\n00-001 Warszawa")
    BillingParty.objects.create(tenant=demo.tenant("kjm"), organization=zorza,
                                address="ul. Zielona 5\n02-222 Warszawa")
    # ?format=csv is honoured whatever Accept says
    response = client.get(url + "?format=csv", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Organizacja", "NIP", "Miesiąc", "Kod", "Opis"]
    assert [row[4] for row in rows[-3:]] == ["Razem netto", "VAT 23\u00a0%", "Do zapłaty brutto"]
    english = list(csv.reader(io.StringIO(client.get(url + "csv/", HTTP_ACCEPT_LANGUAGE="en").content.decode())))
    assert english[0][:2] == ["Organization", "Tax ID (NIP)"] and english[-1][4] == "Total gross"
    # the PDF names the seller and the buyer with NIP and address
    pdf = client.get(url + "pdf/").content
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        text = page.get_textpage().get_text_range()
    finally:
        document.close()
    for expected in ("KJM Software sp. z o.o.", "NIP: 1130000000", "ul. Prosta 1", "NIP: 7390000002",
                     "ul. Zielona 5", "VAT 23"):
        assert expected in text, expected


@pytest.mark.parametrize("rate, shown", [(Decimal("0.23"), "23\u00a0%"), (Decimal("0.085"), "8,5\u00a0%")])
def test_8_vat_is_shown_as_a_percentage(rate, shown):
    from django.utils import translation

    from billing.statements import vat_percent_label

    with translation.override("pl"):
        assert vat_percent_label(rate) == shown
