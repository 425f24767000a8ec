"""Billing over the API: time entries, packages, usage and statements (JSON, CSV, PDF)."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def test_time_entry_logged_and_listed(alpha, beta):
    started = (timezone.now() - timedelta(hours=1)).isoformat()
    created = alpha.post("/api/v1/time-entries/", {"ticket": alpha.ticket.pk, "kind": "phone",
                                                    "started_at": started, "minutes": 20})
    assert created.status_code == 201, created.json()
    entry = created.json()
    assert entry["organization"] == alpha.world.organization.pk and entry["billed_minutes"] >= 20
    assert entry["agent"] == alpha.world.admin.pk
    listed = alpha.get("/api/v1/time-entries/", ticket=alpha.ticket.pk).json()["results"]
    assert [e["id"] for e in listed] == [entry["id"]]
    assert beta.get(f"/api/v1/time-entries/{entry['id']}/").status_code == 404
    other = beta.post("/api/v1/time-entries/", {"ticket": alpha.ticket.pk, "kind": "phone", "started_at": started,
                                                 "minutes": 5})
    assert other.status_code == 422 and "ticket" in other.json()["errors"]
    assert alpha.post("/api/v1/time-entries/", {"ticket": alpha.ticket.pk, "kind": "phone",
                                                 "started_at": started, "minutes": 0}).status_code == 400


def test_package_purchase_needs_a_package_plan(alpha):
    response = alpha.post("/api/v1/packages/", {"organization": alpha.world.organization.pk})
    assert response.status_code == 422 and "organization" in response.json()["errors"]


def test_usage_of_a_month(alpha, beta):
    month = timezone.localdate().strftime("%Y-%m")
    url = f"/api/v1/organizations/{alpha.world.organization.pk}/usage/"
    usage = alpha.get(url, month=month)
    assert usage.status_code == 200, usage.json()
    body = usage.json()
    assert {"included_minutes", "used_minutes", "remaining_minutes", "overage_minutes", "overage_net",
            "email_limit_minutes", "email_used_minutes", "packages"} <= set(body)
    assert alpha.get(url, month="2026-13").status_code == 400
    assert beta.get(url, month=month).status_code == 404


def test_statement_as_json_csv_and_pdf(alpha, beta):
    month = timezone.localdate().strftime("%Y-%m")
    url = f"/api/v1/organizations/{alpha.world.organization.pk}/statements/{month}/"
    statement = alpha.get(url)
    assert statement.status_code == 200, statement.content
    body = statement.json()
    assert body["final"] is False and body["currency"] and {"lines", "net", "vat", "gross"} <= set(body)
    csv = alpha.client.get(url + "?format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[0].startswith("Organization,Tax ID (NIP),Month,Code")
    pdf = alpha.client.get(url + "?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    assert alpha.get(url.replace(month, "2026-00")).status_code == 400
    assert beta.get(url).status_code == 404
    assert beta.client.get(url + "?format=pdf").status_code == 404
