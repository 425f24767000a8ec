from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.middleware import LANGUAGE_COOKIE


@login_required
def home(request):
    """Send each person to where their work is."""
    if request.membership is not None:
        return redirect("agent:queue")
    if request.contact is not None:
        return redirect("portal:ticket_list")
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "helpdesk/no_access.html", status=403)


@require_POST
def language_set(request):
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in {code for code, _name in settings.LANGUAGES}:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=request.is_secure(), httponly=True)
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
    return response
