"""The operators' admin of second-factor devices: list and delete (a lost phone); never the key."""
from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.models import SecondFactorDevice

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(SecondFactorDevice)
class SecondFactorDeviceAdmin(admin.ModelAdmin):
    list_display = ("owner", "is_confirmed", "last_used")
    search_fields = ("user__username", "user__email")
    fields = ("owner", "is_confirmed", "last_used")
    readonly_fields = fields

    @admin.display(description=_("person"))
    def owner(self, obj):
        return obj.user.get_full_name() or obj.user.get_username()

    @admin.display(description=_("confirmed"), boolean=True)
    def is_confirmed(self, obj):
        return obj.confirmed

    @admin.display(description=_("last used"))
    def last_used(self, obj):
        return obj.last_used_at

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
