"""Billing's pages in the ``portal`` and ``agent`` namespaces (mounted by the project's URL conf)."""
from django.urls import path

from billing import views

portal_patterns = [
    path("plan/", views.portal_plan, name="plan"),
]

agent_patterns = [
    path("tickets/<int:pk>/time/", views.ticket_time, name="ticket_time"),
]
