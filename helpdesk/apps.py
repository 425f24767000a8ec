from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProjectConfig(AppConfig):
    """The project wiring: settings, URLs, the Celery app, the demo data and project-wide commands."""

    name = "helpdesk"
    label = "project"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from django.apps import apps

        from helpdesk.schedules import schedules_sync

        # Periodic tasks live in django-celery-beat's tables (editable in the admin); make sure
        # every task the code relies on has a row after each migrate. (The signal is sent per app
        # with models; this package has none, so listen for the app that owns those tables.)
        post_migrate.connect(schedules_sync, sender=apps.get_app_config("django_celery_beat"))
