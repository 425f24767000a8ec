"""Trivial views for the load bench's baseline, served only under ``bench.load.settings``.

They go through every middleware of the product (session, user, tenant, second factor, language)
and, for the API one, DRF with the API's own authentication and throttle, but do no work of their
own: the ratio of a page's requests per second to these tells how much of a request is the page.
Never part of the production URLs (``helpdesk.urls``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.rest.auth import ApiTokenAuthentication, StaffSessionAuthentication
from core.rest.permissions import IsTenantStaff
from core.rest.throttling import ApiRateThrottle
from helpdesk.urls import urlpatterns as product_urlpatterns

PAGE = "<!doctype html><html lang=pl><title>ok</title><p>{user} · {tenant}</p></html>"


@login_required
def trivial_page(request):
    tenant = getattr(request, "tenant", None)
    return HttpResponse(PAGE.format(user=request.user.pk, tenant=tenant.pk if tenant else "-"))


class TrivialApi(APIView):
    """The API's authentication, permission and throttle (those of ``core.rest.viewsets.ApiViewSet``)."""

    authentication_classes = [ApiTokenAuthentication, StaffSessionAuthentication]
    permission_classes = [IsTenantStaff]
    throttle_classes = [ApiRateThrottle]
    renderer_classes = [JSONRenderer]

    def get(self, request):
        return Response({"ok": True, "tenant": getattr(request.auth, "tenant_id", None)})


urlpatterns = [
    path("_bench/trivial/", trivial_page, name="bench_trivial_page"),
    path("api/v1/_bench/trivial/", TrivialApi.as_view(), name="bench_trivial_api"),
    *product_urlpatterns,
]
