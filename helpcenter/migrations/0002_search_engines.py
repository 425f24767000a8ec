"""The full-text side of the search index, per database vendor (see helpcenter.search.engine).

PostgreSQL: a generated ``tsvector`` (configuration ``simple``: the text is already folded and
stemmed) with a GIN index, and pg_trgm with a trigram index on the vocabulary when the extension can
be created. SQLite: an FTS5 table over the same columns, kept in step by triggers.
"""
from django.db import migrations

PG_FORWARD = [
    """ALTER TABLE helpcenter_searchentry ADD COLUMN document tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', tenant_token), 'D')
         || setweight(to_tsvector('simple', title_terms), 'A')
         || setweight(to_tsvector('simple', body_terms), 'B')) STORED""",
    "CREATE INDEX helpcenter_searchentry_document ON helpcenter_searchentry USING gin (document)",
    # Creating an extension needs a privilege the application's role may lack: then typo
    # correction falls back to a first-letter filter (helpcenter.search.engine.corrections).
    """DO $$ BEGIN
         CREATE EXTENSION IF NOT EXISTS pg_trgm;
       EXCEPTION WHEN insufficient_privilege THEN
         RAISE NOTICE 'pg_trgm is not available; search corrects typos without it';
       END $$""",
    """DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
           CREATE INDEX helpcenter_searchterm_trgm ON helpcenter_searchterm USING gin (term gin_trgm_ops);
         END IF;
       END $$""",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS helpcenter_searchterm_trgm",
    "DROP INDEX IF EXISTS helpcenter_searchentry_document",
    "ALTER TABLE helpcenter_searchentry DROP COLUMN IF EXISTS document",
]

COLUMNS = "tenant_token, title_terms, body_terms"
NEW = "new.tenant_token, new.title_terms, new.body_terms"
OLD = "old.tenant_token, old.title_terms, old.body_terms"
SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE helpcenter_search_fts USING fts5({COLUMNS}, content='helpcenter_searchentry',
        content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    f"""CREATE TRIGGER helpcenter_search_ai AFTER INSERT ON helpcenter_searchentry BEGIN
        INSERT INTO helpcenter_search_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END""",
    f"""CREATE TRIGGER helpcenter_search_ad AFTER DELETE ON helpcenter_searchentry BEGIN
        INSERT INTO helpcenter_search_fts(helpcenter_search_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD});
        END""",
    f"""CREATE TRIGGER helpcenter_search_au AFTER UPDATE ON helpcenter_searchentry BEGIN
        INSERT INTO helpcenter_search_fts(helpcenter_search_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD});
        INSERT INTO helpcenter_search_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS helpcenter_search_au",
    "DROP TRIGGER IF EXISTS helpcenter_search_ad",
    "DROP TRIGGER IF EXISTS helpcenter_search_ai",
    "DROP TABLE IF EXISTS helpcenter_search_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):
    dependencies = [("helpcenter", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
                             _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD})),
    ]
