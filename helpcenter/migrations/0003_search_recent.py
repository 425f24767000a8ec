"""Search at scale: rank a limited candidate set (helpcenter.search.engine._run).

Both databases: an index of the shown entries, newest first, per tenant (where the candidates
are read from when the words are common). PostgreSQL: a second generated ``tsvector`` of the
title alone with its own GIN index, for the candidates that match in the title.
"""
from django.db import migrations, models

PG_FORWARD = [
    """ALTER TABLE helpcenter_searchentry ADD COLUMN title_document tsvector GENERATED ALWAYS AS (
         to_tsvector('simple', tenant_token || ' ' || title_terms)) STORED""",
    "CREATE INDEX helpcenter_searchentry_title_document ON helpcenter_searchentry USING gin (title_document)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS helpcenter_searchentry_title_document",
    "ALTER TABLE helpcenter_searchentry DROP COLUMN IF EXISTS title_document",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("helpcenter", "0002_search_engines"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(models.F("tenant"), models.OrderBy(models.F("activity_at"), descending=True),
                               condition=models.Q(("published_at__isnull", False)), name="searchentry_recent_idx"),
        ),
        migrations.RunPython(_run(PG_FORWARD), _run(PG_BACKWARD)),
    ]
