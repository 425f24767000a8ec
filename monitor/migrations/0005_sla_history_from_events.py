# The ticket's history now reads SLA warnings and breaches from the events themselves
# (monitor.selectors.sla_history): the history rows the scan wrote beside each event go, so that
# none shows twice. Backwards, they are written again from the events.

from django.db import migrations
from django.db.models import Exists, OuterRef

HISTORY_KINDS = {"warning": "sla_warning", "breach": "sla_breached"}


def history_rows_delete(apps, schema_editor):
    SlaEvent = apps.get_model("sla", "SlaEvent")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    for kind, history in HISTORY_KINDS.items():
        recorded = SlaEvent.objects.filter(ticket_id=OuterRef("ticket_id"), kind=kind, at=OuterRef("at"))
        TicketEvent.objects.filter(kind=history).filter(Exists(recorded)).delete()


def history_rows_write(apps, schema_editor):
    SlaEvent = apps.get_model("sla", "SlaEvent")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    batch = []
    for event in SlaEvent.objects.filter(kind__in=HISTORY_KINDS).order_by("pk").iterator(chunk_size=2000):
        data = {"recorded_at": event.recorded_at.isoformat()}
        if event.target != "reaction":
            data.update(target=event.target, cycle=event.cycle)
        if event.late:
            data["late"] = True
        batch.append(TicketEvent(tenant_id=event.tenant_id, ticket_id=event.ticket_id,
                                 kind=HISTORY_KINDS[event.kind], at=event.at, data=data))
        if len(batch) >= 2000:
            TicketEvent.objects.bulk_create(batch)
            batch = []
    TicketEvent.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('sla', '0004_drop_duplicate_fk_indexes'),
        ('tickets', '0013_drop_duplicate_fk_indexes'),
    ]

    operations = [
        migrations.RunPython(history_rows_delete, history_rows_write, elidable=True),
    ]
