from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from core import gdpr
        from tickets.gdpr import TicketData
        from tickets.tasks import handlers_register

        gdpr.section_register("tickets", TicketData())
        handlers_register()
