"""What every help center page needs: the tenant (from the host or the login), the viewer, the language."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.utils.translation import get_language

from helpcenter.models import HelpCenterSettings, Viewer


def help_page(view):
    """A help center of some tenant must be resolved (host name first); else there is nothing here."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "tenant", None) is None:
            raise Http404
        request.viewer = Viewer.of(request)
        request.may_post_on_forum = may_post_on_forum(request.viewer)
        return view(request, *args, **kwargs)

    return wrapper


def may_post_on_forum(viewer: Viewer) -> bool:
    """Staff always; customers unless the tenant keeps its forum to the support team (its settings)."""
    if viewer.is_staff:
        return True
    return viewer.is_customer and (
        HelpCenterSettings.of(viewer.tenant).forum_posting != HelpCenterSettings.Posting.STAFF)


def writer_required(view):
    """Customers and staff of this tenant; anonymous visitors log in first, strangers get a 404."""

    @wraps(view)
    @help_page
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.viewer.can_write:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    @wraps(view)
    @help_page
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.viewer.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def language() -> str:
    return (get_language() or "pl")[:2]


def voter_key(request) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    if not request.session.session_key:
        request.session.save()
    return f"session:{request.session.session_key}"
