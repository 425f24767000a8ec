# The single-column indexes of these foreign keys duplicate the leading column of a composite index
# or unique constraint; dropping them makes every insert and update of these large tables cheaper
# (tests/ops/test_indexes.py).

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import DropColumnIndex


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY

    dependencies = [
        ('helpdesk', '0006_viewer_role'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='auditevent',
                    name='tenant',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant'),
                ),
                migrations.AlterField(
                    model_name='webhookdelivery',
                    name='endpoint',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='helpdesk.webhookendpoint', verbose_name='endpoint'),
                ),
                migrations.AlterField(
                    model_name='webhookdelivery',
                    name='tenant',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant'),
                ),
            ],
            database_operations=[
                DropColumnIndex(model_name='auditevent', field_name='tenant'),
                DropColumnIndex(model_name='webhookdelivery', field_name='endpoint'),
                DropColumnIndex(model_name='webhookdelivery', field_name='tenant'),
            ],
        ),
    ]
