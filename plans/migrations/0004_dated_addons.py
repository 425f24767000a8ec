"""Add-ons become dated: existing ones apply from the first month of their subscription."""

from django.db import migrations, models


def date_existing(apps, schema_editor):
    SubscriptionAddon = apps.get_model("plans", "SubscriptionAddon")
    for addon in SubscriptionAddon.objects.select_related("subscription").iterator():
        addon.effective_from = addon.subscription.starts_on.replace(day=1)
        addon.save(update_fields=["effective_from"])


class Migration(migrations.Migration):

    dependencies = [
        ("plans", "0003_merge_subscription_change_terms"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriptionaddon",
            name="effective_from",
            field=models.DateField(null=True, help_text="The first day of the first month it applies to.",
                                   verbose_name="from"),
        ),
        migrations.AddField(
            model_name="subscriptionaddon",
            name="ends_on",
            field=models.DateField(blank=True, help_text="The last day of the last month it applies to; empty: no end.",
                                   null=True, verbose_name="until"),
        ),
        migrations.RunPython(date_existing, migrations.RunPython.noop),
    ]
