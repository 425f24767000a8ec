"""E-mail templates: the wording of customer notifications per language, a preview, a reset to default."""
from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.access import tenant_admin_required
from console.template_forms import EmailTemplateForm
from console.views.common import add_service_errors
from core.markdown import render_message
from tickets.email import wording
from tickets.models import EmailTemplate, OutboundEmail
from tickets.settings_services import email_template_reset, email_template_save

KIND_TEXT = {
    wording.ACK: gettext_lazy("Sent when a ticket is received by e-mail or in the portal: its number and, "
                              "under a plan with a guarantee, the reaction deadline."),
    wording.REPLY: gettext_lazy("Carries an agent's public reply to the customer."),
}
LANGUAGE_NAMES = {"pl": gettext_lazy("Polish"), "en": gettext_lazy("English")}


def _key(request) -> tuple[str, str]:
    """The notification and language named in the query; none named: the acknowledgement in the tenant's."""
    kind = request.GET.get("kind", wording.ACK)
    language = request.GET.get("language", request.tenant.language if "kind" not in request.GET else "")
    if kind not in wording.PLACEHOLDERS or language not in wording.LANGUAGES:
        raise Http404
    return kind, language


def _sample(tenant, kind: str) -> tuple[dict[str, str], str]:
    """A made-up ticket to preview the wording with: the values and the reply as HTML."""
    reply = _("Good morning,\n\nplease update the program to version **5.2** and print the label again.")
    values = {"ticket_number": f"{tenant.ticket_prefix}-1024", "ticket_subject": _("The label printer does not print"),
              "requester_name": "Jan Kowalski", "company": tenant.name,
              "deadline": _("Monday, 2 March 2026, 12:00 (Europe/Warsaw)"), "notes": "",
              "message": reply, "agent_name": "Anna Nowak"}
    return values, render_message(reply) if kind == wording.REPLY else ""


@tenant_admin_required
def email_template_list(request):
    own = {(t.kind, t.language): t for t in EmailTemplate.objects.for_tenant(request.tenant)}
    rows = [SimpleNamespace(kind=kind, label=OutboundEmail.Kind(kind).label, text=KIND_TEXT[kind], language=language,
                            language_name=LANGUAGE_NAMES[language], own=own.get((kind, language)),
                            url=reverse("console:email_template_edit") + f"?kind={kind}&language={language}")
            for kind in wording.PLACEHOLDERS for language in wording.LANGUAGES]
    return render(request, "console/email_template_list.html", {
        "rows": rows, "tenant_language": request.tenant.language, "section": "email_templates"})


@tenant_admin_required
def email_template_edit(request):
    kind, language = _key(request)
    tenant = request.tenant
    own = EmailTemplate.objects.for_tenant(tenant).filter(kind=kind, language=language).first()
    default_subject, default_body = wording.DEFAULTS[(kind, language)]
    initial = {"subject": own.subject if own else default_subject, "body": own.body if own else default_body}
    action = request.POST.get("action", "")
    here = reverse("console:email_template_edit") + f"?kind={kind}&language={language}"
    if request.method == "POST" and action == "reset":
        email_template_reset(tenant=tenant, kind=kind, language=language, actor=request.user)
        messages.success(request, _("The default wording is back."))
        return redirect(here)
    form = EmailTemplateForm(request.POST or None, initial=initial, kind=kind)
    source = initial
    if request.method == "POST" and form.is_valid():
        source = {"subject": form.cleaned_data["subject"], "body": form.cleaned_data["body"]}
        if action != "preview":
            try:
                email_template_save(tenant=tenant, kind=kind, language=language, actor=request.user, **source)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(here)
    preview = None
    if not form.is_bound or form.is_valid():
        values, message_html = _sample(tenant, kind)
        mail = wording.render(source["subject"], source["body"].replace("\r\n", "\n"), values,
                              message_html=message_html)
        body_html = mail.html.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]
        preview = SimpleNamespace(subject=mail.subject, html=mark_safe(body_html), text=mail.text)  # noqa: S308
    placeholders = [("{{ %s }}" % name, text) for name, text in wording.PLACEHOLDERS[kind].items()]
    return render(request, "console/email_template_edit.html", {
        "form": form, "kind": kind, "label": OutboundEmail.Kind(kind).label, "language": language,
        "language_name": LANGUAGE_NAMES[language], "own": own, "preview": preview, "placeholders": placeholders,
        "section": "email_templates"})
