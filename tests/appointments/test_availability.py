"""The availability pages: working hours, absences (own; a tenant admin anyone's) and booking rules (admins)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client

from appointments import selectors
from appointments.models import Absence, AgentSchedule, BookingRules
from core.models import Contact
from tests.appointments.conftest import NOW, WARSAW

pytestmark = pytest.mark.django_db


def client(world, member):
    c = Client(HTTP_HOST=world.tenant.domain)
    c.force_login(member.user)
    return c


def test_agent_saves_own_working_hours_and_they_limit_the_slots(start_ticket):
    from core.models import Membership, Role

    tenant = start_ticket.tenant
    agents = list(Membership.objects.for_tenant(tenant).filter(role=Role.AGENT).select_related("user"))
    me = agents[0]
    c = Client(HTTP_HOST=tenant.domain)
    c.force_login(me.user)
    # given an agent who works only on Tuesday mornings and the others who take no bookings
    for other in agents[1:]:
        AgentSchedule.objects.update_or_create(tenant=tenant, membership=other, defaults={"bookable": False})
    response = c.post("/agent/availability/", {"tue": "09:00–11:00", "bookable": "on"})
    assert response.status_code == 302
    schedule = AgentSchedule.objects.get(membership=me)
    assert schedule.windows == {"tue": [["09:00", "11:00"]]} and schedule.bookable
    # then the customer is offered sessions only then
    search = selectors.find_slots(tenant=tenant, organization=start_ticket.organization, kind="remote", length=60,
                                  now=NOW, days=7)
    starts = {s.astimezone(WARSAW).strftime("%a %H:%M") for s, _agents in search.slots}
    assert starts == {"Tue 09:00", "Tue 09:15", "Tue 09:30", "Tue 09:45", "Tue 10:00"}
    # and the page shows them back, in the format they were written
    assert 'value="09:00–11:00"' in c.get("/agent/availability/").content.decode()


def test_bad_hours_are_a_400_with_the_field(start_ticket):
    from core.models import Membership, Role

    me = Membership.objects.for_tenant(start_ticket.tenant).filter(role=Role.AGENT).first()
    c = Client(HTTP_HOST=start_ticket.tenant.domain)
    c.force_login(me.user)
    response = c.post("/agent/availability/", {"mon": "rano", "bookable": "on"})
    assert response.status_code == 400 and "08:00–16:00" in response.content.decode()
    response = c.post("/agent/availability/", {"mon": "16:00-25:30", "bookable": "on"})
    assert response.status_code == 400
    assert not AgentSchedule.objects.filter(membership=me).exclude(windows={}).exists()


def test_absence_blocks_slots_and_can_be_removed(start_ticket):
    from core.models import Membership, Role

    tenant = start_ticket.tenant
    agents = list(Membership.objects.for_tenant(tenant).filter(role=Role.AGENT))
    for other in agents[1:]:
        AgentSchedule.objects.update_or_create(tenant=tenant, membership=other, defaults={"bookable": False})
    c = Client(HTTP_HOST=tenant.domain)
    c.force_login(agents[0].user)
    # given an absence all Tuesday 5 May 2026
    response = c.post("/agent/availability/absences/", {"action": "add", "starts_at": "2026-05-05T00:00",
                                                        "ends_at": "2026-05-06T00:00", "reason": "urlop"})
    assert response.status_code == 302
    absence = Absence.objects.get(membership=agents[0])
    search = selectors.find_slots(tenant=tenant, organization=start_ticket.organization, kind="remote", length=60,
                                  now=NOW, days=7)
    assert not any(s.astimezone(WARSAW).date() == datetime(2026, 5, 5).date() for s, _a in search.slots)
    # an absence that ends before it starts is refused
    c.post("/agent/availability/absences/", {"action": "add", "starts_at": "2026-05-08T10:00",
                                             "ends_at": "2026-05-08T09:00"})
    assert Absence.objects.filter(membership=agents[0]).count() == 1
    # when it is removed, Tuesday is bookable again
    c.post("/agent/availability/absences/", {"action": "delete", "absence": absence.pk})
    assert not Absence.objects.filter(pk=absence.pk).exists()
    search = selectors.find_slots(tenant=tenant, organization=start_ticket.organization, kind="remote", length=60,
                                  now=NOW, days=7)
    assert any(s.astimezone(WARSAW).date() == datetime(2026, 5, 5).date() for s, _a in search.slots)


def test_only_admins_edit_others_and_never_another_tenants_staff(two_tenants):
    alpha, beta = two_tenants
    # an agent may not edit a colleague's hours or absences
    agent = client(alpha, alpha.agent)
    assert agent.get(f"/agent/availability/?member={alpha.admin.pk}").status_code == 404
    assert agent.post("/agent/availability/", {"member": alpha.admin.pk, "mon": "08:00-09:00"}).status_code == 404
    assert agent.post("/agent/availability/absences/", {
        "member": alpha.admin.pk, "action": "add", "starts_at": "2026-05-05T08:00",
        "ends_at": "2026-05-05T09:00"}).status_code == 404
    # a tenant admin may edit an agent's, but another tenant's staff member is a 404
    admin = client(alpha, alpha.admin)
    assert admin.get(f"/agent/availability/?member={alpha.agent.pk}").status_code == 200
    assert admin.post("/agent/availability/", {"member": alpha.agent.pk, "mon": "08:00-09:00",
                                               "bookable": "on"}).status_code == 302
    assert AgentSchedule.objects.get(membership=alpha.agent).windows == {"mon": [["08:00", "09:00"]]}
    assert admin.get(f"/agent/availability/?member={beta.agent.pk}").status_code == 404
    assert admin.post("/agent/availability/absences/", {
        "member": beta.agent.pk, "action": "add", "starts_at": "2026-05-05T08:00",
        "ends_at": "2026-05-05T09:00"}).status_code == 404
    beta_absence = Absence.objects.create(tenant=beta.tenant, membership=beta.agent, starts_at=NOW,
                                          ends_at=NOW + timedelta(hours=1))
    assert admin.post("/agent/availability/absences/", {"action": "delete",
                                                        "absence": beta_absence.pk}).status_code == 404
    assert Absence.objects.filter(pk=beta_absence.pk).exists()
    assert not AgentSchedule.objects.filter(membership=beta.agent).exists()


def test_booking_rules_are_for_tenant_admins(start_ticket):
    from core.models import Membership, Role

    tenant = start_ticket.tenant
    admin = Membership.objects.for_tenant(tenant).filter(role=Role.ADMIN).first()
    agent = Membership.objects.for_tenant(tenant).filter(role=Role.AGENT).first()
    assert client_for(tenant, agent).get("/agent/availability/rules/").status_code == 404
    c = client_for(tenant, admin)
    page = c.get("/agent/availability/rules/")
    assert page.status_code == 200
    from plans.selectors import plan_in_force

    plan_code = plan_in_force(tenant=tenant, organization=start_ticket.organization, at=NOW).terms.plan_code
    data = {"min_notice_minutes": 60, "horizon_days": 14, "buffer_minutes": 5, "step_minutes": 30,
            "phone_lengths": "15, 30", "remote_lengths": "30, 60", "late_cancel_hours": 12,
            "late_cancel_counts": "on"}
    plan_fields = [name for name in page.context["form"].fields if name.startswith("plan_")]
    assert f"plan_{plan_code}" in plan_fields
    data.update({name: "terms" for name in plan_fields})
    data[f"plan_{plan_code}"] = "phone"  # START may book phone consultations only
    # bad input: a 400 naming the field, nothing saved
    bad = c.post("/agent/availability/rules/", {**data, "remote_lengths": "trzydzieści"})
    assert bad.status_code == 400 and "remote_lengths" in bad.context["form"].errors
    assert not BookingRules.objects.for_tenant(tenant).exists()
    assert c.post("/agent/availability/rules/", {**data, "remote_lengths": "5"}).status_code == 400
    # good input is saved
    assert c.post("/agent/availability/rules/", data).status_code == 302
    rules = BookingRules.objects.for_tenant(tenant).get()
    assert (rules.min_notice_minutes, rules.horizon_days, rules.step_minutes, rules.remote_lengths,
            rules.late_cancel_counts) == (60, 14, 30, [30, 60], True)
    assert rules.kinds_by_plan == {plan_code: ["phone"]}
    assert selectors.find_slots(tenant=tenant, organization=start_ticket.organization, kind="remote",
                                length=60, now=NOW).slots == []
    assert selectors.find_slots(tenant=tenant, organization=start_ticket.organization, kind="phone",
                                length=30, now=NOW).slots


def client_for(tenant, member):
    c = Client(HTTP_HOST=tenant.domain)
    c.force_login(member.user)
    return c


def test_contact_is_not_staff(start_ticket):
    contact = Contact.objects.get(name="Joanna Stolarczyk")
    c = Client(HTTP_HOST=start_ticket.tenant.domain)
    c.force_login(contact.user)
    assert c.get("/agent/availability/").status_code == 404
