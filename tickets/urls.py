"""Two namespaces: ``portal`` (customers, /portal/) and ``agent`` (staff, /agent/)."""
from django.urls import include, path

from tickets.views import agent, portal

portal_patterns = [
    path("", portal.ticket_list, name="ticket_list"),
    path("new/", portal.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", portal.ticket_detail, name="ticket_detail"),
    path("plan/", portal.plan, name="plan"),
    path("attachments/<int:pk>/", portal.attachment_download, name="attachment"),
]

agent_patterns = [
    path("", agent.queue, name="queue"),
    path("tickets/<int:pk>/", agent.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/message/", agent.ticket_message, name="ticket_message"),
    path("tickets/<int:pk>/status/", agent.ticket_status, name="ticket_status"),
    path("tickets/<int:pk>/assign/", agent.ticket_assign_view, name="ticket_assign"),
    path("tickets/<int:pk>/take/", agent.ticket_take, name="ticket_take"),
    path("tickets/<int:pk>/accept/", agent.ticket_accept_view, name="ticket_accept"),
    path("tickets/<int:pk>/reject/", agent.ticket_reject, name="ticket_reject"),
    path("tickets/<int:pk>/time/", agent.ticket_time, name="ticket_time"),
    path("attachments/<int:pk>/", agent.attachment_download, name="attachment"),
]

urlpatterns = [
    path("portal/", include((portal_patterns, "portal"))),
    path("agent/", include((agent_patterns, "agent"))),
]
