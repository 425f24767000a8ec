"""The admin: for tenant admins, scoped to their own tenant; for superusers, everything."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404
from django.utils.translation import gettext_lazy as _


class HelpdeskAdminSite(admin.AdminSite):
    site_header = _("Helpdesk — administration")
    site_title = _("Helpdesk administration")
    index_title = _("Settings of your helpdesk")
    index_template = "admin/helpdesk_index.html"

    def has_permission(self, request) -> bool:
        user = request.user
        if not user.is_active or not user.is_authenticated:
            return False
        return user.is_superuser or is_tenant_admin(request)

    def each_context(self, request):
        context = super().each_context(request)
        context["admin_tenant"] = getattr(request, "tenant", None)
        return context

    def index(self, request, extra_context=None):
        from helpdesk.models import Heartbeat

        extra_context = {**(extra_context or {}), "heartbeats": list(Heartbeat.objects.order_by("name"))}
        return super().index(request, extra_context)


class HelpdeskAdminConfig(AdminConfig):
    default_site = "helpdesk.admin_site.HelpdeskAdminSite"


def is_tenant_admin(request) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.is_admin


class TenantScopedAdminMixin:
    """Rows of the request's tenant only; tenant set on save; foreign keys limited to the tenant.

    Another tenant's object answers 404, like everywhere else in the product.
    """

    tenant_field = "tenant"

    def _scoped(self, request) -> bool:
        return not request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._scoped(request):
            queryset = queryset.filter(**{self.tenant_field: request.tenant})
        return queryset

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if self._scoped(request) and self.tenant_field == "tenant":
            exclude.append("tenant")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if self._scoped(request):
            filters = [f for f in filters if f != "tenant"]
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and self._scoped(request):
            _limit_to_tenant(field, request.tenant)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and self._scoped(request):
            _limit_to_tenant(field, request.tenant)
        return field

    def save_model(self, request, obj, form, change):
        if not change and self._scoped(request) and self.tenant_field == "tenant":
            obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Inline children (e-mail addresses, windows…) belong to the parent's tenant.
        instances = formset.save(commit=False)
        for instance in instances:
            if any(f.name == "tenant" for f in instance._meta.fields) and not instance.tenant_id:
                instance.tenant_id = form.instance.tenant_id
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()

    def has_module_permission(self, request):
        return request.user.is_superuser or is_tenant_admin(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or is_tenant_admin(request)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser or is_tenant_admin(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or is_tenant_admin(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser or is_tenant_admin(request)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(_("No such object."))


def _limit_to_tenant(field, tenant) -> None:
    queryset = getattr(field, "queryset", None)
    if queryset is None:
        return
    model = queryset.model
    if any(f.name == "tenant" for f in model._meta.fields):
        field.queryset = queryset.filter(tenant=tenant)


class TenantScopedAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    pass


class TenantScopedInline(TenantScopedAdminMixin):
    """Inlines of a tenant-owned parent: the parent's scope already applies; children get its tenant."""

    tenant_field = "tenant"

    def get_queryset(self, request):
        return super(TenantScopedAdminMixin, self).get_queryset(request)

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser or is_tenant_admin(request)
