from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.admin_site import ReadOnlyAdminMixin, TenantScopedAdmin, TenantScopedInline
from core.models import AuditEvent, Contact, ContactEmail, ContactPhone, Membership, Organization, Tenant, User
from core.services import audit_record, login_used_outside, normalize_phone


class SuperuserRowsAdminMixin:
    """Rows outside tenancy (logins, tenants) are the superuser's: for anyone else every id is a 404,
    so a tenant admin cannot tell another tenant's staff login or tenant from an id that does not exist."""

    def get_object(self, request, object_id, from_field=None):
        if not request.user.is_superuser:
            raise Http404(_("No such object."))
        return super().get_object(request, object_id, from_field)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        if not request.user.is_superuser:
            raise Http404(_("No such object."))
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)


@admin.register(User)
class UserAdmin(SuperuserRowsAdminMixin, BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Preferences"), {"fields": ("language",)}),)

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(Tenant)
class TenantAdmin(SuperuserRowsAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "ticket_prefix", "domain", "language")
    search_fields = ("name", "slug")

    def has_module_permission(self, request):
        return request.user.is_superuser


class StaffForm(forms.ModelForm):
    """Staff of the tenant. Adding sends an invitation; the answer is the same whether the address
    is new, or a login somewhere else (which is never attached: see ``staff_invite``)."""

    email = forms.EmailField(label=_("e-mail (login)"))
    first_name = forms.CharField(label=_("first name"), max_length=150)
    last_name = forms.CharField(label=_("last name"), max_length=150)
    password = forms.CharField(label=_("password"), required=False, widget=forms.PasswordInput(render_value=False),
                               help_text=_("Leave empty to keep the current one."))

    class Meta:
        model = Membership
        fields = ("role", "on_call", "phone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            user = self.instance.user
            self.fields["email"].initial = user.email
            self.fields["first_name"].initial = user.first_name
            self.fields["last_name"].initial = user.last_name
            # Another address is another person: invite them. Renaming a login here would tell
            # whether the new address is taken anywhere.
            self.fields["email"].disabled = True
        else:
            # The invited person chooses their own password.
            self.fields.pop("password", None)
            self.fields["email"].help_text = _("The person gets an e-mail with a link to choose a password.")

    def clean(self):
        data = super().clean()
        tenant = data.get("tenant") or self.instance_tenant()
        email = (data.get("email") or "").lower()
        if self.instance.pk is None and email and tenant is not None and Membership.objects.filter(
                tenant=tenant, user__username__iexact=email).exists():
            self.add_error("email", _("This person is already on your staff."))
        # A login used outside this tenant (another tenant's staff or customer, the superuser) is
        # not this tenant's to rename or to give a new password: that would hand it over.
        if self.instance.pk and login_used_outside(self.instance.user, tenant):
            if data.get("password"):
                self.add_error("password", _("This login is also used outside your helpdesk; only its owner "
                                             "can change its password."))
        if data.get("password"):
            from django.contrib.auth.password_validation import validate_password

            try:
                validate_password(data["password"], self.instance.user if self.instance.pk else None)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data

    def instance_tenant(self):
        return self.instance.tenant if self.instance.tenant_id else getattr(self, "tenant", None)


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    form = StaffForm
    list_display = ("person", "email", "role", "on_call", "phone", "invited")
    list_filter = ("role", "on_call")
    search_fields = ("user__first_name", "user__last_name", "user__email")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None and "password" in fields:
            fields.remove("password")  # the invitation lets the person choose it
        # The superuser works outside any tenant: a new staff member needs one chosen.
        if obj is None and not self._scoped(request) and "tenant" not in fields:
            fields.insert(0, "tenant")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.tenant = obj.tenant if obj is not None else request.tenant
        return form

    @admin.display(description=_("person"), ordering="user__last_name")
    def person(self, obj):
        return obj.user.get_full_name() or obj.user.get_username()

    @admin.display(description=_("e-mail"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("invitation pending"), boolean=True)
    def invited(self, obj):
        return not obj.user.is_active and not obj.user.has_usable_password()

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            from core.services import staff_invite

            tenant = data.get("tenant") or form.instance_tenant()
            membership = staff_invite(
                tenant=tenant, email=data["email"], first_name=data["first_name"], last_name=data["last_name"],
                role=data["role"], on_call=data.get("on_call", False), phone=data.get("phone", ""),
                actor=request.user, link_base=request.build_absolute_uri("/"),
                attach_existing=request.user.is_superuser)
            if membership is not None:
                obj.pk, obj.user, obj.tenant = membership.pk, membership.user, membership.tenant
            return
        user = obj.user
        if not login_used_outside(user, obj.tenant):
            user.first_name = data["first_name"]
            user.last_name = data["last_name"]
            if data.get("password"):
                user.set_password(data["password"])
            user.save()
        super().save_model(request, obj, form, change)
        audit_record(tenant=obj.tenant, actor=request.user, action="membership.changed",
                     obj=obj, summary=f"{user.username}: {obj.role}", data={"role": obj.role, "on_call": obj.on_call})

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def log_addition(self, request, obj, message):
        return None  # staff_invite writes the audit row (and writes nothing when nothing was attached)

    def response_add(self, request, obj, post_url_continue=None):
        # The same answer for every address: whether it is a login elsewhere is not this tenant's to know.
        self.message_user(request, _("Invitation sent to %(email)s.") % {
            "email": request.POST.get("email", "").strip().lower()}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:helpdesk_membership_changelist"))

    def delete_model(self, request, obj):
        audit_record(tenant=obj.tenant, actor=request.user, action="membership.deleted", obj=obj,
                     summary=obj.user.get_username())
        super().delete_model(request, obj)


class ContactInline(TenantScopedInline, admin.TabularInline):
    model = Contact
    fields = ("name", "can_file_tickets")
    extra = 0
    show_change_link = True


@admin.register(Organization)
class OrganizationAdmin(TenantScopedAdmin):
    list_display = ("name", "tax_id", "external_id", "account_manager", "updated_at")
    search_fields = ("name", "tax_id", "external_id")
    inlines = [ContactInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account_manager__user")


class ContactEmailInline(TenantScopedInline, admin.TabularInline):
    model = ContactEmail
    extra = 1
    fields = ("email",)


class ContactPhoneInline(TenantScopedInline, admin.TabularInline):
    model = ContactPhone
    extra = 1
    fields = ("number",)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form = formset.form

        def clean_number(self):
            return normalize_phone(self.cleaned_data["number"])

        form.clean_number = clean_number
        return formset


@admin.register(Contact)
class ContactAdmin(TenantScopedAdmin):
    list_display = ("name", "organization", "can_file_tickets", "addresses", "has_login")
    list_filter = ("can_file_tickets",)
    search_fields = ("name", "emails__email", "phones__number", "organization__name")
    autocomplete_fields = ("organization",)
    exclude = ("user",)
    inlines = [ContactEmailInline, ContactPhoneInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization").prefetch_related("emails")

    @admin.display(description=_("e-mail addresses"))
    def addresses(self, obj):
        return ", ".join(e.email for e in obj.emails.all())

    @admin.display(description=_("portal login"), boolean=True)
    def has_login(self, obj):
        return obj.user_id is not None

    actions = ["export_data", "anonymise"]

    @admin.action(description=_("Export data (JSON)"))
    def export_data(self, request, queryset):
        from django.http import JsonResponse
        from django.utils import timezone

        from core.gdpr import contact_export

        data = {"contacts": [contact_export(tenant=c.tenant, contact=c) for c in queryset.select_related("tenant")]}
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="contacts-{timezone.now():%Y%m%d-%H%M}.json"'
        return response

    @admin.action(description=_("Anonymise"))
    def anonymise(self, request, queryset):
        from django.contrib import messages
        from django.contrib.admin import helpers
        from django.template.response import TemplateResponse

        from core.gdpr import contact_anonymise

        if request.POST.get("confirm") != "yes":
            return TemplateResponse(request, "admin/helpdesk/contact/anonymise_confirmation.html", {
                **self.admin_site.each_context(request), "title": _("Anonymise contacts"), "opts": self.model._meta,
                "contacts": queryset.select_related("organization"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME})
        count = 0
        for contact in queryset.select_related("tenant"):
            contact_anonymise(tenant=contact.tenant, contact=contact, actor=request.user)
            count += 1
        messages.success(request, _("Anonymised: %(n)s.") % {"n": count})
        return None


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ("at", "actor", "action", "summary")
    list_filter = ("action",)
    search_fields = ("summary", "object_id")
    readonly_fields = ("at", "actor", "action", "object_type", "object_id", "summary", "data")



# --- API tokens and webhooks ---------------------------------------------------------------------

from django.contrib import messages  # noqa: E402

from core.models import ApiToken, WebhookDelivery, WebhookEndpoint  # noqa: E402


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("name", "role")


@admin.register(ApiToken)
class ApiTokenAdmin(TenantScopedAdmin):
    form = ApiTokenForm
    list_display = ("name", "role", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("name", "prefix")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("name", "role", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request, obj=None):
        return ("name", "role") if obj is None else self.get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change):
        from core.services import api_token_create

        if change:
            return
        row, token = api_token_create(tenant=request.tenant, name=obj.name, role=obj.role, created_by=request.user)
        obj.pk = row.pk
        messages.warning(request, _("The new token — copy it now, it is not shown again: %(token)s")
                         % {"token": token})

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        from core.services import api_token_revoke

        for token in queryset:
            api_token_revoke(token=token, actor=request.user)


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(label=_("events"), widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "events", "active")

    def __init__(self, *args, **kwargs):
        from core.webhooks import EVENTS

        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(e, e) for e in EVENTS]

    def clean_url(self):
        from core.services import webhook_url_check

        url = self.cleaned_data["url"]
        try:
            webhook_url_check(url)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from exc
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantScopedAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "active", "failure_count", "disabled_at", "last_success_at")
    list_filter = ("active",)
    readonly_fields = ("failure_count", "disabled_at", "last_success_at")

    def save_model(self, request, obj, form, change):
        from core.services import webhook_create, webhook_update

        data = {k: form.cleaned_data[k] for k in ("url", "description", "events", "active")}
        if change:
            webhook_update(tenant=obj.tenant, endpoint=obj, actor=request.user, **data)
            return
        endpoint, secret = webhook_create(tenant=request.tenant, actor=request.user, **data)
        obj.pk = endpoint.pk
        messages.warning(request, _("The signing secret — copy it now, it is not shown again: %(secret)s")
                         % {"secret": secret})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantScopedAdmin):
    list_display = ("event_type", "endpoint", "status", "attempts", "last_status_code", "created_at",
                    "next_attempt_at", "delivered_at")
    list_filter = ("status", "event_type")
    search_fields = ("event_id",)
    actions = ["redeliver"]
    readonly_fields = ("endpoint", "event_id", "event_type", "payload", "attempts", "next_attempt_at", "status",
                       "last_status_code", "last_error", "request_excerpt", "response_excerpt", "created_at",
                       "last_attempt_at", "delivered_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("endpoint")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again now"))
    def redeliver(self, request, queryset):
        from core.webhooks import redeliver

        for delivery in queryset:
            redeliver(delivery)
        messages.success(request, _("Queued again: %(n)s.") % {"n": queryset.count()})


# --- the outbox: what was sent, what waits, what failed for good ----------------------------------

from core.models import OutboxMessage, WebhookAttempt  # noqa: E402


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "duration_ms", "status_code", "error", "response_excerpt")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


WebhookDeliveryAdmin.inlines = [WebhookAttemptInline]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(TenantScopedAdmin):
    """Outbound e-mails, pages and digests; ``dead`` ones failed for good and can be sent again."""

    list_display = ("created_at", "handler", "recipient", "status", "attempts", "next_attempt_at", "sent_at",
                    "last_error")
    list_filter = ("status", "handler")
    search_fields = ("recipient", "message_id", "dedupe_key")
    actions = ["requeue"]
    readonly_fields = ("handler", "recipient", "payload", "dedupe_key", "message_id", "priority", "status",
                       "attempts", "next_attempt_at", "last_error", "created_at", "sent_at")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again now"))
    def requeue(self, request, queryset):
        from core.outbox import requeue

        count = requeue(queryset)
        messages.success(request, _("Queued again: %(n)s.") % {"n": count})
