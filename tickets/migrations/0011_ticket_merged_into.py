"""A merged ticket points at the ticket it was merged into (``tickets.merge``).

Both columns are nullable without a default (no table rewrite); the partial index on the pointer is
built without locking writes to the ticket table (``AddIndexSafely``: CONCURRENTLY on PostgreSQL)."""
import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import AddIndexSafely


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('helpdesk', '0005_tenant_admin_second_factor_required'),
        ('plans', '0003_merge_subscription_change_terms'),
        ('tickets', '0010_canned_reply_visibility_email_template'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='merged_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='merged on'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='merged_into',
            field=models.ForeignKey(blank=True, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name='merged_from',
                                    to='tickets.ticket', verbose_name='merged into ticket'),
        ),
        AddIndexSafely(
            model_name='ticket',
            index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['merged_into'],
                               name='ticket_merged_into_idx'),
        ),
    ]
