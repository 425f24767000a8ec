"""Plans and their versioned terms: the editor with its preview, and the history of versions."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from console.access import tenant_admin_required
from console.terms_form import PlanTermsEditForm, initial_from
from console.terms_preview import (
    affected_organizations,
    example_deadlines,
    fingerprint,
    history,
    terms_diff,
)
from console.views.common import DryRun, add_service_errors
from plans.models import Plan
from plans.selectors import plan_terms_history, plan_terms_in_force, plan_terms_latest, plans_for_tenant
from plans.services import plan_terms_update


@tenant_admin_required
def plan_list(request):
    today = timezone.localdate()
    rows = [(plan, plan_terms_in_force(tenant=request.tenant, plan=plan, on=today),
             plan_terms_latest(tenant=request.tenant, plan=plan))
            for plan in plans_for_tenant(request.tenant)]
    return render(request, "console/plan_list.html", {"rows": rows, "section": "plans"})


def _plan(request, pk) -> Plan:
    return get_object_or_404(Plan.objects.for_tenant(request.tenant), pk=pk)


def _changes(base, terms: dict) -> dict:
    """The submitted terms that differ from ``base`` (a list in another order is no change)."""
    changes = {}
    for name, value in terms.items():
        old = getattr(base, name)
        if isinstance(value, list) and isinstance(old, list) and sorted(map(str, value)) == sorted(map(str, old)):
            continue
        if old != value:
            changes[name] = value
    return changes


@tenant_admin_required
def plan_terms_edit(request, pk):
    plan = _plan(request, pk)
    base = plan_terms_latest(tenant=request.tenant, plan=plan)
    if base is None:
        raise Http404
    form = PlanTermsEditForm(request.POST or None, tenant=request.tenant, initial=initial_from(base))
    preview = None
    if request.method == "POST" and form.is_valid():
        effective_from = form.cleaned_data["effective_from"]
        note = form.cleaned_data.get("change_note") or ""
        changes = _changes(base, form.terms())
        token = fingerprint({**form.terms(), "effective_from": effective_from, "change_note": note})
        arguments = {"tenant": request.tenant, "plan": plan, "effective_from": effective_from,
                     "changes": changes, "actor": request.user, "note": note}
        try:
            if request.POST.get("action") == "save" and request.POST.get("previewed") == token:
                version = plan_terms_update(**arguments)
                messages.success(request, _("Version %(v)s of %(plan)s is saved; it applies from %(day)s.") % {
                    "v": version.version, "plan": plan.name, "day": date_format(effective_from, "DATE_FORMAT")})
                return redirect("console:plan_history", pk=plan.pk)
            preview = _preview(request, plan, base, arguments)
            preview["token"] = token
        except ValidationError as error:
            add_service_errors(form, error)
    return render(request, "console/plan_terms_edit.html", {
        "plan": plan, "base": base, "form": form, "preview": preview, "section": "plans"})


def _preview(request, plan, base, arguments) -> dict:
    """Run the service on a savepoint that is rolled back: the preview is validated exactly like the save."""
    result: dict = {}
    try:
        with transaction.atomic():
            version = plan_terms_update(**arguments)
            effective_from = arguments["effective_from"]
            in_force = plan_terms_in_force(tenant=request.tenant, plan=plan, on=effective_from)
            in_force = in_force if in_force is not None and in_force.pk != version.pk else base
            diff = terms_diff(in_force, version)
            organizations, default_plan = affected_organizations(
                tenant=request.tenant, plan=plan, effective_from=effective_from, changed=[c.name for c in diff])
            result = {"version": version.version, "in_force": in_force, "diff": diff,
                      "organizations": organizations, "default_plan": default_plan,
                      "effective_from": effective_from,
                      "examples": example_deadlines(tenant=request.tenant, before=in_force, after=version,
                                                    effective_from=effective_from)}
            raise DryRun
    except DryRun:
        pass
    return result


@tenant_admin_required
def plan_history(request, pk):
    plan = _plan(request, pk)
    versions = list(plan_terms_history(tenant=request.tenant, plan=plan))
    today = timezone.localdate()
    in_force = plan_terms_in_force(tenant=request.tenant, plan=plan, on=today)
    return render(request, "console/plan_history.html", {
        "plan": plan, "rows": history(versions), "in_force_id": in_force.pk if in_force else None,
        "today": today, "section": "plans"})
