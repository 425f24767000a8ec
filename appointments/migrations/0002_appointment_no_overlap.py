"""Two sessions holding one agent's time never overlap: a PostgreSQL exclusion constraint.

SQLite has no exclusion constraints; there the service's lock on the agent's membership row and its
overlap check are the only guard (they run on PostgreSQL too). The operations do nothing elsewhere.
"""
from django.db import migrations


class PostgreSQLOnly(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [("appointments", "0001_initial")]

    operations = [
        PostgreSQLOnly("CREATE EXTENSION IF NOT EXISTS btree_gist", migrations.RunSQL.noop),
        PostgreSQLOnly(
            "ALTER TABLE appointments_appointment ADD CONSTRAINT appointment_agent_no_overlap "
            "EXCLUDE USING gist (agent_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (status IN ('proposed', 'booked'))",
            "ALTER TABLE appointments_appointment DROP CONSTRAINT appointment_agent_no_overlap",
        ),
    ]
