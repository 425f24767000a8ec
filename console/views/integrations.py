"""API tokens and webhooks with their delivery log. Secrets are shown once, on the page that made them."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from console.access import tenant_admin_required
from console.views.common import add_service_errors
from core import webhooks
from core.models import TOKEN_ROLES, ApiToken, Role, WebhookDelivery, WebhookEndpoint
from core.services import api_token_create, api_token_revoke, webhook_create, webhook_delete, webhook_update


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What uses this token"), max_length=100)
    role = forms.ChoiceField(label=capfirst(gettext_lazy("role")), choices=TOKEN_ROLES, initial=Role.AGENT)


class WebhookForm(forms.Form):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    description = forms.CharField(label=capfirst(gettext_lazy("description")), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=capfirst(gettext_lazy("events")), widget=forms.CheckboxSelectMultiple,
                                       choices=[(e, e) for e in webhooks.EVENTS])


@tenant_admin_required
def api_tokens(request):
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            _row, created = api_token_create(tenant=request.tenant, name=form.cleaned_data["name"],
                                             role=form.cleaned_data["role"], created_by=request.user)
            form = TokenForm()
        except ValidationError as error:
            add_service_errors(form, error)
    tokens = ApiToken.objects.for_tenant(request.tenant).select_related("created_by").order_by("-created_at")
    response = render(request, "console/api_tokens.html", {"form": form, "tokens": tokens, "created": created,
                                                          "section": "integrations"})
    response["Cache-Control"] = "no-store"
    return response


@tenant_admin_required
@require_POST
def api_token_revoke_view(request, pk):
    token = get_object_or_404(ApiToken.objects.for_tenant(request.tenant), pk=pk)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("console:api_tokens")


@tenant_admin_required
def webhook_list(request):
    form = WebhookForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _endpoint, secret = webhook_create(tenant=request.tenant, url=form.cleaned_data["url"],
                                               events=form.cleaned_data["events"], actor=request.user,
                                               description=form.cleaned_data["description"])
            form = WebhookForm()
        except ValidationError as error:
            add_service_errors(form, error)
    endpoints = WebhookEndpoint.objects.for_tenant(request.tenant).order_by("url")
    response = render(request, "console/webhooks.html", {"form": form, "endpoints": endpoints, "secret": secret,
                                                        "section": "integrations"})
    response["Cache-Control"] = "no-store"
    return response


@tenant_admin_required
def webhook_detail(request, pk):
    endpoint = get_object_or_404(WebhookEndpoint.objects.for_tenant(request.tenant), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "delete":
                webhook_delete(tenant=request.tenant, endpoint=endpoint, actor=request.user)
                messages.success(request, _("The webhook is deleted."))
                return redirect("console:webhook_list")
            if action in ("enable", "disable"):
                webhook_update(tenant=request.tenant, endpoint=endpoint, actor=request.user,
                               active=action == "enable")
                messages.success(request, _("Saved."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("console:webhook_detail", pk=endpoint.pk)
    deliveries = WebhookDelivery.objects.for_tenant(request.tenant).filter(endpoint=endpoint).order_by("-id")[:50]
    return render(request, "console/webhook_detail.html", {"endpoint": endpoint, "deliveries": deliveries,
                                                           "section": "integrations"})
