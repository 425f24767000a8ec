from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The settings pages of tenant admins (``/settings/``), in the product's own look."""

    default = True
    name = "console"
    verbose_name = _("Settings")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from console import devices

        devices.connect()


class TOTPConfig(AppConfig):
    """django-otp's TOTP devices, with a name the admin menu can show in Polish."""

    name = "django_otp.plugins.otp_totp"
    label = "otp_totp"
    verbose_name = _("Second factor (TOTP)")
    default_auto_field = "django.db.models.AutoField"
