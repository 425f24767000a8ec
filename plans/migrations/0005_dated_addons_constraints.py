"""Add-ons are dated: every row has its first month (filled in by 0004), checked by the database."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("plans", "0004_dated_addons"),
    ]

    operations = [
        migrations.AlterField(
            model_name="subscriptionaddon",
            name="effective_from",
            field=models.DateField(help_text="The first day of the first month it applies to.", verbose_name="from"),
        ),
        migrations.AlterModelOptions(
            name="subscriptionaddon",
            options={"ordering": ["effective_from", "id"], "verbose_name": "add-on", "verbose_name_plural": "add-ons"},
        ),
        migrations.AddConstraint(
            model_name="subscriptionaddon",
            constraint=models.CheckConstraint(condition=models.Q(("effective_from__day", 1)),
                                              name="subscription_addon_from_first_day"),
        ),
        migrations.AddConstraint(
            model_name="subscriptionaddon",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_on__isnull", True), ("ends_on__gte", models.F("effective_from")),
                                   _connector="OR"),
                name="subscription_addon_ends_after_start"),
        ),
    ]
