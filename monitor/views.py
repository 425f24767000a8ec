"""The tenant admin's SLA report: table, breaches, inline SVG chart and CSV export."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import csv_export
from monitor.selectors import bar_chart, month_add, month_start, sla_report
from monitor.target_report import target_report

MAX_MONTHS = 36


class ReportForm(forms.Form):
    start = forms.CharField(label=gettext_lazy("From month"), required=False,
                            widget=forms.TextInput(attrs={"type": "month"}))
    end = forms.CharField(label=gettext_lazy("To month"), required=False,
                          widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

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
    today = timezone.now().astimezone(ZoneInfo(tenant.time_zone)).date()
    form = ReportForm(request.GET or None, today=today)
    if request.GET and not form.is_valid():
        context = {**admin.site.each_context(request), "form": form, "title": _("Reaction SLA report"),
                   "report": None}
        return render(request, "admin/sla/report.html", context, status=400)
    if request.GET:
        start, last = form.cleaned_data["start_month"], form.cleaned_data["end_month"]
    else:
        last = month_start(today)
        start = month_add(last, -11)
    if request.GET.get("format") == "targets_csv":
        return _targets_csv(tenant, start, month_add(last, 1))
    report = sla_report(tenant=tenant, start=start, end=month_add(last, 1))
    if request.GET.get("format") == "csv":
        return _csv(report)
    context = {
        **admin.site.each_context(request),
        "title": _("Reaction SLA report"),
        "form": form if request.GET else ReportForm(initial={"start": start.strftime("%Y-%m"),
                                                              "end": last.strftime("%Y-%m")}, today=today),
        "report": report,
        "chart": bar_chart(report.months),
        "csv_query": f"start={start:%Y-%m}&end={last:%Y-%m}&format=csv",
        "targets_csv_query": f"start={start:%Y-%m}&end={last:%Y-%m}&format=targets_csv",
        "zone": ZoneInfo(tenant.time_zone),
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


def _targets_csv(tenant, start, end) -> HttpResponse:
    """Every target (reaction, next reply, resolution) per month, plan, organization and agent; breaches."""
    rows, breaches = target_report(tenant=tenant, start=start, end=end)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="sla-targets-{tenant.slug}-{start:%Y-%m}-{month_add(end, -1):%Y-%m}.csv"')
    response.write("\ufeff")
    writer = csv_export.writer(response)
    writer.writerow(["month", "target", "plan", "organization", "agent", "met", "breached", "running",
                     "percent_met"])
    for row in rows:
        writer.writerow([row.month.strftime("%Y-%m"), row.target, row.plan, row.organization, row.agent, row.met,
                         row.breached, row.running, "" if row.percent_met is None else f"{row.percent_met:.1f}"])
    writer.writerow([])
    writer.writerow(["ticket", "subject", "organization", "target", "cycle", "due_at", "recorded_at"])
    for event in breaches:
        ticket = event.ticket
        writer.writerow([ticket.reference, ticket.subject, ticket.organization.name if ticket.organization else "",
                         event.target, event.cycle, event.at.isoformat(), event.recorded_at.isoformat()])
    return response
