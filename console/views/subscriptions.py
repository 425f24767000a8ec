"""Subscriptions and hour packages in the settings: typed forms over the plans and billing services."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.models import Package
from billing.services import package_purchase
from console.access import tenant_admin_required
from console.subscription_forms import AddonFormSet, PackageSellForm, SubscriptionChangeForm, SubscriptionNewForm
from console.views.common import add_service_errors
from plans.dates import first_of_next_month
from plans.models import Subscription, SubscriptionAddon, WorkKind
from plans.selectors import plan_terms_in_force
from plans.services import subscription_change, subscription_create
from tickets.models import Ticket


def _subscriptions(tenant):
    return (
        Subscription.objects.for_tenant(tenant)
        .select_related("organization", "plan")
        .prefetch_related("addons", "changes")
        .order_by("organization__name", "-starts_on")
    )


def _row(subscription: Subscription, today: date) -> dict:
    changes = sorted(subscription.changes.all(), key=lambda c: c.effective_from)
    seats = next((c.seats for c in reversed(changes) if c.effective_from <= today and c.seats), None)
    upcoming = [c for c in changes if c.effective_from > today]
    terms = plan_terms_in_force(
        tenant=subscription.tenant, plan=subscription.plan, on=max(today, subscription.starts_on)
    )
    price = subscription.overrides.get("price_net") if subscription.overrides else None
    return {
        "subscription": subscription,
        "current": subscription.starts_on <= today and (subscription.ends_on is None or subscription.ends_on >= today),
        "price": price if price is not None else (terms.price_net if terms else None),
        "own_price": price is not None,
        "addons": [a for a in subscription.addons.all() if a.applies_on(max(today, subscription.starts_on))],
        "seats": seats,
        "upcoming": upcoming[0] if upcoming else None,
    }


@tenant_admin_required
def subscription_list(request):
    tenant, today = request.tenant, timezone.localdate()
    form = SubscriptionNewForm(request.POST or None, tenant=tenant, initial={"accepted_on": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        overrides = {"price_net": str(data["price_net"])} if data.get("price_net") is not None else {}
        try:
            subscription = subscription_create(
                tenant=tenant,
                organization=data["organization"],
                plan=data["plan"],
                accepted_on=data["accepted_on"],
                starts_on=data.get("starts_on"),
                overrides=overrides,
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(organization)s is on %(plan)s from %(day)s.")
                % {
                    "organization": subscription.organization.name,
                    "plan": subscription.plan.name,
                    "day": date_format(subscription.starts_on, "DATE_FORMAT"),
                },
            )
            return redirect("console:subscription_edit", pk=subscription.pk)
    rows = [_row(s, today) for s in _subscriptions(tenant)]
    return render(
        request,
        "console/subscription_list.html",
        {"rows": rows, "form": form, "today": today, "section": "subscriptions"},
        status=400 if form.errors else 200,
    )


def _addon_initial(addons) -> list[dict]:
    return [{"kind": a.kind, "calendar": a.calendar_id, "product": a.product, "price_net": a.price_net} for a in addons]


def _change_initial(subscription: Subscription, effective_from: date) -> dict:
    overrides = subscription.overrides or {}
    initial = {"effective_from": effective_from, "price_net": overrides.get("price_net")}
    for kind, unit in (overrides.get("rounding_units") or {}).items():
        initial[f"rounding_{kind}"] = unit
    changes = sorted(subscription.changes.all(), key=lambda c: c.effective_from)
    initial["seats"] = changes[-1].seats if changes else None
    return initial


@tenant_admin_required
def subscription_edit(request, pk):
    tenant = request.tenant
    subscription = get_object_or_404(_subscriptions(tenant), pk=pk)
    default_from = max(first_of_next_month(timezone.localdate()), subscription.starts_on.replace(day=1))
    in_force = [a for a in subscription.addons.all() if a.applies_on(default_from)]
    form = SubscriptionChangeForm(request.POST or None, initial=_change_initial(subscription, default_from))
    addon_forms = AddonFormSet(
        request.POST or None, prefix="addons", initial=_addon_initial(in_force), form_kwargs={"tenant": tenant}
    )
    if request.method == "POST" and form.is_valid() and addon_forms.is_valid():
        data = form.cleaned_data
        overrides = {
            k: v for k, v in (subscription.overrides or {}).items() if k not in ("price_net", "rounding_units")
        }
        if data.get("price_net") is not None:
            overrides["price_net"] = str(data["price_net"])
        if form.rounding_units():
            overrides["rounding_units"] = form.rounding_units()
        addons = [item for item in (f.item() for f in addon_forms) if item is not None]
        try:
            subscription_change(
                tenant=tenant,
                subscription=subscription,
                overrides=overrides,
                addons=addons,
                effective_from=data["effective_from"].replace(day=1),
                seats=data.get("seats"),
                note=data.get("note") or "",
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("The change is saved; it applies from %(day)s.")
                % {"day": date_format(data["effective_from"].replace(day=1), "DATE_FORMAT")},
            )
            return redirect("console:subscription_edit", pk=subscription.pk)
    changes = sorted(subscription.changes.all(), key=lambda c: c.effective_from, reverse=True)
    history = [
        {
            "change": c,
            "price_before": (c.overrides_before or {}).get("price_net"),
            "price_after": (c.overrides or {}).get("price_net"),
            "units": (c.overrides or {}).get("rounding_units") or {},
        }
        for c in changes
    ]
    addons = (
        SubscriptionAddon.objects.filter(subscription=subscription)
        .select_related("calendar")
        .order_by("-effective_from", "id")
    )
    return render(
        request,
        "console/subscription_edit.html",
        {
            "subscription": subscription,
            "form": form,
            "addon_forms": addon_forms,
            "history": history,
            "addons": addons,
            "kinds": dict(WorkKind.choices),
            "section": "subscriptions",
        },
        status=400 if form.errors or any(addon_forms.errors) else 200,
    )


@tenant_admin_required
def package_list(request):
    tenant, today = request.tenant, timezone.localdate()
    form = PackageSellForm(request.POST or None, tenant=tenant, initial={"purchased_on": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organization = data["organization"]
        waiting = _waiting(tenant, organization)
        try:
            package = package_purchase(
                tenant=tenant,
                organization=organization,
                purchased_on=data["purchased_on"],
                minutes=form.minutes(),
                price_net=data.get("price_net"),
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            released = waiting - _waiting(tenant, organization)
            messages.success(
                request,
                _("Package recorded for %(organization)s, valid until %(day)s.")
                % {"organization": organization.name, "day": date_format(package.valid_until, "DATE_FORMAT")}
                + (
                    " " + _("Tickets released from waiting for a package: %(count)d.") % {"count": released}
                    if released
                    else ""
                ),
            )
            return redirect("console:package_list")
    packages = list(
        Package.objects.for_tenant(tenant).select_related("organization").order_by("-purchased_on", "-id")[:200]
    )
    for package in packages:
        package.hours, package.hours_left = package.minutes / 60, max(package.minutes_left, 0) / 60
    balances: dict[int, dict] = {}
    for package in packages:
        row = balances.setdefault(
            package.organization_id,
            {"organization": package.organization, "minutes": 0, "valid_until": None, "waiting": 0},
        )
        if package.status == Package.Status.ACTIVE and package.valid_until >= today:
            row["minutes"] += max(package.minutes_left, 0)
            row["valid_until"] = max(filter(None, [row["valid_until"], package.valid_until]))
    for row in balances.values():
        row["waiting"] = _waiting(tenant, row["organization"])
        row["hours"] = row["minutes"] / 60
    return render(
        request,
        "console/packages.html",
        {
            "packages": packages,
            "balances": sorted(balances.values(), key=lambda r: r["organization"].name),
            "form": form,
            "section": "packages",
        },
        status=400 if form.errors else 200,
    )


def _waiting(tenant, organization) -> int:
    return (
        Ticket.objects.for_tenant(tenant)
        .filter(Q(organization=organization), status=Ticket.Status.WAITING_PACKAGE)
        .count()
    )
