"""Appointment pages in the ``portal`` and ``agent`` namespaces (mounted by the project's URL conf)."""
from django.urls import path

from appointments.views import agent, availability, portal

portal_patterns = [
    path("tickets/<int:pk>/book/", portal.book, name="appointment_book"),
    path("tickets/<int:pk>/callback/", portal.callback_request, name="callback_request"),
    path("appointments/<int:pk>/", portal.detail, name="appointment_detail"),
    path("appointments/<int:pk>/reschedule/", portal.reschedule, name="appointment_reschedule"),
    path("appointments/<int:pk>/invitation.ics", portal.invitation, name="appointment_ics"),
]

agent_patterns = [
    path("agenda/", agent.agenda, name="agenda"),
    path("tickets/<int:pk>/propose/", agent.propose, name="appointment_propose"),
    path("tickets/<int:pk>/callback/", agent.callback_new, name="callback_new"),
    path("appointments/<int:pk>/log/", agent.session_log, name="appointment_log"),
    path("appointments/<int:pk>/status/", agent.session_status, name="appointment_status"),
    path("callbacks/", agent.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/done/", agent.callback_done, name="callback_done"),
    path("calls/new/", agent.phone_call, name="phone_call"),
    path("availability/", availability.working_hours, name="availability"),
    path("availability/absences/", availability.absences, name="absences"),
    path("availability/rules/", availability.booking_rules, name="booking_rules"),
]

# Outside both namespaces: a calendar program fetches it without a session.
feed_patterns = [
    path("calendar/<str:token>.ics", agent.feed, name="appointment_feed"),
]
