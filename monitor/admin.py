"""Admin of the SLA monitor: events (read-only), the report entry, failed background tasks."""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.admin_site import ReadOnlyAdminMixin, TenantScopedAdmin
from monitor.models import FailedTask, SlaEvent, SlaReport


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ("ticket", "kind", "at", "recorded_at", "notified_at", "recipients_list")
    list_filter = ("kind", ("notified_at", admin.EmptyFieldListFilter), "tenant")
    date_hierarchy = "at"
    list_select_related = ("ticket__tenant",)
    search_fields = ("ticket__subject",)

    @admin.display(description=_("recipients"))
    def recipients_list(self, obj):
        return ", ".join(obj.recipients or [])


@admin.register(SlaReport)
class SlaReportAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    """An entry on the admin index that opens the report."""


    def changelist_view(self, request, extra_context=None):
        return HttpResponseRedirect(reverse("sla:report"))


@admin.register(FailedTask)
class FailedTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Dead letters of every background task; they belong to no tenant, so superusers only."""

    list_display = ("task_name", "failed_at", "exception_short", "retries", "task_id")
    list_filter = ("task_name",)
    date_hierarchy = "failed_at"
    search_fields = ("task_name", "task_id", "exception")
    readonly_fields = ("task_name", "task_id", "args", "kwargs", "exception", "traceback", "retries", "failed_at")

    @admin.display(description=_("exception"))
    def exception_short(self, obj):
        return obj.exception[:120]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
