"""The settings app has no tables of its own; one proxy gives django-otp's TOTP devices a Polish name."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice


class SecondFactorDevice(TOTPDevice):
    """A staff member's authenticator app (TOTP), as the operators' admin lists it."""

    class Meta:
        proxy = True
        verbose_name = _("second-factor device")
        verbose_name_plural = _("second-factor devices")
