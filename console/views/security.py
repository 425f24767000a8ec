"""The second factor: setting up a TOTP device, confirming a login with it, and the tenant's rule."""
from __future__ import annotations

import base64

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.access import tenant_admin_required
from console.qr import qr_svg
from core.services import audit_record, tenant_set_admin_second_factor

DEVICE_NAME = "authenticator"


class CodeForm(forms.Form):
    code = forms.RegexField(label=gettext_lazy("Code from the app"), regex=r"^\s*\d{6}\s*$", max_length=12,
                            error_messages={"invalid": gettext_lazy("Type the 6 digits the app shows.")},
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))


class RequirementForm(forms.Form):
    admin_second_factor_required = forms.BooleanField(
        label=gettext_lazy("Tenant admins must use a second factor"), required=False)


def _staff(request) -> bool:
    return request.user.is_authenticated and (request.membership is not None or request.user.is_superuser)


def _next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def second_factor(request):
    """Staff set up their authenticator (or turn it off with a current code)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _staff(request):
        raise Http404
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    form = CodeForm(request.POST or None)
    if device is not None and not request.user.is_verified():
        return redirect(f"{request.path}verify/?next={request.path}")
    if device is None:
        pending = TOTPDevice.objects.filter(user=request.user, confirmed=False).first() \
            or TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)
        if request.method == "POST" and form.is_valid():
            if pending.verify_token(form.cleaned_data["code"].strip()):
                with transaction.atomic():
                    pending.confirmed = True
                    pending.save(update_fields=["confirmed"])
                    _audit(request, "second_factor.enabled", pending)
                otp_login(request, pending)
                messages.success(request, _("The second factor is on: each login asks for a code from the app."))
                return redirect(_next(request, request.path))
            form.add_error("code", _("This code does not match; check the time on the phone and try again."))
        return render(request, "console/second_factor.html", {
            "form": form, "device": None, "uri": pending.config_url, "secret": _secret(pending),
            "qr": qr_svg(pending.config_url, title=_("QR code to scan with the authenticator app")),
            "next": _next(request, ""), "section": "security"})
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            with transaction.atomic():
                _audit(request, "second_factor.disabled", device)
                device.delete()
            messages.success(request, _("The second factor is off."))
            return redirect(request.path)
        form.add_error("code", _("This code does not match; check the time on the phone and try again."))
    return render(request, "console/second_factor.html", {"form": form, "device": device, "section": "security"})


def second_factor_verify(request):
    """Confirm this login with a code from the authenticator app."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = CodeForm(request.POST or None)
    target = _next(request, "/")
    if request.user.is_verified():
        return redirect(target)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(code):
                otp_login(request, device)
                return redirect(target)
        form.add_error("code", _("This code does not match; check the time on the phone and try again."))
    return render(request, "console/second_factor_verify.html", {"form": form, "next": target})


def _audit(request, action: str, device: TOTPDevice) -> None:
    if request.tenant is not None and request.membership is not None:
        audit_record(tenant=request.tenant, actor=request.user, action=action, obj=device,
                     summary=request.user.get_username())


@tenant_admin_required
def security(request):
    """The tenant's rule: tenant admins must use a second factor."""
    tenant = request.tenant
    form = RequirementForm(request.POST or None,
                           initial={"admin_second_factor_required": tenant.admin_second_factor_required})
    if request.method == "POST" and form.is_valid():
        tenant_set_admin_second_factor(tenant=tenant, required=form.cleaned_data["admin_second_factor_required"],
                                       actor=request.user)
        messages.success(request, _("Saved."))
        return redirect("console:security")
    has_device = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    return render(request, "console/security.html", {"form": form, "has_device": has_device, "section": "security"})
