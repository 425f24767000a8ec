"""Billing in the admin for tenant admins: time entries (read-only), packages, statements, exports.

Writes go through the services: a package is added with ``package_purchase`` (the debt and the
ledger are recomputed), a statement is (re)generated with ``statement_generate``. Time entries are
logged and corrected on tickets; here they are read-only so pools never go out of step.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from billing.models import BillingParty, Package, Statement, TimeEntry
from billing.services import package_purchase
from billing.statements import (accounting_csv, statement_csv, statement_generate, statement_pdf, update_year,
                                vat_percent_label)
from core.admin_site import ReadOnlyAdminMixin, TenantScopedAdmin, year_in_range
from core.models import Organization


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ("started_at", "organization", "ticket", "agent", "kind", "minutes", "billed_minutes", "pool",
                    "deducted_minutes", "overage_minutes", "amount_net", "after_hours", "emergency")
    list_filter = ("tenant", "pool", "kind", "after_hours", "emergency")
    search_fields = ("organization__name", "note")
    date_hierarchy = "started_at"
    list_select_related = ("organization", "ticket__tenant", "agent__user")



class PackageAddForm(forms.ModelForm):
    class Meta:
        model = Package
        fields = ("organization", "purchased_on", "minutes", "price_net")

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["minutes"].required = False
        self.fields["minutes"].help_text = _("Empty: the package size of the plan.")
        self.fields["price_net"].required = False
        self.fields["price_net"].help_text = _("Empty: the price of the plan.")
        self.fields["purchased_on"].validators.append(year_in_range)
        if tenant is not None:
            self.fields["organization"].queryset = Organization.objects.for_tenant(tenant)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        organization = data["organization"]
        try:
            self.result = package_purchase(tenant=self.tenant or organization.tenant, organization=organization,
                                           purchased_on=data["purchased_on"], minutes=data.get("minutes"),
                                           price_net=data.get("price_net"), actor=getattr(self, "actor", None))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, exc)
        return data


@admin.register(Package)
class PackageAdmin(TenantScopedAdmin):
    list_display = ("organization", "purchased_on", "valid_until", "minutes", "debt_minutes", "minutes_left",
                    "status", "price_net")
    list_filter = ("tenant", "status")
    search_fields = ("organization__name",)
    list_select_related = ("organization",)
    readonly_fields = ("organization", "minutes", "minutes_left", "debt_minutes", "purchased_on", "valid_until",
                       "price_net", "status", "notified_expiring_at", "notified_expired_at", "notified_exhausted_at")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        tenant = None if request.user.is_superuser else request.tenant

        class RequestForm(PackageAddForm):
            def __init__(self, *args, **inner):
                super().__init__(*args, tenant=tenant, **inner)
                self.actor = request.user

        return RequestForm

    def save_model(self, request, obj, form, change):
        if not change:
            obj.pk = form.result.pk

    def save_related(self, request, form, formsets, change):
        pass

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StatementGenerateForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("organization"),
                                          required=False, help_text=_("Empty: every organization."))
    month = forms.CharField(label=_("month"), help_text=_("YYYY-MM"))

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = (Organization.objects.for_tenant(tenant) if tenant is not None
                                                else Organization.objects.all())

    def clean_month(self):
        return parse_month(self.cleaned_data["month"])


def parse_month(value: str) -> date:
    try:
        month = date.fromisoformat(f"{(value or '').strip()}-01")
    except ValueError:
        raise ValidationError(_("Give the month as YYYY-MM, e.g. 2026-04.")) from None
    if not 1900 <= month.year <= 2199:
        raise ValidationError(_("Give a month of the years 1900–2199."))
    return month


@admin.register(BillingParty)
class BillingPartyAdmin(TenantScopedAdmin):
    list_display = ("__str__", "organization", "tax_id")
    list_select_related = ("organization",)
    search_fields = ("legal_name", "tax_id", "organization__name")


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ("organization", "month", "net", "vat", "gross", "currency", "generated_at", "downloads")
    list_filter = ("tenant", "month")
    search_fields = ("organization__name",)
    list_select_related = ("organization",)
    readonly_fields = ("organization", "month", "net", "vat_percent", "vat", "gross", "currency", "generated_at",
                       "lines_table", "downloads", "update_fee_summary")
    exclude = ("lines", "vat_rate")
    actions = ["download_pdf", "download_csv"]
    change_list_template = "billing/admin/statement_changelist.html"


    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_statement_pdf"),
            path("<int:pk>/csv/", self.admin_site.admin_view(self.csv_view), name="billing_statement_csv"),
            path("generate/", self.admin_site.admin_view(self.generate_view), name="billing_statement_generate"),
            path("accounting-export/", self.admin_site.admin_view(self.accounting_view),
                 name="billing_accounting_export"),
            *super().get_urls(),
        ]

    @admin.display(description=_("download"))
    def downloads(self, obj):
        return format_html('<a href="{}">PDF</a> · <a href="{}">CSV</a>',
                           reverse("admin:billing_statement_pdf", args=[obj.pk]),
                           reverse("admin:billing_statement_csv", args=[obj.pk]))

    @admin.display(description=_("VAT rate"))
    def vat_percent(self, obj):
        return vat_percent_label(obj.vat_rate)

    @admin.display(description=_("yearly update fee"))
    def update_fee_summary(self, obj):
        """How the KJM yearly update fee of the statement's year is computed (RULES 6.5)."""
        summary = update_year(tenant=obj.tenant, organization=obj.organization, year=obj.month.year)
        if summary.value is None:
            return "—"
        kinds = {"charge": _("charged"), "credit": _("credited"), "adjustment": _("settled at the new value")}
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (f"{summary.year}-{month:02d}" + ("" if charge.recorded else f" ({_('open')})"),
             "; ".join(f"{kinds[run.kind]}: {run.first_month}–{run.last_month} ({run.amount})" for run in charge.runs)
             or "—", charge.net)
            for month, charge in sorted(summary.months.items())))
        return format_html(
            "<p>{}: {} · {}: {} · {}: {}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table><p>{}: {}</p>",
            _("update value"), summary.value, _("months with OPIEKA"),
            ", ".join(map(str, summary.active_months)) or "—", _("months without OPIEKA"),
            ", ".join(map(str, summary.inactive_months)) or "—", _("statement"), _("months charged"), _("net"),
            rows, _("total"), summary.total)

    @admin.display(description=_("lines"))
    def lines_table(self, obj):
        rows = "".join(
            format_html("<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>", line["code"],
                        line["description"], line["quantity"], line["unit"], line["unit_price"], line["net"])
            for line in obj.lines)
        return format_html("<table><tbody>{}</tbody></table>", format_html(rows)) if rows else "—"

    def _statement(self, request, pk) -> Statement:
        statement = self.get_queryset(request).select_related("tenant", "organization").filter(pk=pk).first()
        if statement is None:
            raise Http404(_("No such object."))
        return statement

    def pdf_view(self, request, pk):
        statement = self._statement(request, pk)
        response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{_filename(statement)}.pdf"'
        return response

    def csv_view(self, request, pk):
        statement = self._statement(request, pk)
        response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(statement)}.csv"'
        return response

    def _tenant_of(self, request):
        return None if request.user.is_superuser else request.tenant

    def generate_view(self, request):
        tenant = self._tenant_of(request)
        form = StatementGenerateForm(request.POST or None, tenant=tenant)
        if request.method == "POST" and form.is_valid():
            organization = form.cleaned_data["organization"]
            organizations = [organization] if organization else list(
                Organization.objects.for_tenant(tenant) if tenant else Organization.objects.all())
            for org in organizations:
                statement_generate(tenant=org.tenant, organization=org, month=form.cleaned_data["month"],
                                   actor=request.user)
            self.message_user(request, _("Statements generated: %(count)d.") % {"count": len(organizations)},
                              messages.SUCCESS)
            return redirect("admin:billing_statement_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Generate statements"),
                   "opts": self.model._meta}
        return TemplateResponse(request, "billing/admin/form.html", context)

    def accounting_view(self, request):
        tenant = self._tenant_of(request)
        if tenant is None:
            tenant_id = request.GET.get("tenant")
            from core.models import Tenant

            tenant = get_object_or_404(Tenant, pk=tenant_id) if tenant_id and tenant_id.isdigit() else None
        month_value = request.GET.get("month")
        error = None
        if month_value and tenant is not None:
            try:
                month = parse_month(month_value)
            except ValidationError as exc:
                error = exc.messages[0]
            else:
                response = HttpResponse(accounting_csv(tenant=tenant, month=month),
                                        content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = f'attachment; filename="czas-{tenant.slug}-{month:%Y-%m}.csv"'
                return response
        context = {**self.admin_site.each_context(request), "title": _("Accounting export"), "error": error,
                   "month": month_value or "", "needs_tenant": tenant is None, "opts": self.model._meta}
        return TemplateResponse(request, "billing/admin/accounting_export.html", context)

    @admin.action(description=_("Download the selected statements as PDF (ZIP)"))
    def download_pdf(self, request, queryset):
        return _zip(queryset.select_related("tenant", "organization"), "pdf", statement_pdf)

    @admin.action(description=_("Download the selected statements as CSV (ZIP)"))
    def download_csv(self, request, queryset):
        return _zip(queryset.select_related("tenant", "organization"), "csv",
                    lambda s: statement_csv(s).encode("utf-8"))


def _filename(statement: Statement) -> str:
    name = slugify(statement.organization.name)
    return f"zestawienie-{statement.month:%Y-%m}-{name or statement.organization_id}"


def _zip(statements, extension: str, render) -> HttpResponse:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for statement in statements:
            archive.writestr(f"{_filename(statement)}.{extension}", render(statement))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="zestawienia-{extension}.zip"'
    return response
