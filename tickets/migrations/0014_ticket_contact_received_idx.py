# The ticket page lists the requester's other tickets newest first: an index on (contact, received
# DESC) reads them in that order, and replaces the contact's single-column index, which it leads
# (as many indexes as before for every write of the table; tests/ops/test_indexes.py).

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import AddIndexSafely, DropColumnIndex


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY

    dependencies = [
        ('helpdesk', '0007_drop_duplicate_fk_indexes'),
        ('tickets', '0013_drop_duplicate_fk_indexes'),
    ]

    operations = [
        AddIndexSafely(
            model_name='ticket',
            index=models.Index(fields=['contact', '-received_at'], name='ticket_contact_received_idx'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='ticket',
                    name='contact',
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.SET_NULL, related_name='tickets',
                                            to='helpdesk.contact', verbose_name='contact'),
                ),
            ],
            database_operations=[
                DropColumnIndex(model_name='ticket', field_name='contact'),
            ],
        ),
    ]
