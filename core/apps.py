from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Tenancy, people, audit, API tokens and the delivery of webhooks: the bottom layer.

    The label stays ``helpdesk``: the tables (``helpdesk_tenant``…), ``AUTH_USER_MODEL`` and the
    migration history were created under it before this app had a folder of its own.
    """

    name = "core"
    label = "helpdesk"
    verbose_name = _("Tenants and people")

    def ready(self) -> None:
        from core import tenancy_cache
        from core.rest import strict

        strict.install()
        tenancy_cache.connect()
