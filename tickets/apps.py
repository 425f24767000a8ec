from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from core import gdpr
        from tickets import search
        from tickets.models import Message, Ticket
        from tickets.gdpr import TicketData
        from tickets.tasks import handlers_register

        gdpr.section_register("tickets", TicketData())
        handlers_register()
        post_save.connect(search.on_ticket_saved, sender=Ticket, dispatch_uid="tickets.search.ticket")
        post_save.connect(search.on_message_changed, sender=Message, dispatch_uid="tickets.search.message")
        post_delete.connect(search.on_message_changed, sender=Message, dispatch_uid="tickets.search.message_delete")
