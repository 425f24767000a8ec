"""The SLA report per target (RULES 4.7): achievement per month, plan, organization and agent for the
reaction, the next reply and the resolution; every breach listed; CSV; charts; filters; query count."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitor.models import SlaEvent
from monitor.target_report import target_report
from plans.models import PlanTerms
from tests.factories import OrganizationFactory, PlanFactory
from tests.sla.test_monitor import staff_make, ticket_make
from tests.sla.test_report import at, login_admin, report_world  # noqa: F401  (fixture)
from tickets.models import Message, Ticket

HOST = {"HTTP_HOST": "raport.localhost"}
MARCH = {"start": "2026-03", "end": "2026-04"}


def login_in(client, tenant, language: str):
    admin = login_admin(client, tenant)
    admin.user.language = language
    admin.user.save(update_fields=["language"])
    return admin


@pytest.fixture
def targets_world(report_world):  # noqa: F811
    """The met ticket owed three replies: one missed (a breach event, answered 90 minutes late), one met,
    one still owed; and its resolution was missed (resolved 2 hours late)."""
    tenant = report_world["tenant"]
    met = report_world["met"]
    Ticket.objects.filter(pk=met.pk).update(
        sla_targets={"calendar": {}, "start": met.received_at.isoformat(), "next_reply": 60, "resolution": 600},
        reply_cycle=3, reply_started_at=at(2026, 3, 4, 9), reply_due_at=at(2026, 3, 4, 10),
        resolution_breached_at=at(2026, 3, 3, 12), resolution_due_at=at(2026, 3, 3, 12),
        resolved_at=at(2026, 3, 3, 14), status="resolved")
    SlaEvent.objects.create(tenant=tenant, ticket=met, kind="breach", target="next_reply", cycle=1,
                            at=at(2026, 3, 2, 16), recorded_at=at(2026, 3, 2, 16))
    Message.objects.create(tenant=tenant, ticket=met, body="Już sprawdzamy.", from_staff=True, source="agent",
                           created_at=at(2026, 3, 2, 17, 30))
    Message.objects.create(tenant=tenant, ticket=met, body="notatka", from_staff=True, internal=True,
                           source="agent", created_at=at(2026, 3, 2, 16, 10))
    SlaEvent.objects.create(tenant=report_world["other"], ticket=Ticket.objects.get(subject="Cudze zgłoszenie"),
                            kind="breach", target="next_reply", cycle=1, at=at(2026, 3, 2, 16),
                            recorded_at=at(2026, 3, 2, 16))
    return report_world


def test_the_targets_csv_counts_every_target_and_lists_the_breaches(client, targets_world):
    met = targets_world["met"]
    login_admin(client, targets_world["tenant"])
    page = client.get(reverse("sla:report"), MARCH, **HOST).content.decode()
    assert "format=targets_csv" in page
    response = client.get(reverse("sla:report"), {**MARCH, "format": "targets_csv"}, **HOST)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    organization = met.organization.name if met.organization else "—"
    assert lines[0] == "month,target,plan,organization,agent,met,breached,running,percent_met"
    assert f"2026-03,reaction,STANDARD,{organization},—,1,1,0,50.0" in lines
    assert f"2026-03,next_reply,STANDARD,{organization},—,1,1,1,50.0" in lines
    assert f"2026-03,resolution,STANDARD,{organization},—,0,1,0,0.0" in lines
    assert "2026-04,reaction,STANDARD,—,—,0,0,1," in lines
    # every breach the counts hold is listed, with how late it was met (minutes)
    breaches = sorted(line for line in lines if line.startswith(met.reference + ","))
    assert len(breaches) == 2
    due, recorded, answered = "2026-03-02T15:00:00+00:00", "2026-03-02T15:00:00+00:00", "2026-03-02T16:30:00+00:00"
    assert f",next_reply,1,{due},{due},{recorded},{answered},90" in breaches[0]
    due, resolved = "2026-03-03T11:00:00+00:00", "2026-03-03T13:00:00+00:00"
    assert f",resolution,1,{due},{due},,{resolved},120" in breaches[1]
    assert any(line.startswith(targets_world["late"].reference + ",") and ",reaction,1," in line for line in lines)
    assert "Cudze zgłoszenie" not in response.content.decode("utf-8-sig")


def test_the_page_shows_each_target_with_its_chart_table_and_breaches(client, targets_world):
    login_in(client, targets_world["tenant"], "en")
    response = client.get(reverse("sla:report"), MARCH, **HOST)
    assert response.status_code == 200
    html = response.content.decode()
    charts = re.findall(r'<svg role="img"[^>]*data-target="([a-z_]+)"', html)
    assert charts == ["reaction", "next_reply", "resolution"]
    breaches = html[html.index('class="sla-breaches"'):]
    # reaction (late ticket), next reply cycle 1 and resolution of the met ticket; the other tenant's is absent
    assert breaches.count("<tr><td><a href=") == 3
    assert "02.03.2026, 16:00" in breaches and "1 h 30 min" in breaches and "2 h" in breaches
    assert targets_world["late"].reference in breaches and "Cudze zgłoszenie" not in html
    assert "Breaches (3)" in html


def test_the_charts_render_in_polish_with_svg_numbers_per_target(client, targets_world):
    login_in(client, targets_world["tenant"], "pl")
    response = client.get(reverse("sla:report"), MARCH, HTTP_ACCEPT_LANGUAGE="pl", **HOST)
    html = response.content.decode()
    assert "Przekroczenia (3)" in html and "kolejna odpowiedź" in html.lower()
    svgs = re.findall(r'<svg role="img".*?</svg>', html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        tree = ET.fromstring(svg)
        numeric = ("x", "y", "width", "height", "x1", "x2", "y1", "y2")
        values = [el.get(a) for el in tree.iter() for a in numeric if el.get(a) is not None]
        assert values and all("," not in v for v in values)
        for value in values:
            float(value)
        rects = [el for el in tree.iter() if el.tag.endswith("rect")]
        assert rects and all(float(r.get("height")) > 0 for r in rects)
        assert any(r.get("class") == "sla-breached" for r in rects)


def test_filters_by_plan_organization_and_agent(client, report_world):  # noqa: F811
    tenant = report_world["tenant"]
    plan = report_world["met"].plan
    other_plan = PlanFactory(tenant=tenant, name="PREMIUM")
    shop = OrganizationFactory(tenant=tenant, name="Sklep Nowak")
    agent = staff_make(tenant, "anna@raport.example.com")
    agent.user.first_name, agent.user.last_name = "Anna", "Zając"
    agent.user.save()
    ticket = ticket_make(tenant, due_at=at(2026, 3, 12, 10), state="breached", plan=other_plan,
                         terms=PlanTerms.objects.get(plan=other_plan), organization=shop, assignee=agent,
                         breached_at=at(2026, 3, 12, 10))
    Ticket.objects.filter(pk=ticket.pk).update(received_at=at(2026, 3, 11, 10))

    everything = target_report(tenant=tenant, start=at(2026, 3, 1).date(), end=at(2026, 4, 1).date())
    assert {(r.plan, r.organization, r.agent) for r in everything.rows} == {
        ("STANDARD", "—", "—"), ("PREMIUM", "Sklep Nowak", "Anna Zając")}
    for filters in ({"plan": other_plan}, {"organization": shop}, {"agent": agent}):
        report = target_report(tenant=tenant, start=at(2026, 3, 1).date(), end=at(2026, 4, 1).date(), **filters)
        assert [(r.target, r.met, r.breached, r.running) for r in report.rows] == [("reaction", 0, 1, 0)]
        assert [b.ticket.pk for b in report.breaches] == [ticket.pk]
    only_standard = target_report(tenant=tenant, start=at(2026, 3, 1).date(), end=at(2026, 4, 1).date(), plan=plan)
    assert only_standard.totals[0].met == 1 and only_standard.totals[0].breached == 1

    login_admin(client, tenant)
    response = client.get(reverse("sla:report"), {**MARCH, "plan": other_plan.pk, "organization": shop.pk,
                                                  "agent": agent.pk, "format": "targets_csv"}, **HOST)
    lines = response.content.decode("utf-8-sig").splitlines()
    assert "2026-03,reaction,PREMIUM,Sklep Nowak,Anna Zając,0,1,0,0.0" in lines
    assert not any(",STANDARD," in line for line in lines)


@pytest.mark.parametrize("field", ["plan", "organization", "agent"])
def test_another_tenants_choice_or_garbage_is_a_form_error(client, report_world, field):  # noqa: F811
    other = report_world["other"]
    foreign = {"plan": lambda: PlanFactory(tenant=other).pk,
               "organization": lambda: OrganizationFactory(tenant=other).pk,
               "agent": lambda: staff_make(other, "obcy@obcy.example.com").pk}[field]()
    login_admin(client, report_world["tenant"])
    for value in (foreign, "abc", "-1", "1e9"):
        response = client.get(reverse("sla:report"), {**MARCH, field: value}, **HOST)
        assert response.status_code == 400
        assert 'class="errorlist"' in response.content.decode()


def test_the_report_costs_the_same_queries_for_3_or_60_tickets(client, report_world):  # noqa: F811
    tenant = report_world["tenant"]
    login_in(client, tenant, "en")
    url = reverse("sla:report")
    client.get(url, MARCH, **HOST)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, MARCH, **HOST).status_code == 200
    plan = report_world["met"].plan
    for n in range(57):
        organization = OrganizationFactory(tenant=tenant, name=f"Firma {n}")
        agent = staff_make(tenant, f"agent{n}@raport.example.com")
        ticket = ticket_make(tenant, due_at=at(2026, 3, 20, 10), state="breached" if n % 2 else "met",
                             plan=plan, organization=organization, assignee=agent, breached_at=at(2026, 3, 20, 10),
                             sla_targets={"calendar": {}, "start": "2026-03-19T10:00:00+01:00", "next_reply": 60,
                                          "resolution": 600},
                             reply_cycle=2, resolution_breached_at=at(2026, 3, 21, 10))
        Ticket.objects.filter(pk=ticket.pk).update(received_at=at(2026, 3, 19, 10))
        SlaEvent.objects.create(tenant=tenant, ticket=ticket, kind="breach", target="next_reply", cycle=1,
                                at=at(2026, 3, 19, 12), recorded_at=at(2026, 3, 19, 12))
    client.get(url, MARCH, **HOST)  # new staff and organizations emptied the login's cached tenant
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, MARCH, **HOST)
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert "Breaches (%d)" % (1 + 28 + 57 + 57) in response.content.decode()


def test_the_breach_list_is_cut_but_counted(report_world):  # noqa: F811
    tenant = report_world["tenant"]
    for n in range(5):
        ticket = ticket_make(tenant, due_at=at(2026, 3, 20, 10 + n), state="breached",
                             breached_at=at(2026, 3, 20, 10 + n))
        Ticket.objects.filter(pk=ticket.pk).update(received_at=at(2026, 3, 19, 10))
    report = target_report(tenant=tenant, start=at(2026, 3, 1).date(), end=at(2026, 4, 1).date(), limit=3)
    assert report.breach_count == 6 and report.breaches_cut
    assert [b.due_at for b in report.breaches] == [at(2026, 3, 9, 16), at(2026, 3, 20, 10), at(2026, 3, 20, 11)]

