from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from core import gdpr, page_cache
        from tickets import search
        from tickets.models import CannedReply, Category, Message, Ticket
        from tickets.gdpr import TicketData
        from tickets.tasks import handlers_register

        gdpr.section_register("tickets", TicketData())
        handlers_register()
        page_cache.invalidate_on([CannedReply, Category])  # the canned replies of the ticket page
        post_save.connect(search.on_ticket_saved, sender=Ticket, dispatch_uid="tickets.search.ticket")
        post_save.connect(search.on_message_changed, sender=Message, dispatch_uid="tickets.search.message")
        post_delete.connect(search.on_message_changed, sender=Message, dispatch_uid="tickets.search.message_delete")
        post_save.connect(_tickets_changed, sender=Ticket, dispatch_uid="tickets.saved_views.ticket")
        post_delete.connect(_tickets_changed, sender=Ticket, dispatch_uid="tickets.saved_views.ticket_delete")


def _tickets_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """Saved views' cached counts are stale once the change is committed (``tickets.saved_views``)."""
    from django.db import transaction

    from tickets.saved_views import tickets_changed

    if not raw:
        tenant_id = instance.tenant_id
        transaction.on_commit(lambda: tickets_changed(tenant_id))
