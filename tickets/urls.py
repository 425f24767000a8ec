"""Two namespaces: ``portal`` (customers, /portal/) and ``agent`` (staff, /agent/)."""
from django.urls import path

from tickets.views import agent, merge, portal, workspace

portal_patterns = [
    path("", portal.ticket_list, name="ticket_list"),
    path("new/", portal.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", portal.ticket_detail, name="ticket_detail"),
    path("attachments/<int:pk>/", portal.attachment_download, name="attachment"),
    path("attachments/<int:pk>/thumbnail/", portal.attachment_thumbnail, name="attachment_thumbnail"),
]

agent_patterns = [
    path("", agent.queue, name="queue"),
    path("bulk/", agent.queue_bulk, name="queue_bulk"),
    path("tickets/<int:pk>/", agent.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/message/", agent.ticket_message, name="ticket_message"),
    path("tickets/<int:pk>/status/", agent.ticket_status, name="ticket_status"),
    path("tickets/<int:pk>/assign/", agent.ticket_assign_view, name="ticket_assign"),
    path("tickets/<int:pk>/take/", agent.ticket_take, name="ticket_take"),
    path("tickets/<int:pk>/presence/", agent.ticket_presence, name="ticket_presence"),
    path("tickets/<int:pk>/accept/", agent.ticket_accept_view, name="ticket_accept"),
    path("tickets/<int:pk>/reject/", agent.ticket_reject, name="ticket_reject"),
    path("tickets/<int:pk>/merge/", merge.ticket_merge_view, name="ticket_merge"),
    path("tickets/<int:pk>/split/", merge.ticket_split_view, name="ticket_split"),
    path("tickets/<int:pk>/unread/", workspace.ticket_unread, name="ticket_unread"),
    path("attachments/<int:pk>/", agent.attachment_download, name="attachment"),
    path("attachments/<int:pk>/thumbnail/", agent.attachment_thumbnail, name="attachment_thumbnail"),
    path("views/", workspace.views_manage, name="views"),
    path("views/<int:pk>/", workspace.view_edit, name="view_edit"),
    path("notifications/", workspace.notification_list, name="notifications"),
    path("notifications/count/", workspace.notification_count, name="notifications_count"),
    path("notifications/<int:pk>/read/", workspace.notification_read, name="notification_read"),
    path("notifications/read-all/", workspace.notification_read_all, name="notifications_read_all"),
]

# The project's URL conf mounts these lists, together with the pages other apps add to the same
# namespaces (billing's plan page and time logging), under /portal/ and /agent/.
