"""The queue and portal selectors: RULES 4.5 order, filters, tenancy, and a constant query count."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import Ticket
from tickets.selectors import QueueFilters, portal_tickets, queue


def _set(ticket, **fields):
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def people(demo):
    return {
        "standard": contact("wysylki", "Krzysztof Prądzyński"),
        "email": contact("wysylki", "Paweł Nowicki"),
        "community": contact("wysylki", "Ewa Kwiatkowska"),
        "agent": agent("wysylki", "agent@wysylki.example.com"),
        "agent2": agent("wysylki", "agent2@wysylki.example.com"),
        "kjm": contact("kjm", "Barbara Księgowa"),
    }


def test_queue_order_needs_agent_then_critical_priority_next_due_nulls_last_waiting_since(people):
    # given tickets whose ordering fields are set explicitly
    now = timezone.now()
    base = dict(status=Ticket.Status.NEW, critical=False, queue_priority=0, needs_agent=True)
    no_due_old = _set(file_ticket(people["email"], "no due, old"), **base, next_due_at=None,
                      waiting_since=now - timedelta(days=3))
    late_due = _set(file_ticket(people["email"], "late due"), **base, next_due_at=now + timedelta(hours=9),
                    waiting_since=now - timedelta(hours=1))
    early_due = _set(file_ticket(people["email"], "early due"), **base, next_due_at=now + timedelta(hours=1),
                     waiting_since=now - timedelta(minutes=5))
    priority = _set(file_ticket(people["email"], "priority plan"), **{**base, "queue_priority": 5},
                    next_due_at=now + timedelta(days=2), waiting_since=now)
    critical = _set(file_ticket(people["email"], "critical"), **{**base, "critical": True}, next_due_at=None,
                    waiting_since=now)
    no_due_new = _set(file_ticket(people["email"], "no due, new"), **base, next_due_at=None,
                      waiting_since=now - timedelta(days=1))
    # waiting on the customer: below every ticket that needs an agent, however critical and overdue
    waiting_critical = _set(file_ticket(people["email"], "waiting, critical"),
                            **{**base, "status": Ticket.Status.WAITING_CUSTOMER, "critical": True,
                               "needs_agent": False, "queue_priority": 9},
                            next_due_at=now - timedelta(days=1), waiting_since=now - timedelta(days=5))
    waiting = _set(file_ticket(people["email"], "waiting"),
                   **{**base, "status": Ticket.Status.WAITING_CUSTOMER, "needs_agent": False},
                   next_due_at=None, waiting_since=now - timedelta(days=5))
    resolved = _set(file_ticket(people["email"], "resolved"), **{**base, "status": Ticket.Status.RESOLVED})

    # when the agent reads the queue
    rows = list(queue(tenant=people["agent"].tenant, membership=people["agent"]))

    # then the order follows RULES 4.5 and only active tickets are listed
    assert [t.pk for t in rows] == [critical.pk, priority.pk, early_due.pk, late_due.pk, no_due_old.pk,
                                    no_due_new.pk, waiting_critical.pk, waiting.pk]
    assert resolved.pk not in [t.pk for t in rows]


def test_queue_filters(people):
    tenant = people["agent"].tenant
    now = timezone.now()
    mine = _set(file_ticket(people["email"], "mine"), assignee=people["agent"])
    theirs = _set(file_ticket(people["email"], "theirs"), assignee=people["agent2"])
    overdue = _set(file_ticket(people["standard"], "overdue"), sla_state="running", due_at=now - timedelta(hours=1))
    critical = _set(file_ticket(people["standard"], "critical"), critical=True)
    waiting = _set(file_ticket(people["community"], "waiting"), status=Ticket.Status.WAITING_CUSTOMER)
    closed = _set(file_ticket(people["community"], "closed"), status=Ticket.Status.CLOSED)

    def ids(**kwargs):
        return {t.pk for t in queue(tenant=tenant, membership=people["agent"], filters=QueueFilters(**kwargs))}

    assert ids(mine=True) == {mine.pk}
    assert theirs.pk not in ids(unassigned=True) and mine.pk not in ids(unassigned=True)
    assert overdue.pk in ids(breached=True) and mine.pk not in ids(breached=True)
    assert ids(critical=True) == {critical.pk}
    assert ids(waiting=True) == {waiting.pk}
    assert ids(organization=people["standard"].organization_id) == {overdue.pk, critical.pk}
    assert ids(statuses=["closed"]) == {closed.pk}
    assert closed.pk not in ids()
    assert ids(search=mine.reference) == {mine.pk}
    assert ids(search="theirs") == {theirs.pk}
    plan_id = Ticket.objects.get(pk=overdue.pk).plan_id
    assert overdue.pk in ids(plan=plan_id) and mine.pk not in ids(plan=plan_id)


def test_queue_never_shows_another_tenants_tickets(people):
    other = file_ticket(people["kjm"], "KJM ticket")
    rows = queue(tenant=people["agent"].tenant, membership=people["agent"])
    assert other.pk not in {t.pk for t in rows}


def test_portal_lists_the_whole_organization_but_nothing_else(people, demo):
    same_org_colleague = file_ticket(people["email"], "colleague's ticket")
    own = file_ticket(people["email"], "own")
    other_org = file_ticket(people["standard"], "other organization")
    open_ids = {t.pk for t in portal_tickets(tenant=demo.wysylki, contact=people["email"])}
    assert {same_org_colleague.pk, own.pk} <= open_ids
    assert other_org.pk not in open_ids
    _set(own, status=Ticket.Status.CLOSED)
    assert own.pk in {t.pk for t in portal_tickets(tenant=demo.wysylki, contact=people["email"], state="closed")}
    assert own.pk not in {t.pk for t in portal_tickets(tenant=demo.wysylki, contact=people["email"], state="open")}


def _render_count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_queue_and_portal_pages_cost_the_same_number_of_queries_for_10_and_50_rows(people, client, settings,
                                                                                   tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    # given 60 tickets from several organizations, some assigned, some with attachments
    contacts = [people["standard"], people["email"], people["community"]]
    for n in range(60):
        ticket = file_ticket(contacts[n % 3], f"problem {n}", attachment=(n % 7 == 0))
        if n % 2:
            _set(ticket, assignee=people["agent2"])

    # when the agent opens the queue at page sizes 10 and 50
    client.force_login(people["agent"].user)
    client.get("/agent/")  # the session's tenant and role are read once, then cached
    small, r10 = _render_count(client, "/agent/?per_page=10")
    large, r50 = _render_count(client, "/agent/?per_page=50")

    # then both cost the same
    assert r10.content.count(b"data-row>") == 10 and r50.content.count(b"data-row>") == 50
    assert small == large

    # and the same holds for the customer's portal list
    client.force_login(people["email"].user)
    client.get("/portal/")
    small, r10 = _render_count(client, "/portal/?per_page=10")
    large, r50 = _render_count(client, "/portal/?per_page=50")
    assert small == large


@pytest.mark.parametrize("target", ["reaction", "next_reply", "resolution"])
def test_the_breached_filter_finds_a_missed_target_of_each_kind(people, client, target):
    """?breached=1 (and the search's SLA state "breached") select any target missed in the current cycle,
    recorded by the monitor or just past its due time; a met or future target is not selected."""
    tenant = people["agent"].tenant
    now = timezone.now()
    hour = timedelta(hours=1)
    reacted = dict(sla_state="met", reacted_at=now - 5 * hour, status=Ticket.Status.OPEN)
    fields = {
        "reaction": [dict(sla_state="breached", due_at=now - 3 * hour, breached_at=now - 3 * hour),
                     dict(sla_state="running", due_at=now - hour)],
        "next_reply": [dict(**reacted, reply_cycle=2, reply_started_at=now - 4 * hour, reply_due_at=now - 3 * hour,
                            reply_breached_at=now - 3 * hour),
                       dict(**reacted, reply_cycle=1, reply_started_at=now - 2 * hour, reply_due_at=now - hour)],
        "resolution": [dict(**reacted, resolution_due_at=now - 3 * hour, resolution_breached_at=now - 3 * hour),
                       dict(**reacted, resolution_due_at=now - hour)],
    }[target]
    recorded = _set(file_ticket(people["standard"], f"{target} recorded"), **fields[0])
    just_past = _set(file_ticket(people["standard"], f"{target} just past"), **fields[1])
    # the same target met in time, or still ahead, is not breached
    fine = {
        "reaction": [dict(sla_state="met", due_at=now - hour, reacted_at=now - 2 * hour),
                     dict(sla_state="running", due_at=now + hour)],
        "next_reply": [dict(**reacted, reply_cycle=1, reply_started_at=now - 3 * hour, reply_due_at=now - hour,
                            reply_met_at=now - 2 * hour),
                       dict(**reacted, reply_cycle=1, reply_started_at=now - hour, reply_due_at=now + hour)],
        "resolution": [{**reacted, "resolution_due_at": now - hour, "resolved_at": now - 2 * hour,
                        "status": Ticket.Status.RESOLVED},
                       dict(**reacted, resolution_due_at=now + hour)],
    }[target]
    met = [_set(file_ticket(people["standard"], f"{target} fine {n}"), **f) for n, f in enumerate(fine)]

    def ids(**kwargs):
        return {t.pk for t in queue(tenant=tenant, membership=people["agent"], filters=QueueFilters(**kwargs))}

    everything = ids(all_statuses=True)
    assert {recorded.pk, just_past.pk} | {t.pk for t in met} <= everything
    assert ids(breached=True, all_statuses=True) & everything == {recorded.pk, just_past.pk}
    assert ids(sla_state="breached", all_statuses=True) & everything == {recorded.pk, just_past.pk}
    client.force_login(people["agent"].user)
    page = client.get("/agent/?breached=1&per_page=50")
    html = page.content.decode()
    assert page.status_code == 200
    assert recorded.reference in html and just_past.reference in html
    assert not any(t.reference in html for t in met)
