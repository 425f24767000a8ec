"""Billing's pages in the ``portal`` and ``agent`` namespaces (mounted by the project's URL conf)."""
from django.urls import path

from billing import views

portal_patterns = [
    path("plan/", views.portal_plan, name="plan"),
    path("tickets/<int:pk>/quotes/<int:quote_id>/decide/", views.portal_quote_decide, name="quote_decide"),
    path("tickets/<int:pk>/quotes/<int:quote_id>/pdf/", views.portal_quote_pdf, name="quote_pdf"),
]

agent_patterns = [
    path("tickets/<int:pk>/time/", views.ticket_time, name="ticket_time"),
    path("tickets/<int:pk>/quotes/", views.ticket_quote, name="ticket_quote"),
    path("tickets/<int:pk>/quotes/<int:quote_id>/send/", views.ticket_quote_send, name="ticket_quote_send"),
    path("tickets/<int:pk>/quotes/<int:quote_id>/pdf/", views.ticket_quote_pdf, name="ticket_quote_pdf"),
]
