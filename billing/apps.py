from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # The tickets app sits below billing; billing hands it what it needs (RULES 4.3 facts for
        # the deadline policy, the time panel of the agent's ticket page).
        from billing import selectors, views
        from billing.gdpr import TimeEntryData
        from core import gdpr
        from tickets import hooks

        gdpr.section_register("time_entries", TimeEntryData())

        from billing.tasks import PACKAGE_NOTICE, package_notice_deliver
        from core import outbox

        outbox.handler_register(PACKAGE_NOTICE, package_notice_deliver)

        from billing.quotes import QUOTE_MAIL, quote_mail_deliver

        outbox.handler_register(QUOTE_MAIL, quote_mail_deliver)

        hooks.entitlements_register(selectors)

        from billing.ticket_merge import ticket_merging

        hooks.ticket_merge_listener_register(ticket_merging)

        from plans.services import closed_month_check_register

        closed_month_check_register(selectors.billed_from)
        hooks.agent_panel_register(hooks.TicketPanel(
            name="time", template="billing/agent/_time_panel.html", context=views.time_panel_context,
            shares=("in_force",)))
        hooks.agent_panel_register(hooks.TicketPanel(
            name="quotes", template="billing/agent/_quotes_panel.html", context=views.quotes_panel_context))
        hooks.portal_panel_register(hooks.TicketPanel(
            name="quotes", template="billing/portal/_quotes_panel.html", context=views.portal_quotes_panel_context))
