"""The agent queue at 100 000 tickets: the default order reads ticket_agent_queue_idx, and a page costs
the same number of queries however many tickets there are (RULES 4.5). PostgreSQL: the production
planner is the one that matters, and 100 000 rows take minutes on SQLite."""
from __future__ import annotations

from datetime import timedelta

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
    now = timezone.now()
    rows = []
    for i in range(start, start + count):
        status = STATUSES[i % len(STATUSES)]
        rows.append(Ticket(
            tenant=tenant, number=10_000 + i, subject=f"s{i}", channel="email", received_at=now, status=status,
            critical=i % 97 == 0, queue_priority=(i % 3) * 5, needs_agent=status in ("new", "open") and i % 2 == 0,
            next_due_at=now + timedelta(minutes=i % 5000) if i % 4 else None,
            waiting_since=now - timedelta(seconds=i)))
    Ticket.objects.bulk_create(rows, batch_size=5000)


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
    assert "Sort" not in text, text
    print(text)

    # and the queue page costs the same queries at 100 000 tickets as at a few
    client.force_login(big_queue.user)
    client.get("/agent/?per_page=50")  # both measured warm: the login's tenant and the view counts cached
    with CaptureQueriesContext(connection) as large:
        response = client.get("/agent/?per_page=50")
    assert response.status_code == 200 and response.content.count(b"data-row>") == 50
    Ticket.objects.filter(number__gte=10_060).delete()
    client.get("/agent/?per_page=50")
    with CaptureQueriesContext(connection) as small:
        response = client.get("/agent/?per_page=50")
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    print(f"queries per queue page: {len(large.captured_queries)} at 100 000 tickets, "
          f"{len(small.captured_queries)} at {Ticket.objects.filter(tenant=big_queue.tenant).count()}")
