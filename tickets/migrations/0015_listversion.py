# The tenants' list versions (tickets.list_cache) and the triggers that keep them: any insert, update
# or delete of a row the ticket lists show counts. PostgreSQL: deferred constraint triggers on each
# table (inserts and deletes; updates), counting each committing transaction once per tenant (an
# update that changes nothing does not count). SQLite, the development database, has no deferred triggers and no concurrent writers:
# its triggers count at once, every row.
# The update trigger compares whole rows (OLD.* IS DISTINCT FROM NEW.*): every column of these tables
# needs an equality operator (jsonb has one; a plain json column would make their updates fail:
# tests/tickets/test_list_cache.py checks the columns).

from django.db import migrations, models

TABLES = ["tickets_ticket", "tickets_message", "tickets_slapause", "tickets_ticketseen", "tickets_savedview",
          "helpdesk_contact"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_listversion_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed_tenant bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed_tenant := OLD.tenant_id;
    ELSE
        changed_tenant := NEW.tenant_id;
    END IF;
    INSERT INTO tickets_listversion AS v (tenant_id, version, txid)
    VALUES (changed_tenant, 1, txid_current())
    ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1, txid = EXCLUDED.txid
    WHERE v.txid <> EXCLUDED.txid;
    RETURN NULL;
END
$$;
"""

PG_TRIGGERS = """
CREATE CONSTRAINT TRIGGER tickets_listversion_write AFTER INSERT OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tickets_listversion_count();
CREATE CONSTRAINT TRIGGER tickets_listversion_update AFTER UPDATE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION tickets_listversion_count();
"""

SQLITE_TRIGGER = """
CREATE TRIGGER tickets_listversion_{table}_{event} AFTER {event} ON {table} FOR EACH ROW BEGIN
    INSERT INTO tickets_listversion (tenant_id, version, txid) VALUES ({row}.tenant_id, 1, 0)
    ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1;
END;
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table in TABLES:
            schema_editor.execute(PG_TRIGGERS.format(table=table))
    elif vendor == "sqlite":
        for table in TABLES:
            for event, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
                schema_editor.execute(SQLITE_TRIGGER.format(table=table, event=event, row=row))
    else:
        raise NotImplementedError(f"tickets.list_cache has no triggers for {vendor}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS tickets_listversion_write ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS tickets_listversion_update ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS tickets_listversion_{table}_{event}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS tickets_listversion_count()")


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0014_ticket_contact_received_idx'),
    ]

    operations = [
        migrations.CreateModel(
            name='ListVersion',
            fields=[
                ('tenant_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('version', models.BigIntegerField(default=0)),
                ('txid', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
