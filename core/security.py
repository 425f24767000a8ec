"""Login throttling with django-axes: the authentication backend and the lockout page."""
from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses logins of a locked-out user name and address before the password is checked.

    Only logins that come with a request (the login page, the admin's login) are throttled:
    ``authenticate()`` without a request is called by code on the server (management commands,
    shells), not by anyone on the internet, and is passed on to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_locked_out(request, original_response=None, credentials=None):
    """The login page again, with the lockout message, and status 429."""
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
    context = {
        "form": form,
        "locked_out": True,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "next": request.POST.get("next", "") if request.method == "POST" else request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)
