"""The tenant admin's SLA report per target: tables, breaches, inline SVG charts and CSV exports."""
from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import csv_export
from core.models import Membership, Organization, Role, Tenant
from monitor.selectors import bar_chart, month_add, month_start, sla_report
from monitor.target_report import TargetReport, target_report
from plans.models import Plan
from tickets.templatetags.helpdesk_ui import duration_text

MAX_MONTHS = 36


class ReportForm(forms.Form):
    start = forms.CharField(label=gettext_lazy("From month"), required=False,
                            widget=forms.TextInput(attrs={"type": "month"}))
    end = forms.CharField(label=gettext_lazy("To month"), required=False,
                          widget=forms.TextInput(attrs={"type": "month"}))
    plan = forms.ModelChoiceField(label=gettext_lazy("Plan"), queryset=Plan.objects.none(), required=False,
                                  empty_label=gettext_lazy("all"))
    organization = forms.ModelChoiceField(label=gettext_lazy("Organization"), queryset=Organization.objects.none(),
                                          required=False, empty_label=gettext_lazy("all"))
    agent = forms.ModelChoiceField(label=gettext_lazy("Agent"), queryset=Membership.objects.none(), required=False,
                                   empty_label=gettext_lazy("all"))

    def __init__(self, *args, today: date, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        # Another tenant's plan, organization or agent is not a choice: a clear form error, never their data.
        self.fields["plan"].queryset = Plan.objects.for_tenant(tenant).order_by("position", "name")
        self.fields["organization"].queryset = Organization.objects.for_tenant(tenant).order_by("name")
        self.fields["agent"].queryset = (Membership.objects.for_tenant(tenant).select_related("user")
                                         .filter(role__in=(Role.AGENT, Role.ADMIN))
                                         .order_by("user__first_name", "user__last_name", "user__username"))
        self.fields["agent"].label_from_instance = lambda m: m.user.get_full_name() or m.user.get_username()

    @staticmethod
    def _month(value: str, field: str) -> date | None:
        if not value:
            return None
        try:
            parsed = datetime.strptime(value.strip(), "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError({field: _("Use a month as YYYY-MM.")}) from None
        if not 2000 <= parsed.year <= 2100:
            raise forms.ValidationError({field: _("Use a month as YYYY-MM.")})
        return parsed

    def clean(self):
        data = super().clean()
        end = self._month(data.get("end", ""), "end") or month_start(self.today)
        start = self._month(data.get("start", ""), "start") or month_add(end, -11)
        if start > end:
            raise forms.ValidationError(_("The first month must not be after the last."))
        if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
            raise forms.ValidationError(_("Choose at most %(n)d months.") % {"n": MAX_MONTHS})
        data["start_month"], data["end_month"] = start, end
        return data


def _report_view(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise Http404(_("Choose a tenant first."))
    zone = ZoneInfo(tenant.time_zone)
    today = timezone.now().astimezone(zone).date()
    form = ReportForm(request.GET or None, today=today, tenant=tenant)
    title = _("SLA report")
    if request.GET and not form.is_valid():
        context = {**admin.site.each_context(request), "form": form, "title": title, "report": None}
        return render(request, "admin/sla/report.html", context, status=400)
    filters = {"plan": None, "organization": None, "agent": None}
    if request.GET:
        start, last = form.cleaned_data["start_month"], form.cleaned_data["end_month"]
        filters = {name: form.cleaned_data.get(name) for name in filters}
    else:
        last = month_start(today)
        start = month_add(last, -11)
        form = ReportForm(initial={"start": f"{start:%Y-%m}", "end": f"{last:%Y-%m}"}, today=today, tenant=tenant)
    end = month_add(last, 1)
    fmt = request.GET.get("format")
    if fmt == "csv":
        return _csv(sla_report(tenant=tenant, start=start, end=end))
    if fmt == "targets_csv":
        return _targets_csv(target_report(tenant=tenant, start=start, end=end, limit=None, **filters))
    report = target_report(tenant=tenant, start=start, end=end, **filters)
    query = {"start": f"{start:%Y-%m}", "end": f"{last:%Y-%m}",
             **{name: value.pk for name, value in filters.items() if value is not None}}
    now = timezone.now()
    context = {
        **admin.site.each_context(request),
        "title": title,
        "form": form,
        "report": report,
        "last_month": last,
        "sections": [{"total": total, "chart": bar_chart(report.months[total.target])} for total in report.totals],
        "breaches": [{"row": b, "late_by": duration_text(b.late_by(now)), "open": b.met_at is None}
                     for b in report.breaches],
        "csv_query": urlencode({**query, "format": "csv"}),
        "targets_csv_query": urlencode({**query, "format": "targets_csv"}),
        "filtered": any(value is not None for value in filters.values()),
        "zone": zone,
    }
    return render(request, "admin/sla/report.html", context)


def report(request):
    """Only for tenant admins (and superusers) through the admin's own login and permission check."""
    return admin.site.admin_view(_report_view)(request)


def _csv(report) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="sla-{report.tenant.slug}-{report.start:%Y-%m}-{month_add(report.end, -1):%Y-%m}.csv"')
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly (Polish names).
    writer = csv_export.writer(response)
    writer.writerow(["month", "plan", "met", "breached", "running", "percent_met", "average_reaction_business_hours"])
    for row in report.rows:
        writer.writerow([row.month.strftime("%Y-%m"), row.plan, row.met, row.breached, row.running,
                         "" if row.percent_met is None else f"{row.percent_met:.1f}",
                         "" if row.average_reaction_hours is None else f"{row.average_reaction_hours:.2f}"])
    writer.writerow([])
    writer.writerow(["ticket", "subject", "organization", "due_at", "breached_at", "reacted_at",
                     "late_by_business_hours"])
    for breach in report.breaches:
        ticket = breach.ticket
        writer.writerow([ticket.reference, ticket.subject, ticket.organization.name if ticket.organization else "",
                         breach.due_at.isoformat(), breach.breached_at.isoformat(),
                         breach.reacted_at.isoformat() if breach.reacted_at else "",
                         "" if breach.late_by_business is None
                         else f"{breach.late_by_business.total_seconds() / 3600:.2f}"])
    return response


def _targets_csv(report: TargetReport) -> HttpResponse:
    """Every target (reaction, next reply, resolution) per month, plan, organization and agent; every breach."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="sla-targets-{report.tenant.slug}-{report.start:%Y-%m}-'
        f'{month_add(report.end, -1):%Y-%m}.csv"')
    response.write("\ufeff")
    writer = csv_export.writer(response)
    writer.writerow(["month", "target", "plan", "organization", "agent", "met", "breached", "running",
                     "percent_met"])
    for row in report.rows:
        writer.writerow([row.month.strftime("%Y-%m"), row.target, row.plan, row.organization, row.agent, row.met,
                         row.breached, row.running, "" if row.percent_met is None else f"{row.percent_met:.1f}"])
    writer.writerow([])
    writer.writerow(["ticket", "subject", "organization", "target", "cycle", "due_at", "breached_at", "recorded_at",
                     "met_at", "late_by_minutes"])
    now = timezone.now()
    for breach in report.breaches:
        ticket = breach.ticket
        writer.writerow([ticket.reference, ticket.subject, ticket.organization.name if ticket.organization else "",
                         breach.target, breach.cycle, breach.due_at.isoformat(), breach.breached_at.isoformat(),
                         breach.recorded_at.isoformat() if breach.recorded_at else "",
                         breach.met_at.isoformat() if breach.met_at else "",
                         int(breach.late_by(now).total_seconds() // 60)])
    return response

