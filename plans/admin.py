import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_site import TenantScopedAdmin, TenantScopedInline
from plans.models import (
    Calendar,
    CalendarDate,
    CalendarWindow,
    Channel,
    Plan,
    PlanTerms,
    Product,
    Subscription,
    SubscriptionAddon,
    SubscriptionChange,
    WorkKind,
)
from plans.selectors import plan_terms_latest
from plans.services import (
    calendar_import_spec,
    calendar_validate,
    subscription_cancel,
    subscription_create,
    subscription_set_overrides,
)
from sla.calendar import BusinessCalendar


class ServiceFormMixin:
    """Admin forms whose save goes through a service: the service runs in clean() so its
    ValidationErrors show on the form (the admin wraps the whole request in one transaction)."""

    result = None

    def __init__(self, *args, **kwargs):
        from core.admin_site import year_in_range

        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, (forms.DateField, forms.DateTimeField)) and year_in_range not in field.validators:
                field.validators = [*field.validators, year_in_range]

    def run_service(self):
        raise NotImplementedError

    def _post_clean(self):
        if self.result is not None:
            # The service validated and saved the object: the form stands for it from now on, not for
            # an unsaved copy of the raw input (whose empty start date the service filled in).
            self.instance = self.result
            return
        super()._post_clean()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.result = self.run_service()
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, exc)
        return data


class ServiceAdminMixin:
    def save_model(self, request, obj, form, change):
        obj.pk = form.result.pk

    def save_related(self, request, form, formsets, change):
        pass


# --- calendars ---------------------------------------------------------------------------------


class CalendarWindowInline(admin.TabularInline):
    model = CalendarWindow
    extra = 0


class CalendarDateInline(admin.TabularInline):
    model = CalendarDate
    extra = 0


class CalendarImportForm(forms.Form):
    spec = forms.CharField(label=_("calendar as JSON"), widget=forms.Textarea(attrs={"rows": 14, "cols": 90}))

    def clean_spec(self):
        try:
            return json.loads(self.cleaned_data["spec"])
        except json.JSONDecodeError as exc:
            raise ValidationError(_("Not valid JSON: %s") % exc) from exc


class CalendarPreviewForm(forms.Form):
    received = forms.DateTimeField(label=_("ticket received at"),
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    hours = forms.DecimalField(label=_("reaction time, business hours"), min_value=0, max_value=2000,
                               decimal_places=2, initial=4)

    def clean_received(self):
        from core.admin_site import year_in_range

        received = self.cleaned_data["received"]
        year_in_range(received)
        return received


@admin.register(Calendar)
class CalendarAdmin(TenantScopedAdmin):
    list_display = ("name", "code", "timezone", "holidays_country", "windows_summary")
    search_fields = ("name", "code")
    inlines = [CalendarWindowInline, CalendarDateInline]
    change_form_template = "admin/plans/calendar/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("windows", "dates")

    @admin.display(description=_("opening windows"))
    def windows_summary(self, obj):
        return ", ".join(str(w) for w in obj.windows.all())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        calendar_validate(form.instance)

    def get_urls(self):
        return [
            path("<int:pk>/spec.json", self.admin_site.admin_view(self.export_view), name="plans_calendar_export"),
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="plans_calendar_preview"),
            path("import/", self.admin_site.admin_view(self.import_view), name="plans_calendar_import"),
            *super().get_urls(),
        ]

    def _get(self, request, pk) -> Calendar:
        calendar = self.get_queryset(request).filter(pk=pk).first()
        if calendar is None:
            raise Http404
        return calendar

    def export_view(self, request, pk):
        calendar = self._get(request, pk)
        response = JsonResponse(calendar.to_spec(), json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="{calendar.code}.json"'
        return response

    def import_view(self, request):
        form = CalendarImportForm(request.POST or None)
        code_form = forms.Form(request.POST or None)
        code_form.fields["code"] = forms.SlugField(label=_("code"))
        code_form.fields["name"] = forms.CharField(label=_("name"))
        if request.method == "POST" and form.is_valid() and code_form.is_valid():
            try:
                calendar = calendar_import_spec(tenant=request.tenant, code=code_form.cleaned_data["code"],
                                                name=code_form.cleaned_data["name"],
                                                spec=form.cleaned_data["spec"], actor=request.user)
            except ValidationError as exc:
                form.add_error("spec", exc.messages)
            else:
                messages.success(request, _("Calendar imported."))
                return redirect("admin:plans_calendar_change", calendar.pk)
        context = {**self.admin_site.each_context(request), "title": _("Import a calendar"), "form": form,
                   "code_form": code_form, "opts": self.model._meta}
        return TemplateResponse(request, "admin/plans/calendar/import.html", context)

    def preview_view(self, request, pk):
        calendar = self._get(request, pk)
        business = BusinessCalendar.from_spec(calendar.to_spec())
        form = CalendarPreviewForm(request.GET or None)
        result = None
        if form.is_valid():
            received = form.cleaned_data["received"]
            received = timezone.make_aware(received.replace(tzinfo=None), business.timezone) if received else None
            duration = timedelta(hours=float(form.cleaned_data["hours"]))
            due = business.add(received, duration)
            result = {"received": received, "due": due.astimezone(business.timezone),
                      "starts": business.next_open(received).astimezone(business.timezone)}
        context = {**self.admin_site.each_context(request), "title": _("Deadline preview: %s") % calendar.name,
                   "form": form, "result": result, "calendar": calendar, "opts": self.model._meta,
                   "original": calendar}
        return TemplateResponse(request, "admin/plans/calendar/preview.html", context)


# --- plans and terms ---------------------------------------------------------------------------


LIST_FIELDS = {
    "included_kinds": WorkKind.choices,
    "channels": Channel.choices,
    "config_help_channels": Channel.choices,
}


class PlanTermsForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = PlanTerms
        # Every term the model has is edited here, so new terms appear without touching the form.
        exclude = ("tenant", "version", "created_by", "created_at")  # noqa: DJ006

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        for name, choices in LIST_FIELDS.items():
            self.fields[name] = forms.MultipleChoiceField(
                label=PlanTerms._meta.get_field(name).verbose_name, choices=choices, required=False,
                widget=forms.CheckboxSelectMultiple, initial=self.initial.get(name))
        products = Product.objects.for_tenant(request.tenant) if request and request.tenant else Product.objects.none()
        self.fields["products"] = forms.MultipleChoiceField(
            label=PlanTerms._meta.get_field("products").verbose_name, required=False,
            choices=[(p.code, p.name) for p in products], widget=forms.CheckboxSelectMultiple,
            help_text=PlanTerms._meta.get_field("products").help_text, initial=self.initial.get("products"))

    def run_service(self):
        from plans.services import plan_terms_update

        data = dict(self.cleaned_data)
        plan = data.pop("plan")
        effective_from = data.pop("effective_from")
        note = data.pop("change_note", "")
        base = plan_terms_latest(tenant=plan.tenant, plan=plan)
        if base is None:
            version = PlanTerms(tenant=plan.tenant, plan=plan, version=1, effective_from=effective_from,
                                created_by=self.request.user, change_note=note, **data)
            version.full_clean()
            version.save()
            return version
        changes = {k: v for k, v in data.items() if getattr(base, k) != v}
        return plan_terms_update(tenant=plan.tenant, plan=plan, effective_from=effective_from, changes=changes,
                                 actor=self.request.user, note=note)


@admin.register(PlanTerms)
class PlanTermsAdmin(ServiceAdminMixin, TenantScopedAdmin):
    """Terms are never edited in place: "change" shows a version, "add" records a new one."""

    form = PlanTermsForm
    list_display = ("plan", "version", "effective_from", "billing_mode", "price_net", "reaction_minutes",
                    "created_by", "change_note")
    list_filter = ("plan",)
    fieldsets = (
        (None, {"fields": ("plan", "effective_from", "change_note")}),
        (_("Price and contract"), {"fields": ("billing_mode", "price_net", "currency", "minimum_term_months",
                                              "notice_days", "starts_next_month")}),
        (_("Included work"), {"fields": ("included_minutes", "included_unlimited", "included_kinds",
                                         "package_minutes", "package_validity_months")}),
        (_("Hours and reaction"), {"fields": ("service_calendar", "days_off_support", "reaction_minutes",
                                              "critical_calendar", "critical_reaction_minutes",
                                              "critical_on_days_off", "next_reply_minutes", "resolution_minutes",
                                              "warning_percent", "queue_priority")}),
        (_("E-mail support"), {"fields": ("email_scope", "email_limit_minutes")}),
        (_("Channels and services"), {"fields": ("channels", "config_help_channels", "suggested_contact",
                                                 "phone_support", "phone_consultations", "development",
                                                 "priority_development", "carrier_contact", "account_manager",
                                                 "manager_mobile", "products")}),
        (_("Billing of work"), {"fields": ("hourly_rate_net", "rounding_units", "rounding_default_unit",
                                           "rounding_minutes_added", "rounding_per_intervention",
                                           "after_hours_multiplier", "after_hours_rate_net")}),
        (_("Yearly update"), {"fields": ("update_included", "update_fee_net")}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class RequestForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return RequestForm

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        plan_id = initial.get("plan")  # the base class dropped it unless it is a row id
        plan = Plan.objects.for_tenant(request.tenant).filter(pk=plan_id).first() \
            if request.tenant and plan_id else None
        base = plan_terms_latest(tenant=request.tenant, plan=plan) if plan else None
        if base is not None:
            for field in PlanTerms._meta.concrete_fields:
                if field.name not in {"id", "tenant", "version", "created_at", "created_by", "change_note",
                                      "effective_from"}:
                    initial[field.name] = getattr(base, field.attname)
            initial["effective_from"] = timezone.localdate()
        return initial

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("plan", "created_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TermsHistoryInline(TenantScopedInline, admin.TabularInline):
    model = PlanTerms
    fields = ("version", "effective_from", "billing_mode", "price_net", "reaction_minutes", "included_minutes",
              "hourly_rate_net", "created_by", "created_at", "change_note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-effective_from", "-version")
    verbose_name_plural = _("terms history (every version stays readable)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(TenantScopedAdmin):
    list_display = ("name", "code", "active", "position", "new_terms_link")
    inlines = [TermsHistoryInline]

    @admin.display(description=_("terms"))
    def new_terms_link(self, obj):
        url = reverse("admin:plans_planterms_add") + f"?plan={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("edit terms (new version)"))

    def get_readonly_fields(self, request, obj=None):
        return ("new_terms_link",) if obj else ()


@admin.register(Product)
class ProductAdmin(TenantScopedAdmin):
    list_display = ("name", "code")


# --- subscriptions -----------------------------------------------------------------------------


class SubscriptionAddForm(ServiceFormMixin, forms.ModelForm):
    starts_on = forms.DateField(label=_("starts on"), required=False,
                                help_text=_("Empty: the earliest start the rules allow."),
                                widget=forms.DateInput(attrs={"type": "date"}))
    accepted_on = forms.DateField(label=_("order accepted on"), widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Subscription
        fields = ("organization", "plan", "accepted_on", "starts_on", "overrides")

    def run_service(self):
        data = self.cleaned_data
        # The superuser works outside any tenant: the organization's tenant is the one meant.
        tenant = self.tenant or data["organization"].tenant
        return subscription_create(tenant=tenant, organization=data["organization"], plan=data["plan"],
                                   accepted_on=data["accepted_on"], starts_on=data.get("starts_on"),
                                   overrides=data.get("overrides") or {}, actor=self.user)


class SubscriptionChangeForm(ServiceFormMixin, forms.ModelForm):
    notice_given_on = forms.DateField(label=_("notice given on"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("Empty with a notice date: the earliest end the rules allow."))

    class Meta:
        model = Subscription
        fields = ("overrides", "notice_given_on", "ends_on")

    def run_service(self):
        data = self.cleaned_data
        subscription = Subscription.objects.get(pk=self.instance.pk)
        if data.get("overrides") != subscription.overrides:
            subscription = subscription_set_overrides(tenant=self.tenant, subscription=subscription,
                                                      overrides=data.get("overrides") or {}, actor=self.user)
        if data.get("notice_given_on") and (data["notice_given_on"] != subscription.notice_given_on
                                            or data.get("ends_on") != subscription.ends_on):
            subscription = subscription_cancel(tenant=self.tenant, subscription=subscription,
                                               notice_given_on=data["notice_given_on"],
                                               ends_on=data.get("ends_on"), actor=self.user)
        return subscription


class AddonInline(TenantScopedInline, admin.TabularInline):
    """The dated add-ons, read only: adding or removing one is a dated change of the subscription
    (Settings → Subscriptions, or the API), so that no billed month changes."""

    model = SubscriptionAddon
    extra = 0
    fields = readonly_fields = ("kind", "calendar", "product", "price_net", "effective_from", "ends_on")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ServiceAdminMixin, TenantScopedAdmin):
    list_display = ("organization", "plan", "starts_on", "ends_on", "addon_list")
    list_filter = ("plan",)
    search_fields = ("organization__name",)
    autocomplete_fields = ("organization",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "plan").prefetch_related("addons")

    @admin.display(description=_("add-ons"))
    def addon_list(self, obj):
        today = timezone.localdate()
        return format_html_join(", ", "{}", ((a.get_kind_display(),) for a in obj.addons.all() if a.applies_on(today)))

    def get_inlines(self, request, obj):
        return [AddonInline] if obj else []

    @admin.display(description=_("subscription changes"))
    def changes_history(self, obj):
        """The dated changes of the per-customer terms (RULES 6.6): the history of prices and seats."""
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (change.effective_from.isoformat(), json.dumps(change.overrides_before, ensure_ascii=False),
             json.dumps(change.overrides, ensure_ascii=False), change.seats or "—", change.note)
            for change in SubscriptionChange.objects.filter(subscription=obj).order_by("effective_from")))
        if not rows:
            return "—"
        return format_html("<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
                           "<tbody>{}</tbody></table>", _("effective from"), _("per-customer terms before"),
                           _("per-customer terms"), _("seats"), _("note"), rows)

    def get_readonly_fields(self, request, obj=None):
        return ("organization", "plan", "starts_on", "accepted_on", "changes_history") if obj else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = SubscriptionChangeForm if obj else SubscriptionAddForm
        form_class = super().get_form(request, obj, change=change, **kwargs)
        tenant = obj.tenant if obj else request.tenant

        class RequestForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                self.tenant = tenant
                self.user = request.user

        return RequestForm

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change)
