"""The search's newest-first walk over a tenant's tickets (tickets.search), built without locking
writes to the ticket table (``AddIndexSafely``: CONCURRENTLY on PostgreSQL)."""
from django.db import migrations, models

from core.migration_operations import AddIndexSafely


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('tickets', '0008_ticket_search'),
    ]

    operations = [
        AddIndexSafely(
            model_name='ticket',
            index=models.Index(fields=['tenant', '-received_at'], name='ticket_received_idx'),
        ),
    ]
