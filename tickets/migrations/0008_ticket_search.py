"""The ticket search (tickets.search): one row of folded, stemmed text per ticket, the full-text
engine on top of it per database vendor, and the rows of the tickets that exist already; and the
agents' presence on a ticket's page (tickets.presence).

PostgreSQL: a generated ``tsvector`` (configuration ``simple``: the text is already folded and
stemmed) with a GIN index. SQLite: an FTS5 table over the same columns, kept in step by triggers,
whose rowid is the ticket's id.
"""
import django.db.models.deletion
from django.db import migrations, models

PG_FORWARD = [
    """ALTER TABLE tickets_ticketsearch ADD COLUMN document tsvector GENERATED ALWAYS AS (
         to_tsvector('simple', tenant_token || ' ' || head_terms || ' ' || body_terms)) STORED""",
    "CREATE INDEX tickets_ticketsearch_document ON tickets_ticketsearch USING gin (document)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS tickets_ticketsearch_document",
    "ALTER TABLE tickets_ticketsearch DROP COLUMN IF EXISTS document",
]
COLUMNS = "tenant_token, head_terms, body_terms"
NEW = "new.tenant_token, new.head_terms, new.body_terms"
OLD = "old.tenant_token, old.head_terms, old.body_terms"
SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE tickets_search_fts USING fts5({COLUMNS}, content='tickets_ticketsearch',
        content_rowid='ticket_id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    f"""CREATE TRIGGER tickets_search_ai AFTER INSERT ON tickets_ticketsearch BEGIN
        INSERT INTO tickets_search_fts(rowid, {COLUMNS}) VALUES (new.ticket_id, {NEW}); END""",
    f"""CREATE TRIGGER tickets_search_ad AFTER DELETE ON tickets_ticketsearch BEGIN
        INSERT INTO tickets_search_fts(tickets_search_fts, rowid, {COLUMNS}) VALUES ('delete', old.ticket_id, {OLD});
        END""",
    f"""CREATE TRIGGER tickets_search_au AFTER UPDATE ON tickets_ticketsearch BEGIN
        INSERT INTO tickets_search_fts(tickets_search_fts, rowid, {COLUMNS}) VALUES ('delete', old.ticket_id, {OLD});
        INSERT INTO tickets_search_fts(rowid, {COLUMNS}) VALUES (new.ticket_id, {NEW}); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_search_au",
    "DROP TRIGGER IF EXISTS tickets_search_ad",
    "DROP TRIGGER IF EXISTS tickets_search_ai",
    "DROP TABLE IF EXISTS tickets_search_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)
    return run


def backfill(apps, schema_editor):
    from core.text import index_text

    Ticket = apps.get_model("tickets", "Ticket")
    Message = apps.get_model("tickets", "Message")
    TicketSearch = apps.get_model("tickets", "TicketSearch")
    tickets = Ticket.objects.select_related("tenant", "organization").order_by("pk")
    batch = []
    for ticket in tickets.iterator(chunk_size=500):
        head = [ticket.tenant.ticket_prefix, str(ticket.number), ticket.subject, ticket.requester_name,
                ticket.requester_email, ticket.organization.name if ticket.organization_id else ""]
        body = " ".join(index_text(f"{author} {text}") for author, text in Message.objects.filter(
            ticket_id=ticket.pk).order_by("created_at", "id").values_list("author_name", "body"))
        batch.append(TicketSearch(ticket_id=ticket.pk, tenant_id=ticket.tenant_id,
                                  tenant_token=f"tt{ticket.tenant_id}x", head_terms=index_text(" ".join(head)),
                                  body_terms=body[:60_000]))
        if len(batch) >= 500:
            TicketSearch.objects.bulk_create(batch)
            batch = []
    TicketSearch.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('helpdesk', '0004_outbox'),
        ('plans', '0001_initial'),
        ('tickets', '0007_sla_targets_pauses_queue'),
    ]

    operations = [
        migrations.CreateModel(
            name='TicketSearch',
            fields=[
                ('ticket', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='tickets.ticket')),
                ('tenant_token', models.CharField(max_length=24)),
                ('head_terms', models.TextField(blank=True)),
                ('body_terms', models.TextField(blank=True)),
            ],
            options={
                'verbose_name': 'ticket search text',
                'verbose_name_plural': 'ticket search texts',
            },
        ),
        migrations.AddField(
            model_name='ticketsearch',
            name='tenant',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant'),
        ),
        migrations.RunPython(_run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
                             _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD})),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.CreateModel(
            name='TicketPresence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seen_at', models.DateTimeField()),
                ('typing_at', models.DateTimeField(blank=True, null=True)),
                ('membership', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.membership')),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.ticket')),
            ],
            options={
                'indexes': [models.Index(fields=['ticket', 'seen_at'], name='tickets_tic_ticket__492854_idx')],
                'constraints': [models.UniqueConstraint(fields=('ticket', 'membership'), name='presence_ticket_member_uniq')],
            },
        ),
    ]
