from django.urls import path

from console.views import audit, calendars, home, plans

app_name = "console"

urlpatterns = [
    path("", home.index, name="index"),
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/<int:pk>/terms/", plans.plan_terms_edit, name="plan_terms_edit"),
    path("plans/<int:pk>/history/", plans.plan_history, name="plan_history"),
    path("calendars/", calendars.calendar_list, name="calendar_list"),
    path("calendars/<int:pk>/", calendars.calendar_edit, name="calendar_edit"),
    path("audit/", audit.audit_log, name="audit_log"),
]
