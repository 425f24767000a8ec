"""Indexes as the migrations leave them, on the test database (SQLite or PostgreSQL).

Every index costs every insert and every update that touches its columns (the SLA scan writes
thousands of tickets and events at once). An index on one column that another index or unique
constraint already leads with serves no read the other does not, so none may exist on the tables
that grow with the tickets; and every foreign key stays the leading column of some index, so that
deleting the row it points to never reads the whole table.
"""
from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from tests.ops.test_migrations_safe import LARGE_TABLES

pytestmark = pytest.mark.django_db


def _indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name: info for name, info in constraints.items()
            if (info["index"] or info["unique"] or info["primary_key"]) and info["columns"]}


def _large_models():
    for app_label, model_name in sorted(LARGE_TABLES):
        yield apps.get_model(app_label, model_name)


@pytest.mark.parametrize("model", list(_large_models()), ids=lambda m: m._meta.label)
def test_no_single_column_index_repeats_the_lead_of_another(model):
    indexes = _indexes(model._meta.db_table)
    redundant = []
    for name, info in indexes.items():
        if len(info["columns"]) != 1 or info["unique"] or info["primary_key"] or info.get("orders") == ["DESC"]:
            continue
        column = info["columns"][0]
        covering = [other for other, o in indexes.items() if other != name and o["columns"][0] == column
                    and len(o["columns"]) > 1 and not _partial(other, o)]
        if covering:
            redundant.append(f"{name} ({column}) is the lead of {covering}")
    assert not redundant, redundant


def _partial(name: str, info: dict) -> bool:
    # A partial index does not serve every read of its lead column. Introspection does not say which
    # indexes are partial; their names here end in _idx and the product names every one it declares.
    declared = {index.name: index for model in apps.get_models() for index in model._meta.indexes}
    declared.update({c.name: c for model in apps.get_models() for c in model._meta.constraints})
    return getattr(declared.get(name), "condition", None) is not None


@pytest.mark.parametrize("model", list(_large_models()), ids=lambda m: m._meta.label)
def test_every_foreign_key_leads_an_index(model):
    leads = {info["columns"][0] for info in _indexes(model._meta.db_table).values()}
    unindexed = [field.column for field in model._meta.concrete_fields
                 if field.many_to_one and field.db_constraint and field.column not in leads]
    assert not unindexed, f"{model._meta.label}: deleting a referenced row would scan the table for {unindexed}"


@pytest.mark.postgresql
def test_connections_start_without_parallel_workers():
    # settings: DATABASE_PARALLEL_WORKERS, default 0 (docs/operations.md, "Parallel query")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.postgresql
@pytest.mark.django_db
def test_a_statement_a_connection_repeats_is_prepared_on_the_server():
    # settings: DATABASE_PREPARED_STATEMENTS, default on. Django leaves psycopg's preparing off unless
    # ``prepare_threshold`` is given; binding parameters on the server alone prepares nothing.
    from tickets.models import Ticket

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                           ["%tickets_ticket%"])
            return cursor.fetchone()[0]

    before = prepared()
    for pk in range(7):
        list(Ticket.objects.filter(pk=pk, status="new").values_list("id"))
    assert prepared() == before + 1
