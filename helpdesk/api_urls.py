"""``/api/v1/``: the router of every resource, the OpenAPI schema and its docs (served locally)."""
from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from appointments.api import AppointmentViewSet, SlotViewSet
from billing.api import (PackageViewSet, QuoteViewSet, StatementViewSet, TimeEntryViewSet, UpdateFeeViewSet,
                         UsageViewSet)
from core.api import ContactViewSet, MemberViewSet, WebhookEndpointViewSet
from core.rest.errors import not_found
from helpcenter.api import ArticleViewSet, SuggestionViewSet, TopicViewSet
from monitor.api import SlaPreviewViewSet
from plans.api import OrganizationViewSet, PlanViewSet, SubscriptionViewSet
from tickets.api import TicketViewSet


class ApiRouter(DefaultRouter):
    include_root_view = False
    include_format_suffixes = False


router = ApiRouter()
router.register("organizations", OrganizationViewSet, basename="api-organization")
router.register("contacts", ContactViewSet, basename="api-contact")
router.register("members", MemberViewSet, basename="api-member")
router.register("plans", PlanViewSet, basename="api-plan")
router.register("subscriptions", SubscriptionViewSet, basename="api-subscription")
router.register("tickets", TicketViewSet, basename="api-ticket")
router.register("sla/preview", SlaPreviewViewSet, basename="api-sla-preview")
router.register("webhooks", WebhookEndpointViewSet, basename="api-webhook")
router.register("time-entries", TimeEntryViewSet, basename="api-time-entry")
router.register("packages", PackageViewSet, basename="api-package")
router.register("quotes", QuoteViewSet, basename="api-quote")
# Before "appointments": its {id} route would take "slots" for an id.
router.register("appointments/slots", SlotViewSet, basename="api-appointment-slot")
router.register("appointments", AppointmentViewSet, basename="api-appointment")
router.register(r"organizations/(?P<organization_id>[^/]+)/usage", UsageViewSet, basename="api-usage")
router.register(r"organizations/(?P<organization_id>[^/]+)/statements", StatementViewSet, basename="api-statement")
router.register(r"organizations/(?P<organization_id>[^/]+)/update-fee", UpdateFeeViewSet, basename="api-update-fee")
router.register("help/articles", ArticleViewSet, basename="api-help-article")
router.register("help/topics", TopicViewSet, basename="api-help-topic")
router.register("help/suggestions", SuggestionViewSet, basename="api-help-suggestion")

# The docs pages come from drf-spectacular and show nothing but the schema. Swagger UI (the
# "split" view loads its start-up script from a URL, not inline) still needs its template's inline
# <style>; Redoc (templates/drf_spectacular/redoc.html, no inline script) styles itself with
# <style> elements and runs a worker from a blob: URL. Only these two pages get the wider policy.
DOCS_CSP = {"style-src": ["'unsafe-inline'"]}
REDOC_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", csp_update(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("redoc/", csp_update(REDOC_CSP)(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    *router.urls,
    re_path(r"^.*$", not_found),
]
