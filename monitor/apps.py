from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitorConfig(AppConfig):
    """The SLA monitor: warnings, breaches and pages recorded by the scan, the SLA report.

    The label stays ``sla``: the tables (``sla_slaevent``…) and the migration history were created
    when the monitor lived in the ``sla`` package, which now holds only the pure engine.
    """

    name = "monitor"
    label = "sla"
    verbose_name = _("Reaction SLA")
