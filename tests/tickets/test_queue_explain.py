"""The agent queue at 100 000 tickets: the default order reads ticket_agent_queue_idx, and a page costs
the same number of queries however many tickets there are (RULES 4.5). PostgreSQL: the production
planner is the one that matters, and 100 000 rows take minutes on SQLite."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Role
from tests.factories import MembershipFactory, TenantFactory
from tickets.models import Ticket
from tickets.selectors import queue

STATUSES = ["new", "open", "open", "waiting_customer", "resolved", "closed", "closed", "closed"]


def _tickets(tenant, count: int, start: int = 0) -> None:
    """``count`` tickets in one INSERT … SELECT: a template row saved by the ORM, copied by
    generate_series with the columns the queue orders and filters by varied per row."""
    now = timezone.now()
    template = Ticket.objects.create(tenant=tenant, number=10_000 + start, subject="template", channel="email",
                                     received_at=now, waiting_since=now)
    varied = {
        "number": "10000 + g",
        "subject": "'s' || g",
        "status": f"(ARRAY{STATUSES!r})[mod(g, {len(STATUSES)}) + 1]",
        "critical": "mod(g, 97) = 0",
        "queue_priority": "mod(g, 3) * 5",
        "needs_agent": f"(ARRAY{STATUSES!r})[mod(g, {len(STATUSES)}) + 1] IN ('new', 'open') AND mod(g, 2) = 0",
        "next_due_at": "CASE WHEN mod(g, 4) <> 0 THEN t.received_at + mod(g, 5000) * interval '1 minute' END",
        "waiting_since": "t.received_at - g * interval '1 second'",
    }
    columns = [f.column for f in Ticket._meta.concrete_fields if f.column != "id"]
    values = [varied.get(column, f"t.{column}") for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO tickets_ticket ({', '.join(columns)}) SELECT {', '.join(values)} "
            "FROM tickets_ticket t, generate_series(%s, %s) g WHERE t.id = %s",
            [start + 1, start + count - 1, template.pk])
    Ticket.objects.filter(pk=template.pk).update(subject=f"s{start}", status=STATUSES[start % len(STATUSES)],
                                                 critical=start % 97 == 0, needs_agent=False,
                                                 next_due_at=None if start % 4 == 0 else now)


@pytest.fixture
def big_queue(db):
    tenant = TenantFactory()
    other = TenantFactory()
    membership = MembershipFactory(tenant=tenant, role=Role.AGENT)
    _tickets(tenant, 90_000)
    _tickets(other, 10_000, start=90_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return membership


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


@pytest.mark.postgresql
def test_the_default_queue_order_reads_through_ticket_agent_queue_idx_at_a_constant_query_count(big_queue, client):
    page = queue(tenant=big_queue.tenant, membership=big_queue)[:50]
    text = _plan(page)
    assert "ticket_agent_queue_idx" in text, text
    # no sort of the tickets (the row's subqueries, each one row, come after the main plan)
    assert "Sort" not in text.split("SubPlan")[0], text
    print(text)

    # and the queue page costs the same queries at 100 000 tickets as at a few
    client.force_login(big_queue.user)
    client.get("/agent/?per_page=50")  # both measured warm: the login's tenant and the view counts cached
    with CaptureQueriesContext(connection) as large:
        response = client.get("/agent/?per_page=50")
    assert response.status_code == 200 and response.content.count(b"data-row>") == 50
    with connection.cursor() as cursor:  # in two statements, not a signal per ticket
        cursor.execute("DELETE FROM tickets_ticketsearch WHERE ticket_id IN "
                       "(SELECT id FROM tickets_ticket WHERE number >= %s)", [10_060])  # the templates' rows
        cursor.execute("DELETE FROM tickets_ticket WHERE number >= %s", [10_060])
    client.get("/agent/?per_page=50")
    with CaptureQueriesContext(connection) as small:
        response = client.get("/agent/?per_page=50")
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    print(f"queries per queue page: {len(large.captured_queries)} at 100 000 tickets, "
          f"{len(small.captured_queries)} at {Ticket.objects.filter(tenant=big_queue.tenant).count()}")
