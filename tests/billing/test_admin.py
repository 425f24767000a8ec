"""Billing in the admin: tenant-scoped statements, downloads, the accounting export, package purchase."""
from datetime import date

import pytest

from billing.models import Package
from billing.services import time_entry_log
from billing.statements import statement_generate
from core.models import User
from tests.billing.conftest import at

pytestmark = pytest.mark.django_db


def _admin_client(client, email, host):
    client.force_login(User.objects.get(username=email))
    client.defaults["HTTP_HOST"] = host
    return client


def test_tenant_admin_downloads_own_statement_and_gets_404_for_another_tenants(demo, client):
    kjm = demo.tenant("kjm")
    statement = statement_generate(tenant=kjm, organization=demo.organization("kjm", "Wodociągi"),
                                   month=date(2026, 4, 1))
    kjm_admin = _admin_client(client, "admin@kjm.example.com", "kjm.localhost")
    response = kjm_admin.get(f"/admin/billing/statement/{statement.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    csv_response = kjm_admin.get(f"/admin/billing/statement/{statement.pk}/csv/")
    assert b"update" in csv_response.content
    assert kjm_admin.get("/admin/billing/statement/").status_code == 200

    other = _admin_client(client, "admin@wysylki.example.com", "wysylki.localhost")
    assert other.get(f"/admin/billing/statement/{statement.pk}/pdf/").status_code == 404
    assert other.get(f"/admin/billing/statement/{statement.pk}/change/").status_code == 404


def test_accounting_export_and_bad_month(demo, client):
    time_entry_log(tenant=demo.tenant("wysylki"), ticket=demo.ticket("wysylki", "Kwiaciarnia"),
                   agent=demo.agent("wysylki"), kind="remote", started_at=at(2026, 5, 4, 11), minutes=25)
    admin = _admin_client(client, "admin@wysylki.example.com", "wysylki.localhost")
    response = admin.get("/admin/billing/statement/accounting-export/", {"month": "2026-05"})
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert len(lines) == 2 and "Kwiaciarnia Bukiet" in lines[1] and lines[1].endswith("200.00,100.00")
    bad = admin.get("/admin/billing/statement/accounting-export/", {"month": "maj"})
    assert bad.status_code == 200 and "RRRR-MM" in bad.content.decode()  # the form error, in Polish


def test_package_added_in_the_admin_goes_through_the_purchase_service(demo, client):
    admin = _admin_client(client, "admin@kjm.example.com", "kjm.localhost")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    response = admin.post("/admin/billing/package/add/", {"organization": bilans.pk, "purchased_on": "2026-12-01",
                                                          "minutes": "", "price_net": ""})
    assert response.status_code == 302, response.content[:2000]
    package = Package.objects.get(organization=bilans)
    assert (package.minutes, str(package.price_net), package.valid_until) == (180, "540.00", date(2027, 2, 28))
    refused = admin.post("/admin/billing/package/add/", {"organization": demo.organization("kjm", "Wodociągi").pk,
                                                         "purchased_on": "2026-12-01"})
    assert refused.status_code == 200 and Package.objects.count() == 1


def test_statement_page_shows_vat_as_a_percentage_and_how_the_update_fee_was_computed(demo, client):
    kjm = demo.tenant("kjm")
    statement = statement_generate(tenant=kjm, organization=demo.organization("kjm", "Wodociągi"),
                                   month=date(2026, 4, 1))
    page = _admin_client(client, "admin@kjm.example.com", "kjm.localhost").get(
        f"/admin/billing/statement/{statement.pk}/change/", HTTP_ACCEPT_LANGUAGE="pl")
    html = page.content.decode()
    assert page.status_code == 200
    assert "23\u00a0%" in html and "0,230" not in html
    # OPIEKA from April: January–March charged on the April statement
    assert "Roczna opłata za aktualizację" in html
    assert "<td>2026-04</td><td>naliczono: 1–3 (300.00)</td><td>300.00</td>" in html
