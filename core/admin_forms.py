from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.models import Membership, Role


class TenantAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's own login page admits tenant admins too (they have a membership, not is_staff).

    Logins are e-mail addresses, so the page asks for one, like the product's own login.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})

    def confirm_login_allowed(self, user):
        if user.is_active and not user.is_staff and Membership.objects.filter(user=user, role=Role.ADMIN).exists():
            return
        super().confirm_login_allowed(user)
