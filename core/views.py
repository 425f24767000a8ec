"""Accepting a staff invitation: the invited person chooses a password, which activates the login."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from core.models import Membership


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """Django's signed, single-use password link, for invited logins only (inactive, no password,
    on some tenant's staff). Setting the password changes the hash, so the link works once."""

    template_name = "registration/invitation_accept.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is None or user.is_active or user.has_usable_password():
            return None
        if not Membership.objects.filter(user=user).exists():
            return None
        return user

    def form_valid(self, form):
        user = form.save(commit=False)
        user.is_active = True
        user.save()
        form.user = user
        messages.success(self.request, _("Your password is set; log in with your e-mail address."))
        self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(self.get_success_url())
