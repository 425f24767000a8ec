from django.contrib import admin

from helpdesk.admin_site import TenantScopedAdmin
from tickets.models import CannedReply, Category


@admin.register(Category)
class CategoryAdmin(TenantScopedAdmin):
    list_display = ("name", "code", "is_bug", "in_scope", "position", "active")
    list_editable = ("position", "active")


@admin.register(CannedReply)
class CannedReplyAdmin(TenantScopedAdmin):
    list_display = ("title",)
    search_fields = ("title", "body")
