"""Who may open the settings: the tenant admins of the request's tenant, nobody else."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


def tenant_admin_required(view):
    """Anonymous users go to the login page; anyone but a tenant admin of this tenant gets a 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = getattr(request, "membership", None)
        if request.tenant is None or membership is None or not membership.is_admin:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
