from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = _("Tenants and people")

    def ready(self) -> None:
        from helpdesk.schedules import schedules_sync

        # Periodic tasks live in django-celery-beat's tables (editable in the admin); make sure
        # every task the code relies on has a row after each migrate.
        post_migrate.connect(schedules_sync, sender=self)
