"""The tenant admin's SLA report: figures per plan and month, breaches, chart, CSV, access."""
from __future__ import annotations

import csv
import io

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from core.models import Role
from plans.models import PlanTerms
from monitor.selectors import sla_report
from tests.factories import PlanFactory, TenantFactory
from tests.sla.test_monitor import staff_make, ticket_make

WAW = ZoneInfo("Europe/Warsaw")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=WAW)


@pytest.fixture
def report_world(db):
    tenant = TenantFactory(slug="raport", domain="raport.localhost")
    plan = PlanFactory(tenant=tenant, name="STANDARD")  # office hours Mon–Fri 9–17
    terms = PlanTerms.objects.get(plan=plan)
    # Monday 2 March 2026 10:00, reacted 14:00 the same day: 4 business hours, met.
    met = ticket_make(tenant, due_at=at(2026, 3, 3, 10), state="met", plan=plan, terms=terms,
                      reacted_at=at(2026, 3, 2, 14))
    met.received_at = met.sla_started_at = at(2026, 3, 2, 10)
    met.save()
    # Friday 6 March 16:00, due Monday 16:00, reacted Tuesday 10:00: breached; 2 h of business time late,
    # reaction took 8 business hours (1 h Friday + 7 h Monday... to Tuesday 10:00 = 1 + 8 + 1 = 10 h).
    late = ticket_make(tenant, due_at=at(2026, 3, 9, 16), state="breached", plan=plan, terms=terms,
                       reacted_at=at(2026, 3, 10, 10), breached_at=at(2026, 3, 9, 16))
    late.received_at = late.sla_started_at = at(2026, 3, 6, 16)
    late.save()
    running = ticket_make(tenant, due_at=at(2026, 4, 2, 12), state="running", plan=plan, terms=terms)
    running.received_at = at(2026, 4, 1, 12)
    running.save()
    other = TenantFactory(slug="obcy")
    ticket_make(other, due_at=at(2026, 3, 3, 10), state="breached", subject="Cudze zgłoszenie")
    return {"tenant": tenant, "met": met, "late": late, "running": running, "other": other}


def test_report_counts_per_plan_and_month_with_business_time(report_world):
    report = sla_report(tenant=report_world["tenant"], start=at(2026, 3, 1).date(), end=at(2026, 5, 1).date())
    march, april = report.rows
    assert (march.plan, march.met, march.breached, march.running, march.percent_met) == ("STANDARD", 1, 1, 0, 50.0)
    # 4 h and 10 h of business time: average 7 h
    assert march.average_reaction_hours == 7.0
    assert (april.met, april.breached, april.running, april.percent_met) == (0, 0, 1, None)
    [breach] = report.breaches
    assert breach.ticket == report_world["late"]
    assert breach.late_by_business == timedelta(hours=2)
    assert [m.month.month for m in report.months] == [3, 4]


def login_admin(client, tenant):
    admin = staff_make(tenant, "szefowa@raport.example.com", role=Role.ADMIN)
    client.force_login(admin.user)
    return admin


def test_tenant_admin_sees_the_report_with_chart_and_only_their_tickets(client, report_world):
    login_admin(client, report_world["tenant"])
    response = client.get(reverse("sla:report"), {"start": "2026-03", "end": "2026-04"},
                          HTTP_HOST="raport.localhost")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'class="sla-breached"' in html and 'class="sla-met"' in html
    assert report_world["late"].reference in html
    assert "Cudze zgłoszenie" not in html
    assert '<script src="http' not in html  # the chart is server-rendered SVG, nothing from a CDN


def test_csv_export(client, report_world):
    login_admin(client, report_world["tenant"])
    response = client.get(reverse("sla:report"), {"start": "2026-03", "end": "2026-04", "format": "csv"},
                          HTTP_HOST="raport.localhost")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "month,plan,met,breached,running,percent_met,average_reaction_business_hours"
    assert lines[1] == "2026-03,STANDARD,1,1,0,50.0,7.00"
    assert any(line.startswith(report_world["late"].reference + ",") and line.endswith(",2.00") for line in lines)


def test_csv_export_neutralises_a_customers_formula(client, report_world):
    # given a customer's subject that a spreadsheet would run
    late = report_world["late"]
    type(late).objects.filter(pk=late.pk).update(subject='=HYPERLINK("http://evil.example","Kliknij")')
    login_admin(client, report_world["tenant"])

    response = client.get(reverse("sla:report"), {"start": "2026-03", "end": "2026-04", "format": "csv"},
                          HTTP_HOST="raport.localhost")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    [row] = [r for r in rows if r and r[0] == late.reference]
    assert row[1] == '\'=HYPERLINK("http://evil.example","Kliknij")'


def test_bad_month_is_a_clear_error_not_a_500(client, report_world):
    login_admin(client, report_world["tenant"])
    response = client.get(reverse("sla:report"), {"start": "marzec", "end": "2026-04"}, HTTP_HOST="raport.localhost")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errorlist"' in html and 'name="start" value="marzec" aria-invalid="true"' in html


def test_agents_and_customers_cannot_open_the_report(client, report_world):
    agent = staff_make(report_world["tenant"], "agent@raport.example.com")
    client.force_login(agent.user)
    response = client.get(reverse("sla:report"), HTTP_HOST="raport.localhost")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_index_links_to_the_report(client, report_world):
    login_admin(client, report_world["tenant"])
    response = client.get(reverse("admin:sla_slareport_changelist"), HTTP_HOST="raport.localhost")
    assert response.status_code == 302 and response["Location"] == reverse("sla:report")
    index = client.get(reverse("admin:index"), HTTP_HOST="raport.localhost").content.decode()
    assert reverse("admin:sla_slareport_changelist") in index


def test_the_chart_renders_in_polish_with_svg_numbers(client, report_world):
    """Polish writes decimals with a comma; SVG coordinates must keep the point or nothing is drawn."""
    import re
    import xml.etree.ElementTree as ET

    admin = login_admin(client, report_world["tenant"])
    admin.user.language = "pl"
    admin.user.save(update_fields=["language"])
    response = client.get(reverse("sla:report"), {"start": "2026-03", "end": "2026-04"},
                          HTTP_HOST="raport.localhost", HTTP_ACCEPT_LANGUAGE="pl")
    html = response.content.decode()
    assert "Raport" in html or "SLA" in html
    svg = re.search(r'<svg role="img".*?</svg>', html, re.S).group(0)
    tree = ET.fromstring(svg)
    numeric = ("x", "y", "width", "height", "x1", "x2", "y1", "y2")
    values = [el.get(a) for el in tree.iter() for a in numeric if el.get(a) is not None]
    assert values, "the chart has no coordinates"
    for value in values:
        float(value)  # "662,5" would raise
    rects = [el for el in tree.iter() if el.tag.endswith("rect")]
    assert rects and any(float(r.get("height")) > 0 for r in rects)
