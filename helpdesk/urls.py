from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

import appointments.urls
import billing.urls
import console.urls
import core.views
import tickets.urls
from helpdesk import health, metrics, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html",
                                                 redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's own password reset; the same answer whether or not the address has a login.
    path("password-reset/", auth_views.PasswordResetView.as_view(
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt"), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("invitation/<uidb64>/<token>/", core.views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("language/", views.language_set, name="language_set"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.live, name="healthz-live"),
    path("metrics", metrics.metrics, name="metrics"),
    path("sla/", include("monitor.urls")),
    path("settings/", include("console.urls")),
    path("account/", include((console.urls.account_patterns, "account"))),
    path("api/v1/", include("helpdesk.api_urls")),
    path("admin/", admin.site.urls),
    path("portal/", include((tickets.urls.portal_patterns + billing.urls.portal_patterns
                             + appointments.urls.portal_patterns, "portal"))),
    path("agent/", include((tickets.urls.agent_patterns + billing.urls.agent_patterns
                            + appointments.urls.agent_patterns, "agent"))),
    path("appointments/", include(appointments.urls.feed_patterns)),
    path("help/", include("helpcenter.urls")),
]
