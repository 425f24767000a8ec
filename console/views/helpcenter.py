"""Help center settings: heading and introduction, forum moderation and who may post, manuals for customers."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from console.access import tenant_admin_required
from console.helpcenter_forms import HelpCenterSettingsForm
from console.views.common import add_service_errors
from helpcenter.models import HelpCenterSettings
from helpcenter.services.settings import FIELDS, help_center_settings_save


@tenant_admin_required
def help_center(request):
    current = HelpCenterSettings.of(request.tenant)
    initial = {name: getattr(current, name) for name in FIELDS}
    initial["customer_only_manuals"] = list(current.customer_only_manuals.all()) if current.pk else []
    form = HelpCenterSettingsForm(request.POST or None, initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            help_center_settings_save(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:help_center")
    return render(request, "console/help_center.html", {"form": form, "section": "help_center"})
