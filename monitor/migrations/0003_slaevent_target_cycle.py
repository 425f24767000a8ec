"""SLA events per target and cycle (RULES 4.7): the exactly-once key becomes (ticket, kind, target, cycle).

The new unique index is built concurrently on PostgreSQL (the events table is large), then attached
as the constraint; only then is the old (ticket, kind) constraint dropped, so there is no moment
without an exactly-once key.
"""
from django.db import migrations, models

TABLE = "sla_slaevent"
NEW = "slaevent_ticket_target_cycle_uniq"


def unique_index_create(apps, schema_editor):
    columns = '"ticket_id", "kind", "target", "cycle"'
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "{NEW}" ON "{TABLE}" ({columns})')
        schema_editor.execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{NEW}" UNIQUE USING INDEX "{NEW}"')
    else:
        schema_editor.execute(f'CREATE UNIQUE INDEX "{NEW}" ON "{TABLE}" ({columns})')


def unique_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'ALTER TABLE "{TABLE}" DROP CONSTRAINT IF EXISTS "{NEW}"')
    else:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{NEW}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sla", "0002_slaevent_late"),
        ("tickets", "0007_sla_targets_pauses_queue"),
    ]

    operations = [
        migrations.AddField(
            model_name="slaevent",
            name="cycle",
            field=models.PositiveIntegerField(db_default=1, default=1, verbose_name="cycle"),
        ),
        migrations.AddField(
            model_name="slaevent",
            name="target",
            field=models.CharField(db_default="reaction", default="reaction", help_text="reaction, next_reply or resolution", max_length=12,
                                   verbose_name="target"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(unique_index_create, unique_index_drop)],
            state_operations=[migrations.AddConstraint(
                model_name="slaevent",
                constraint=models.UniqueConstraint(fields=("ticket", "kind", "target", "cycle"), name=NEW),
            )],
        ),
        migrations.RemoveConstraint(
            model_name="slaevent",
            name="slaevent_ticket_kind_uniq",
        ),
    ]
