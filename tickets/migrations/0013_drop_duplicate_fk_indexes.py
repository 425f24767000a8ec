# The single-column indexes of these foreign keys duplicate the leading column of a composite index
# or unique constraint; dropping them makes every insert and update of these large tables cheaper
# (tests/ops/test_indexes.py).

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import DropColumnIndex


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY

    dependencies = [
        ('helpdesk', '0007_drop_duplicate_fk_indexes'),
        ('tickets', '0012_saved_views_unread_notifications'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='inboundemail',
                    name='tenant',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant'),
                ),
                migrations.AlterField(
                    model_name='message',
                    name='tenant',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant'),
                ),
                migrations.AlterField(
                    model_name='message',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='tickets.ticket', verbose_name='ticket'),
                ),
                migrations.AlterField(
                    model_name='outboundemail',
                    name='tenant',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='tenant',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant'),
                ),
                migrations.AlterField(
                    model_name='ticketevent',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='tickets.ticket', verbose_name='ticket'),
                ),
            ],
            database_operations=[
                DropColumnIndex(model_name='inboundemail', field_name='tenant'),
                DropColumnIndex(model_name='message', field_name='tenant'),
                DropColumnIndex(model_name='message', field_name='ticket'),
                DropColumnIndex(model_name='outboundemail', field_name='tenant'),
                DropColumnIndex(model_name='ticket', field_name='tenant'),
                DropColumnIndex(model_name='ticketevent', field_name='ticket'),
            ],
        ),
    ]
