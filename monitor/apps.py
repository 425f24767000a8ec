from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitorConfig(AppConfig):
    """The SLA monitor: warnings and breaches recorded by the scan, their digests, the SLA report.

    The label stays ``sla``: the tables (``sla_slaevent``…) and the migration history were created
    when the monitor lived in the ``sla`` package, which now holds only the pure engine.
    """

    name = "monitor"
    label = "sla"
    verbose_name = _("Reaction SLA")

    def ready(self) -> None:
        from core import outbox
        from monitor import selectors, services
        from tickets import hooks

        outbox.handler_register(services.DIGEST, services.digest_send)
        hooks.sla_breach_listener_register(services.breach_found)
        hooks.history_source_register(selectors.sla_history)
