"""The SLA report per target (RULES 4.7): CSV per month, target, plan, organization and agent, breaches listed."""
from __future__ import annotations

from django.urls import reverse

from monitor.models import SlaEvent
from tests.sla.test_report import at, login_admin, report_world  # noqa: F401  (fixture)
from tickets.models import Ticket


def test_the_targets_csv_counts_every_target_and_lists_the_breaches(client, report_world):  # noqa: F811
    tenant = report_world["tenant"]
    # the met ticket owed three replies: one missed (a breach event), one met, one still owed; and its
    # resolution was missed
    met = report_world["met"]
    Ticket.objects.filter(pk=met.pk).update(
        sla_targets={"calendar": {}, "start": met.received_at.isoformat(), "next_reply": 60, "resolution": 600},
        reply_cycle=3, reply_started_at=at(2026, 3, 4, 9), reply_due_at=at(2026, 3, 4, 10),
        resolution_breached_at=at(2026, 3, 3, 12), resolution_due_at=at(2026, 3, 3, 12))
    SlaEvent.objects.create(tenant=tenant, ticket=met, kind="breach", target="next_reply", cycle=1,
                            at=at(2026, 3, 2, 16), recorded_at=at(2026, 3, 2, 16))
    SlaEvent.objects.create(tenant=report_world["other"], ticket=Ticket.objects.get(subject="Cudze zgłoszenie"),
                            kind="breach", target="next_reply", cycle=1, at=at(2026, 3, 2, 16),
                            recorded_at=at(2026, 3, 2, 16))

    login_admin(client, tenant)
    page = client.get(reverse("sla:report"), {"start": "2026-03", "end": "2026-04"},
                      HTTP_HOST="raport.localhost").content.decode()
    assert "format=targets_csv" in page
    response = client.get(reverse("sla:report"), {"start": "2026-03", "end": "2026-04", "format": "targets_csv"},
                          HTTP_HOST="raport.localhost")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    organization = met.organization.name if met.organization else "—"
    assert lines[0] == "month,target,plan,organization,agent,met,breached,running,percent_met"
    assert f"2026-03,reaction,STANDARD,{organization},—,1,1,0,50.0" in lines
    assert f"2026-03,next_reply,STANDARD,{organization},—,1,1,1,50.0" in lines
    assert f"2026-03,resolution,STANDARD,{organization},—,0,1,0,0.0" in lines
    assert "2026-04,reaction,STANDARD,—,—,0,0,1," in lines
    breaches = [line for line in lines if line.startswith(met.reference + ",")]
    assert len(breaches) == 1 and ",next_reply,1," in breaches[0]
    assert "Cudze zgłoszenie" not in response.content.decode("utf-8-sig")
