"""Migrations that are safe to apply while the previous release keeps serving (README "Upgrades").

Checked for every migration written after this check existed (older ones were applied to every
installation long ago and are listed in BASELINE):

- no plain ``AddIndex``/unique constraint on a large table: ``core.migration_operations.AddIndexSafely``
  (CONCURRENTLY on PostgreSQL) in a non-atomic migration instead — a plain CREATE INDEX blocks
  every write to the tickets for as long as it runs;
- no column added to a large table with a per-row (callable) default, or NOT NULL without a
  default: the first rewrites every row under a lock, the second fails on a table with rows;
- no change of a large table's column type other than to text (varchar → text is free on
  PostgreSQL; anything else rewrites the table);
- no removal or renaming of a column, table or model: the release still serving reads them.
  Remove in the release after the one that stopped using it, and mark that migration with
  ``deploy_contract = "<why it is safe now>"``.
"""
from __future__ import annotations

from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader

from core.migration_operations import AddIndexSafely

LARGE_TABLES = {
    ("tickets", "ticket"), ("tickets", "message"), ("tickets", "attachment"), ("tickets", "ticketevent"),
    ("tickets", "inboundemail"), ("tickets", "outboundemail"), ("billing", "timeentry"), ("sla", "slaevent"),
    ("helpdesk", "auditevent"), ("helpdesk", "webhookdelivery"),
}
BASELINE = {
    ("billing", "0001_initial"), ("billing", "0002_accounting_statements"),
    ("helpdesk", "0001_initial"), ("helpdesk", "0002_initial"), ("helpdesk", "0003_api_tokens_webhooks"),
    ("sla", "0001_initial"), ("plans", "0001_initial"),
    ("tickets", "0001_initial"), ("tickets", "0002_email_channel"), ("tickets", "0003_ticket_paged_idx"),
    ("tickets", "0004_message_created_at_keeps_given_time"), ("tickets", "0005_ticket_status_queue_idx"),
}
FIRST_PARTY = {"helpdesk", "plans", "tickets", "billing", "sla"}
DESTRUCTIVE = (migrations.RemoveField, migrations.RenameField, migrations.DeleteModel, migrations.RenameModel,
               migrations.AlterModelTable)


def problems_of(app_label: str, migration) -> list[str]:
    found = []
    created = {op.name_lower for op in migration.operations if isinstance(op, migrations.CreateModel)}

    def large(model_name: str) -> bool:
        return (app_label, model_name.lower()) in LARGE_TABLES and model_name.lower() not in created

    for index, op in enumerate(migration.operations):
        where = f"{app_label}.{migration.name} operation {index} ({op.__class__.__name__})"
        if isinstance(op, DESTRUCTIVE) and not getattr(migration, "deploy_contract", ""):
            found.append(f"{where}: the release still serving uses what this removes or renames")
        model_name = getattr(op, "model_name", "") or ""
        if not large(model_name):
            continue
        if isinstance(op, migrations.AddIndex) and not isinstance(op, AddIndexSafely):
            found.append(f"{where}: use AddIndexSafely (CONCURRENTLY) on a large table")
        if isinstance(op, AddIndexSafely) and migration.atomic:
            found.append(f"{where}: AddIndexSafely needs `atomic = False` on the migration")
        if isinstance(op, migrations.AddConstraint) and isinstance(op.constraint, models.UniqueConstraint):
            found.append(f"{where}: a unique constraint locks a large table; build a unique index concurrently")
        if isinstance(op, migrations.AddField):
            field = op.field
            if field.has_default() and callable(field.default):
                found.append(f"{where}: a callable default rewrites every row of a large table")
            # Django fills a blank text column with "" on its own (its "effective default").
            implicit_empty = field.blank and field.empty_strings_allowed
            if not (field.null or field.has_default() or field.db_default is not models.NOT_PROVIDED
                    or field.many_to_many or implicit_empty):
                found.append(f"{where}: NOT NULL without a default fails on a table with rows")
        if isinstance(op, migrations.AlterField) and not isinstance(op.field, models.TextField):
            found.append(f"{where}: changing a large table's column type rewrites it (only → text is free)")
    return found


def test_every_new_migration_is_safe_while_the_old_release_serves():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = []
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        if app_label in FIRST_PARTY and (app_label, name) not in BASELINE:
            found += problems_of(app_label, migration)
    assert found == [], "\n".join(found)


def test_the_check_catches_what_it_promises():
    class Unsafe(migrations.Migration):
        operations = [
            migrations.AddIndex("ticket", models.Index(fields=["subject"], name="t_subject_idx")),
            migrations.AddField("message", "token", models.UUIDField(default=__import__("uuid").uuid4)),
            migrations.AddField("message", "score", models.IntegerField()),
            migrations.AlterField("ticket", "number", models.BigIntegerField()),
            migrations.RemoveField("ticket", "external_id"),
            AddIndexSafely("message", models.Index(fields=["subject"], name="m_subject_idx")),
        ]

    problems = problems_of("tickets", Unsafe("0099_unsafe", "tickets"))
    assert len(problems) == 6, problems

    class Safe(migrations.Migration):
        atomic = False
        operations = [
            AddIndexSafely("message", models.Index(fields=["subject"], name="m_subject_idx")),
            migrations.AddField("message", "note", models.TextField(blank=True, default="")),
            migrations.AlterField("inboundemail", "subject", models.TextField(blank=True)),
            migrations.AddIndex("category", models.Index(fields=["code"], name="c_code_idx")),
        ]

    assert problems_of("tickets", Safe("0099_safe", "tickets")) == []
