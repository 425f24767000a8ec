from django.contrib import admin

from core.admin_site import TenantScopedAdmin
from tickets.models import CannedReply, Category


@admin.register(Category)
class CategoryAdmin(TenantScopedAdmin):
    list_display = ("name", "code", "is_bug", "in_scope", "position", "active")
    list_editable = ("position", "active")


@admin.register(CannedReply)
class CannedReplyAdmin(TenantScopedAdmin):
    list_display = ("title",)
    search_fields = ("title", "body")


# --- the e-mail channel -------------------------------------------------------------------------

from django import forms  # noqa: E402
from django.contrib import messages  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.utils.html import format_html  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from tickets.models import InboundEmail, Mailbox  # noqa: E402


class MailboxForm(forms.ModelForm):
    # Write-only: the stored password is never sent back to the browser.
    new_password = forms.CharField(label=_("password"), required=False, strip=False,
                                   widget=forms.PasswordInput(render_value=False),
                                   help_text=_("Leave empty to keep the stored password."))

    class Meta:
        model = Mailbox
        fields = ("name", "host", "port", "security", "username", "new_password", "folder", "processed_folder",
                  "robot_addresses", "active")

    def clean_port(self):
        port = self.cleaned_data["port"]
        if port is not None and not 1 <= port <= 65535:
            raise forms.ValidationError(_("Give a port from 1 to 65535."))
        return port

    def clean(self):
        from core import netpolicy

        data = super().clean()
        if not self.instance.password_encrypted and not data.get("new_password"):
            self.add_error("new_password", _("Enter the mailbox password."))
        if data.get("host") and data.get("port"):
            try:
                netpolicy.check_host(data["host"], data["port"])
            except netpolicy.OutboundRefused as exc:
                self.add_error("host", str(exc))
        return data

    def save(self, commit=True):
        if self.cleaned_data.get("new_password"):
            self.instance.password = self.cleaned_data["new_password"]
        return super().save(commit)


@admin.register(Mailbox)
class MailboxAdmin(TenantScopedAdmin):
    form = MailboxForm
    list_display = ("name", "username", "host", "port", "security", "folder", "active", "last_polled_at",
                    "last_error_short")
    list_filter = ("active",)
    readonly_fields = ("last_polled_at", "last_error")
    actions = ["test_connection"]

    def get_fields(self, request, obj=None):
        return list(MailboxForm.Meta.fields) + (["last_polled_at", "last_error"] if obj else [])

    @admin.display(description=_("last error"))
    def last_error_short(self, obj):
        return (obj.last_error or "")[:80]

    @admin.action(description=_("Test the connection"))
    def test_connection(self, request, queryset):
        from tickets.email.imap import mailbox_test

        for mailbox in queryset:
            error = mailbox_test(mailbox)
            if error:
                self.message_user(request, _("%(name)s: %(error)s") % {"name": mailbox.name, "error": error},
                                  messages.ERROR)
            else:
                self.message_user(request, _("%(name)s: connection works.") % {"name": mailbox.name},
                                  messages.SUCCESS)


@admin.register(InboundEmail)
class InboundEmailAdmin(TenantScopedAdmin):
    list_display = ("received_at", "status", "from_email", "subject", "ticket", "reason_short")
    list_filter = ("status", "mailbox")
    search_fields = ("from_email", "subject", "email_message_id", "reason")
    date_hierarchy = "received_at"
    fields = ("received_at", "mailbox", "status", "reason", "from_email", "subject", "email_message_id", "ticket",
              "size", "processed_at", "original")
    readonly_fields = fields
    actions = ["retry", "discard"]
    list_select_related = ("ticket__tenant",)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # What a customer sent is never deleted from the interface; it is discarded instead.
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if super().has_change_permission(request):
            return actions
        return {}

    @admin.display(description=_("reason"))
    def reason_short(self, obj):
        return (obj.reason or "")[:80]

    @admin.display(description=_("original message"))
    def original(self, obj):
        url = reverse(f"{self.admin_site.name}:tickets_inboundemail_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a> ({} B)', url, _("download .eml"), obj.size)

    def get_urls(self):
        return [path("<int:object_id>/raw/", self.admin_site.admin_view(self.raw_view),
                     name="tickets_inboundemail_raw")] + super().get_urls()

    def raw_view(self, request, object_id):
        inbound = self.get_object(request, str(object_id))
        if inbound is None or not self.has_view_permission(request, inbound):
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, str(object_id))
        response = HttpResponse(bytes(inbound.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="inbound-{inbound.pk}.eml"'
        return response

    def _run(self, request, queryset, service, done):
        count = 0
        for inbound in queryset.select_related("tenant"):
            try:
                service(tenant=inbound.tenant, inbound=inbound, actor=request.user)
                count += 1
            except ValidationError as exc:
                self.message_user(request, f"#{inbound.pk}: {' '.join(exc.messages)}", messages.WARNING)
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Process again"))
    def retry(self, request, queryset):
        from tickets.email.inbound import inbound_retry

        self._run(request, queryset, inbound_retry, _("%(count)s message(s) processed again."))

    @admin.action(description=_("Discard"))
    def discard(self, request, queryset):
        from tickets.email.inbound import inbound_discard

        self._run(request, queryset, inbound_discard, _("%(count)s message(s) discarded."))
