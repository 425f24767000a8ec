from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The settings pages of tenant admins (``/settings/``), in the product's own look."""

    name = "console"
    verbose_name = _("Settings")
    default_auto_field = "django.db.models.BigAutoField"
