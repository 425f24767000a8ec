# The single-column indexes of these foreign keys duplicate the leading column of a composite index
# or unique constraint; dropping them makes every insert and update of these large tables cheaper
# (tests/ops/test_indexes.py).

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import DropColumnIndex


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY

    dependencies = [
        ('billing', '0004_update_fee_charge'),
        ('helpdesk', '0007_drop_duplicate_fk_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='timeentry',
                    name='tenant',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.tenant', verbose_name='tenant'),
                ),
            ],
            database_operations=[
                DropColumnIndex(model_name='timeentry', field_name='tenant'),
            ],
        ),
    ]
