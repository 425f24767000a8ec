"""The team: invite by e-mail (a one-time link), roles, taking people off the staff."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.access import tenant_admin_required
from console.team_forms import InviteForm, RoleForm
from console.views.common import add_service_errors
from core.models import Membership
from core.services import membership_change_role, membership_deactivate, staff_invite


def _members(tenant):
    return Membership.objects.for_tenant(tenant).select_related("user").order_by("user__last_name", "user__first_name")


@tenant_admin_required
def team(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff_invite(tenant=request.tenant, email=data["email"], first_name=data["first_name"],
                         last_name=data["last_name"], role=data["role"], actor=request.user,
                         link_base=request.build_absolute_uri("/"))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # The same words whatever the address is: the page tells nobody which addresses have logins.
            messages.success(request, _("An invitation is on its way to %(email)s.") % {"email": data["email"]})
            return redirect("console:team")
    members = list(_members(request.tenant))
    with_device = set(TOTPDevice.objects.filter(user__in=[m.user for m in members], confirmed=True)
                      .values_list("user_id", flat=True))
    rows = [(m, RoleForm(initial={"role": m.role, "on_call": m.on_call}, prefix=f"m{m.pk}"), m.user_id in with_device)
            for m in members]
    return render(request, "console/team.html", {"form": form, "rows": rows, "section": "team"})


@tenant_admin_required
@require_POST
def member_role(request, pk):
    membership = get_object_or_404(_members(request.tenant), pk=pk)
    form = RoleForm(request.POST, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            membership_change_role(tenant=request.tenant, membership=membership, role=form.cleaned_data["role"],
                                   on_call=form.cleaned_data["on_call"], actor=request.user)
            messages.success(request, _("Saved: %(name)s.") % {"name": membership.user.get_full_name()})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Choose a role from the list."))
    return redirect("console:team")


@tenant_admin_required
@require_POST
def member_deactivate(request, pk):
    membership = get_object_or_404(_members(request.tenant), pk=pk)
    name = membership.user.get_full_name() or membership.user.get_username()
    try:
        membership_deactivate(tenant=request.tenant, membership=membership, actor=request.user)
        messages.success(request, _("%(name)s is no longer on the staff.") % {"name": name})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("console:team")
