"""Migration operations that are safe while the previous release keeps serving.

``AddIndexConcurrently`` (PostgreSQL) builds an index without locking writes to the table, but
it exists only on PostgreSQL and needs a non-atomic migration. ``AddIndexSafely`` is the same
on PostgreSQL and a plain ``AddIndex`` on SQLite (the development and test database, where a
lock costs nothing). Use it, in a migration with ``atomic = False``, for every new index on a
large table; tests/ops/test_migrations_safe.py insists.
"""
from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


class AddIndexSafely(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexSafely(RemoveIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class DropColumnIndex(migrations.operations.base.Operation):
    """Drop the index Django made for one column (a foreign key's), keeping the column and its
    constraint: ``DROP INDEX CONCURRENTLY`` on PostgreSQL (the migration needs ``atomic = False``),
    a plain ``DROP INDEX`` on SQLite. Pair it, in ``SeparateDatabaseAndState``, with the
    ``AlterField(db_index=False)`` of the state: Django's own ``AlterField`` would drop and re-add
    the foreign key constraint, which checks every row under a lock."""

    reversible = True

    def __init__(self, model_name: str, field_name: str):
        self.model_name, self.field_name = model_name, field_name

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "field_name": self.field_name}

    def state_forwards(self, app_label, state):
        pass

    def _model_and_column(self, app_label, state):
        model = state.apps.get_model(app_label, self.model_name)
        return model, model._meta.get_field(self.field_name).column

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model, column = self._model_and_column(app_label, from_state)
        table = model._meta.db_table
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        concurrently = " CONCURRENTLY" if connection.vendor == "postgresql" else ""
        for name, info in constraints.items():
            if info["index"] and info["columns"] == [column] and not (info["unique"] or info["primary_key"]):
                schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {schema_editor.quote_name(name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model, column = self._model_and_column(app_label, to_state)
        table = model._meta.db_table
        name = schema_editor._create_index_name(table, [column])
        concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"CREATE INDEX{concurrently} IF NOT EXISTS {schema_editor.quote_name(name)} "
                              f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})")

    def describe(self):
        return f"Drop the index of {self.model_name}.{self.field_name}"
