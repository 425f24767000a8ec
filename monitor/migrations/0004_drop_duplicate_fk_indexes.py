# The single-column indexes of these foreign keys duplicate the leading column of a composite index
# or unique constraint; dropping them makes every insert and update of these large tables cheaper.

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import DropColumnIndex


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY

    dependencies = [
        ('helpdesk', '0006_viewer_role'),
        ('sla', '0003_slaevent_target_cycle'),
        ('tickets', '0012_saved_views_unread_notifications'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='slaevent',
                    name='tenant',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant'),
                ),
                migrations.AlterField(
                    model_name='slaevent',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='sla_events', to='tickets.ticket', verbose_name='ticket'),
                ),
            ],
            database_operations=[
                DropColumnIndex(model_name='slaevent', field_name='tenant'),
                DropColumnIndex(model_name='slaevent', field_name='ticket'),
            ],
        ),
    ]
