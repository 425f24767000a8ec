from django.contrib.admin.forms import AdminAuthenticationForm

from core.models import Membership, Role


class TenantAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's own login page admits tenant admins too (they have a membership, not is_staff)."""

    def confirm_login_allowed(self, user):
        if user.is_active and not user.is_staff and Membership.objects.filter(user=user, role=Role.ADMIN).exists():
            return
        super().confirm_login_allowed(user)
