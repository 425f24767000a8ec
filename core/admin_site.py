"""The admin: for tenant admins, scoped to their own tenant; for superusers, everything."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
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

    def login(self, request, extra_context=None):
        # Imported here: auth forms need the app registry, which is not ready when this loads.
        from core.admin_forms import TenantAdminAuthenticationForm

        self.login_form = TenantAdminAuthenticationForm
        return super().login(request, extra_context)

    def each_context(self, request):
        context = super().each_context(request)
        context["admin_tenant"] = getattr(request, "tenant", None)
        return context

    def index(self, request, extra_context=None):
        from core.models import Heartbeat

        extra_context = {**(extra_context or {}), "heartbeats": list(Heartbeat.objects.order_by("name"))}
        return super().index(request, extra_context)


class HelpdeskAdminConfig(AdminConfig):
    default_site = "core.admin_site.HelpdeskAdminSite"


MIN_YEAR, MAX_YEAR = 1900, 2199


def year_in_range(value) -> None:
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(_("Use a date in the years %(min)s–%(max)s.") % {"min": MIN_YEAR, "max": MAX_YEAR})


class _IdOnlyAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete looks the submitted value up to redisplay it; a value that is not an id
    (``organization=:``) must redisplay as nothing, not fail the query."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if v in (None, "") or _is_id(v)], attr)


def _is_id(value) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) <= 2**63 - 1


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

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not self._scoped(request) or self.tenant_field != "tenant":
            return form
        return _with_tenant(form, obj.tenant if obj is not None else request.tenant)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if self._scoped(request):
            filters = [_related_only(self.model, f) for f in filters if f != "tenant"]
        return filters

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(field, (forms.DateField, forms.DateTimeField)):
            # Far dates overflow the date arithmetic of terms, deadlines and statements.
            field.validators.append(year_in_range)
        return field

    def get_changeform_initial_data(self, request):
        """``?field=value`` prefills the add form; a value that is not one of the field's (``?plan=abc``,
        an unknown id, a date past 2199) is dropped instead of breaking the page."""
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.is_relation:
                if not _is_id(value):
                    initial.pop(name)
            elif isinstance(field, (models.DateField, models.DateTimeField)):
                try:
                    parsed = field.to_python(value)
                    year_in_range(parsed)
                except (ValidationError, ValueError, OverflowError):
                    initial.pop(name)
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and self._scoped(request):
            _limit_to_tenant(field, request.tenant)
        if field is not None and isinstance(field.widget, AutocompleteSelect):
            field.widget.__class__ = _IdOnlyAutocompleteSelect
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

    def get_object(self, request, object_id, from_field=None):
        # Another tenant's object is a 404 on every page, before any permission check could answer
        # 403 (the delete page of a model nobody may delete, for one).
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such object."))
        return obj

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(_("No such object."))


def _related_only(model, list_filter):
    """A filter on a relation offers the related rows of the tenant's own objects, not every tenant's."""
    if isinstance(list_filter, str):
        try:
            field = get_fields_from_path(model, list_filter)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return list_filter
        if field.is_relation:
            return (list_filter, admin.RelatedOnlyFieldListFilter)
    return list_filter


def _with_tenant(form_class, tenant):
    """The form with its instance's tenant set before validation.

    The tenant is not a field of a tenant admin's forms, and Django skips the unique constraints
    that involve a field missing from the form: every constraint here is led by ``tenant``, so a
    duplicate code or address would pass validation and fail in the database (a 500).
    """

    class TenantForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if getattr(self.instance, "tenant_id", None) is None and tenant is not None:
                self.instance.tenant = tenant

        def _get_validation_exclusions(self):
            exclude = super()._get_validation_exclusions()
            exclude.discard("tenant")
            return exclude

    TenantForm.__name__ = form_class.__name__
    return TenantForm


def _limit_to_tenant(field, tenant) -> None:
    queryset = getattr(field, "queryset", None)
    if queryset is None:
        return
    model = queryset.model
    if any(f.name == "tenant" for f in model._meta.fields):
        field.queryset = queryset.filter(tenant=tenant)


class ReadOnlyAdminMixin:
    """Rows that only services write (history, logs, time entries, statements): shown, never edited here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TenantScopedAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    pass


class TenantScopedInline(TenantScopedAdminMixin):
    """Inlines of a tenant-owned parent: the parent's scope already applies; children get its tenant."""

    tenant_field = "tenant"

    def get_queryset(self, request):
        return super(TenantScopedAdminMixin, self).get_queryset(request)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super(TenantScopedAdminMixin, self).get_formset(request, obj, **kwargs)
        tenant = obj.tenant if obj is not None else (request.tenant if self._scoped(request) else None)
        if tenant is not None and any(f.name == "tenant" for f in self.model._meta.fields):
            formset.form = _with_tenant(formset.form, tenant)
        return formset

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser or is_tenant_admin(request)
