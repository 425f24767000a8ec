"""The scan reads only the due rows, through the partial indexes (PostgreSQL and SQLite alike)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from monitor.services import due_for_breach, due_for_warning
from tests.factories import TenantFactory
from tests.sla.test_monitor import ticket_make
from tickets.models import Ticket


@pytest.fixture
def many_open(db):
    """40 000 tickets: running SLAs far from due, met ones long past, five past their deadline and three
    past their warning time only."""
    tenant = TenantFactory()
    now = timezone.now()
    rows = []
    for i in range(20_000):
        rows.append(Ticket(tenant=tenant, number=100_000 + i, subject="s", channel="email", received_at=now,
                           sla_state="running", due_at=now + timedelta(days=2, seconds=i),
                           warn_at=now + timedelta(days=1, seconds=i)))
        rows.append(Ticket(tenant=tenant, number=200_000 + i, subject="s", channel="email", received_at=now,
                           sla_state="met", due_at=now - timedelta(days=1, seconds=i),
                           warn_at=now - timedelta(days=2, seconds=i), warned_at=now - timedelta(days=2)))
    Ticket.objects.bulk_create(rows, batch_size=2000)
    for i in range(5):
        ticket_make(tenant, due_at=now - timedelta(minutes=i + 1))
    for i in range(3):
        ticket_make(tenant, due_at=now + timedelta(minutes=30), warn_at=now - timedelta(minutes=i + 1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return now


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def test_the_breach_query_reads_through_ticket_sla_due_idx(many_open):
    query = due_for_breach(many_open).values_list("pk", "tenant_id", "due_at", "reacted_at")[:500]
    text = plan(query)
    if connection.vendor == "postgresql":
        assert "Index Scan using ticket_sla_due_idx" in text or "Bitmap Index Scan on ticket_sla_due_idx" in text, text
    else:
        assert "USING INDEX ticket_sla_due_idx" in text, text
    assert len(list(query)) == 5


def test_the_warning_query_reads_through_ticket_sla_warn_idx(many_open):
    query = due_for_warning(many_open).values_list("pk", "tenant_id", "warn_at")[:500]
    text = plan(query)
    if connection.vendor == "postgresql":
        assert ("Index Scan using ticket_sla_warn_idx" in text
                or "Bitmap Index Scan on ticket_sla_warn_idx" in text), text
    else:
        assert "USING INDEX ticket_sla_warn_idx" in text, text
    # the warnings of tickets past their deadline too are the breach step's (recorded with the breach)
    assert Ticket.objects.filter(pk__in=query.values("pk")).count() == 3
