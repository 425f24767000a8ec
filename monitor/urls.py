from django.urls import path

from monitor import views

app_name = "sla"

urlpatterns = [
    path("report/", views.report, name="report"),
]
