from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        # The tickets app sits below: the sessions panels of both ticket pages are handed to it.
        from appointments import notifications, tasks
        from appointments.views import agent, portal
        from core import outbox
        from tickets import hooks

        outbox.handler_register(notifications.MAIL, tasks.appointment_mail_send)

        hooks.agent_panel_register(hooks.TicketPanel(
            name="sessions", template="appointments/agent/_panel.html", context=agent.panel_context))
        hooks.agent_panel_register(hooks.TicketPanel(
            name="upcoming_sessions", template="appointments/agent/_upcoming.html", context=agent.upcoming_context))
        hooks.portal_panel_register(hooks.TicketPanel(
            name="sessions", template="appointments/portal/_panel.html", context=portal.panel_context))
