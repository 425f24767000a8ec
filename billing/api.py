"""REST API of billing: time entries, hour packages, monthly usage and statements (JSON, CSV, PDF)."""
from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import django_filters
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.response import Response

from billing.models import Package, Quote, Statement, TimeEntry
from billing.selectors import organization_usage
from billing.services import package_purchase, time_entry_log
from billing.statements import statement_build, statement_csv, statement_pdf
from core.models import Membership, Organization
from core.rest.fields import BoundedDateField, BoundedDateTimeField, TenantPrimaryKeyField
from core.rest.filters import IdFilter, UpdatedSinceFilterSet, is_id
from core.rest.permissions import AdminForWrites, IsTenantStaff
from core.rest.viewsets import ApiViewSet, local_today
from plans.models import WorkKind
from tickets.models import Ticket

# Years 1900–2199, ASCII digits: the schema's pattern is exactly what the API accepts.
MONTH_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])$"
MONTH_RE = re.compile(MONTH_PATTERN)


def parse_month(value: str | None, *, field: str = "month") -> date:
    match = MONTH_RE.match(value or "")
    if not match or not 1900 <= int(match.group(1)) <= 2199:
        raise exceptions.ValidationError({field: [_("Use YYYY-MM, e.g. 2026-11.")]})
    return date(int(match.group(1)), int(match.group(2)), 1)


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


# --- time entries ----------------------------------------------------------------------------------


class TimeEntrySerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Time entry ID.")
    ticket = TenantPrimaryKeyField(Ticket, help_text="Ticket ID.")
    organization = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Organization ID (the ticket's).")
    agent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                               help_text="Staff member (membership) who did the work.")
    kind = serializers.ChoiceField(choices=WorkKind.choices, help_text="Kind of work.")
    started_at = BoundedDateTimeField(help_text="When the work started.")
    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, help_text="Actual minutes.")
    billed_minutes = serializers.IntegerField(read_only=True, help_text="Minutes after the plan's rounding.")
    deducted_minutes = serializers.IntegerField(read_only=True, help_text="Minutes taken from the pool.")
    overage_minutes = serializers.IntegerField(read_only=True, help_text="Billable minutes beyond the pools.")
    pool = serializers.ChoiceField(choices=TimeEntry.Pool.choices, read_only=True, help_text="Pool drawn on.")
    package = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text="Package drawn on.")
    amount_net = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True,
                                          help_text="Billable amount, net.")
    emergency = serializers.BooleanField(required=False, default=False,
                                         help_text="Recorded as told; pricing follows `after_hours`.")
    after_hours = serializers.BooleanField(read_only=True, help_text=(
        "After hours: computed from the start and the plan's service calendar, unless overridden."))
    after_hours_override = serializers.BooleanField(required=False, allow_null=True, default=None, help_text=(
        "Set after hours by hand (true/false) instead of computing it; needs `after_hours_reason`."))
    after_hours_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                               help_text="Why after hours was overridden (audited).")
    quote = TenantPrimaryKeyField(Quote, required=False, allow_null=True, default=None,
                                  help_text="Accepted quote of the ticket the work is billed by.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="What was done.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was logged.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = TimeEntry
        fields = ["id", "ticket", "organization", "agent", "kind", "started_at", "minutes", "billed_minutes",
                  "deducted_minutes", "overage_minutes", "pool", "package", "amount_net", "emergency", "after_hours",
                  "after_hours_override", "after_hours_reason", "quote", "note", "created_at", "updated_at"]


class TimeEntryFilter(UpdatedSinceFilterSet):
    organization = IdFilter(field_name="organization_id", help_text="Organization ID.")
    ticket = IdFilter(field_name="ticket_id", help_text="Ticket ID.")

    class Meta:
        model = TimeEntry
        fields = ["organization", "ticket", "updated_since"]


@extend_schema_view(
    list=extend_schema(summary="List time entries"),
    retrieve=extend_schema(summary="Read a time entry"),
    create=extend_schema(summary="Log time on a ticket", examples=[OpenApiExample(
        "Phone call", request_only=True,
        value={"ticket": 120, "kind": "phone", "started_at": "2026-11-20T10:00:00+01:00", "minutes": 20})]),
)
class TimeEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    serializer_class = TimeEntrySerializer
    filterset_class = TimeEntryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TimeEntry.objects.none()
        return TimeEntry.objects.for_tenant(self.tenant)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = self.actor
        agent = (Membership.objects.for_tenant(self.tenant).filter(user=actor).first()
                 if actor is not None else None)
        entry = time_entry_log(tenant=self.tenant, ticket=data["ticket"], agent=agent, kind=data["kind"],
                               started_at=data["started_at"], minutes=data["minutes"], note=data.get("note", ""),
                               emergency=data.get("emergency", False), actor=actor,
                               after_hours_override=data.get("after_hours_override"),
                               after_hours_reason=data.get("after_hours_reason", ""), quote=data.get("quote"))
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)


# --- packages --------------------------------------------------------------------------------------


class PackageSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Package ID.")
    organization = TenantPrimaryKeyField(Organization, help_text="Organization ID.")
    hours = serializers.SerializerMethodField(help_text="Size in hours.")
    minutes = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000,
                                       help_text="Size in minutes; default: the plan's package size.")
    purchased_on = BoundedDateField(required=False, help_text="Purchase day; default today.")
    valid_until = serializers.DateField(read_only=True, help_text="Last day it can be used.")
    hours_left = serializers.SerializerMethodField(help_text="Hours left.")
    minutes_left = serializers.IntegerField(read_only=True, help_text="Minutes left.")
    debt_minutes = serializers.IntegerField(read_only=True, help_text="Earlier debt paid off from it, minutes.")
    price_net = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, min_value=Decimal("0"),
                                         help_text="Price, net; default: the plan's price.")
    status = serializers.ChoiceField(choices=Package.Status.choices, read_only=True,
                                     help_text="active, exhausted (used up) or expired.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was recorded.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = Package
        fields = ["id", "organization", "hours", "minutes", "purchased_on", "valid_until", "hours_left",
                  "minutes_left", "debt_minutes", "price_net", "status", "created_at", "updated_at"]

    def get_hours(self, obj) -> Decimal:
        return _hours(obj.minutes)

    def get_hours_left(self, obj) -> Decimal:
        return _hours(obj.minutes_left)


class PackageFilter(UpdatedSinceFilterSet):
    organization = IdFilter(field_name="organization_id", help_text="Organization ID.")
    status = django_filters.ChoiceFilter(choices=Package.Status.choices, help_text="Package status.")

    class Meta:
        model = Package
        fields = ["organization", "status", "updated_since"]


@extend_schema_view(
    list=extend_schema(summary="List hour packages"),
    retrieve=extend_schema(summary="Read an hour package"),
    create=extend_schema(summary="Record a bought hour package (admin)", description=(
        "Sets a price, so it is a tenant admin's: an agent token gets 403."), examples=[OpenApiExample(
        "Plan's default package", request_only=True, value={"organization": 14, "purchased_on": "2026-11-05"})]),
)
class PackageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    serializer_class = PackageSerializer
    permission_classes = [IsTenantStaff, AdminForWrites]
    filterset_class = PackageFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Package.objects.none()
        return Package.objects.for_tenant(self.tenant)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        package = package_purchase(tenant=self.tenant, organization=data["organization"],
                                   purchased_on=data.get("purchased_on") or local_today(self.tenant),
                                   minutes=data.get("minutes"), price_net=data.get("price_net"), actor=self.actor)
        return Response(self.get_serializer(package).data, status=status.HTTP_201_CREATED)


# --- usage and statements --------------------------------------------------------------------------


class PackageUsageSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Package ID.")
    minutes = serializers.IntegerField(help_text="Size in minutes.")
    minutes_left = serializers.IntegerField(help_text="Minutes left.")
    debt_minutes = serializers.IntegerField(help_text="Earlier debt paid off from it.")
    purchased_on = serializers.DateField(help_text="Purchase day.")
    valid_until = serializers.DateField(help_text="Last valid day.")
    status = serializers.ChoiceField(choices=Package.Status.choices, help_text="Status.")


class UsageAlertSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="allowance_80/100, email_limit_80/100, package_80/100.")
    message = serializers.CharField(help_text="The alert in words.")
    package_id = serializers.IntegerField(allow_null=True, help_text="The package concerned, if any.")


class UsageSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    plan_code = serializers.CharField(allow_null=True, help_text="Plan in force on the 1st.")
    included_minutes = serializers.IntegerField(help_text="Included minutes of the month.")
    included_unlimited = serializers.BooleanField(help_text="Unlimited work in service hours.")
    used_minutes = serializers.IntegerField(help_text="Minutes drawn from the allowance.")
    remaining_minutes = serializers.IntegerField(help_text="Allowance left.")
    overage_minutes = serializers.IntegerField(help_text="Billable minutes beyond the pools.")
    overage_net = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Their amount, net.")
    email_limit_minutes = serializers.IntegerField(allow_null=True, help_text="Guaranteed e-mail support limit.")
    email_used_minutes = serializers.IntegerField(help_text="Of which used.")
    package_debt_minutes = serializers.IntegerField(help_text="Work beyond the packages, to be paid off.")
    packages = PackageUsageSerializer(many=True, help_text="Packages valid in the month or still active.")
    alerts = UsageAlertSerializer(many=True, help_text="80 % and 100 % alerts.")


class UsageViewSet(ApiViewSet):
    # One object (the month's usage), though it is served on the collection route.
    single_object = True
    pagination_class = None
    filter_backends = []
    serializer_class = UsageSerializer

    @extend_schema(summary="Usage of an organization in a month", responses=UsageSerializer,
                   description="One object: the month's allowance and what was drawn from it, overage, the "
                               "e-mail support limit, the hour packages and the 80 %/100 % alerts.", parameters=[
        OpenApiParameter("organization_id", int, OpenApiParameter.PATH, description="Organization ID."),
        OpenApiParameter("month", str, required=False, pattern=MONTH_PATTERN,
                         description="YYYY-MM; default the current month.")])
    def list(self, request, organization_id=None):
        organization = _organization(self, organization_id)
        raw = request.query_params.get("month")
        month = parse_month(raw) if raw is not None else local_today(self.tenant).replace(day=1)
        usage = organization_usage(tenant=self.tenant, organization=organization, month=month)
        return Response(UsageSerializer(usage).data)


def _organization(view: ApiViewSet, organization_id) -> Organization:
    if not is_id(organization_id):
        raise exceptions.NotFound()
    organization = Organization.objects.for_tenant(view.tenant).filter(pk=organization_id).first()
    if organization is None:
        raise exceptions.NotFound()
    return organization


class StatementLineSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="subscription, addon, package, time, after_hours or update.")
    description = serializers.CharField(help_text="Line text.")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Quantity.")
    unit = serializers.CharField(help_text="Unit.")
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Unit price, net.")
    net = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Line total, net.")


class StatementSerializer(serializers.Serializer):
    organization = serializers.IntegerField(help_text="Organization ID.")
    month = serializers.CharField(help_text="YYYY-MM.")
    lines = StatementLineSerializer(many=True, help_text="Statement lines.")
    net = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Total net.")
    vat_rate = serializers.DecimalField(max_digits=4, decimal_places=3, help_text="VAT rate, e.g. 0.230.")
    vat = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="VAT.")
    gross = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Total gross.")
    currency = serializers.CharField(help_text="ISO currency code.")
    final = serializers.BooleanField(help_text="True: the stored statement of a closed month; false: computed "
                                               "from the current data (the month is still open).")
    generated_at = serializers.DateTimeField(help_text="When it was generated (now, when not final).")


class _BytesRenderer(renderers.BaseRenderer):
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, (bytes, str)):
            return data
        return json.dumps(data, default=str).encode()  # Errors (sent as problem+json).


class CsvRenderer(_BytesRenderer):
    media_type = "text/csv"
    format = "csv"


class PdfRenderer(_BytesRenderer):
    media_type = "application/pdf"
    format = "pdf"


class _FirstRenderer(BaseContentNegotiation):
    """The document endpoints have one media type: they answer it whatever ``Accept`` says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _FormatFirst(DefaultContentNegotiation):
    """``?format=csv|pdf`` names the document: it wins over ``Accept`` (a browser or a client that
    always sends ``Accept: application/json`` still gets the file). Without it, ordinary negotiation."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        for renderer in renderers:
            if wanted and renderer.format == wanted:
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)


_STATEMENT_PARAMETERS = [
    OpenApiParameter("organization_id", int, OpenApiParameter.PATH, description="Organization ID."),
    OpenApiParameter("month", str, OpenApiParameter.PATH, pattern=MONTH_PATTERN,
                     description="YYYY-MM."),
]


class StatementViewSet(ApiViewSet):
    pagination_class = None
    filter_backends = []
    serializer_class = StatementSerializer
    renderer_classes = [renderers.JSONRenderer, CsvRenderer, PdfRenderer]
    content_negotiation_class = _FormatFirst
    lookup_field = "month"

    @extend_schema(
        summary="Statement of an organization for a month",
        description="A closed month gives its stored statement; an open month is computed from the current "
                    "data (`final: false`). The documents have their own operations (`…/csv/`, `…/pdf/`); "
                    "`?format=csv` and `?format=pdf` on this path still answer them.",
        # ?format= stays for existing callers but is left out of the schema: one operation, one content type.
        parameters=[*_STATEMENT_PARAMETERS, OpenApiParameter("format", exclude=True)],
        responses={(200, "application/json"): StatementSerializer})
    def retrieve(self, request, organization_id=None, month=None):
        organization, first, statement, final = self._statement(organization_id, month)
        kind = request.accepted_renderer.format
        if kind in ("csv", "pdf"):
            return self._document(kind, organization, first, statement)
        return Response(StatementSerializer({
            "organization": organization.pk, "month": f"{first:%Y-%m}", "lines": statement.lines,
            "net": statement.net, "vat_rate": statement.vat_rate, "vat": statement.vat, "gross": statement.gross,
            "currency": statement.currency, "final": final, "generated_at": statement.generated_at}).data)

    @extend_schema(summary="Statement as CSV", parameters=_STATEMENT_PARAMETERS,
                   description="The statement as a CSV file (UTF-8, comma-separated, a header row), an attachment.",
                   responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="csv", renderer_classes=[CsvRenderer],
            content_negotiation_class=_FirstRenderer)
    def csv(self, request, organization_id=None, month=None):
        organization, first, statement, _final = self._statement(organization_id, month)
        return self._document("csv", organization, first, statement)

    @extend_schema(summary="Statement as PDF", parameters=_STATEMENT_PARAMETERS,
                   description="The statement as a PDF document, sent as an attachment.",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="pdf", renderer_classes=[PdfRenderer],
            content_negotiation_class=_FirstRenderer)
    def pdf(self, request, organization_id=None, month=None):
        organization, first, statement, _final = self._statement(organization_id, month)
        return self._document("pdf", organization, first, statement)

    def _statement(self, organization_id, month):
        organization = _organization(self, organization_id)
        first = parse_month(month)
        statement = (Statement.objects.for_tenant(self.tenant).select_related("organization")
                     .filter(organization=organization, month=first).first())
        final = statement is not None
        if statement is None:
            data = statement_build(tenant=self.tenant, organization=organization, month=first)
            statement = Statement(tenant=self.tenant, organization=organization, month=data.month,
                                  lines=[line.as_json() for line in data.lines], net=data.totals.net,
                                  vat=data.totals.vat, gross=data.totals.gross, vat_rate=data.vat_rate,
                                  currency=data.currency, generated_at=timezone.now())
        return organization, first, statement, final

    @staticmethod
    def _document(kind: str, organization, first, statement) -> HttpResponse:
        filename = f"statement-{organization.pk}-{first:%Y-%m}"
        if kind == "csv":
            return _download(statement_csv(statement).encode(), "text/csv; charset=utf-8", f"{filename}.csv")
        return _download(statement_pdf(statement), "application/pdf", f"{filename}.pdf")


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- quotes for out-of-scope work ------------------------------------------------------------------


class QuoteSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Quote ID.")
    ticket = TenantPrimaryKeyField(Ticket, help_text="Ticket ID.")
    organization = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Organization ID (the ticket's).")
    description = serializers.CharField(max_length=500, help_text="The work quoted.")
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, required=False, allow_null=True,
                                     min_value=Decimal("0.01"), help_text="Estimated hours (with a rate).")
    rate_net = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True,
                                        min_value=Decimal("0.01"),
                                        help_text="Hourly rate, net; default: the plan's rate.")
    fixed_price_net = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True,
                                               min_value=Decimal("0.01"),
                                               help_text="Fixed price, net (instead of hours at a rate).")
    status = serializers.ChoiceField(choices=Quote.Status.choices, read_only=True,
                                     help_text="draft, sent, accepted or rejected.")
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When it was sent.")
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When the customer decided.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was prepared.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = Quote
        fields = ["id", "ticket", "organization", "description", "hours", "rate_net", "fixed_price_net", "status",
                  "sent_at", "decided_at", "created_at", "updated_at"]


class QuoteDecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text="true: the customer accepts; false: rejects.")


class QuoteFilter(UpdatedSinceFilterSet):
    ticket = IdFilter(field_name="ticket_id", help_text="Ticket ID.")
    organization = IdFilter(field_name="organization_id", help_text="Organization ID.")

    class Meta:
        model = Quote
        fields = ["ticket", "organization", "updated_since"]


@extend_schema_view(
    list=extend_schema(summary="List quotes"),
    retrieve=extend_schema(summary="Read a quote"),
    create=extend_schema(summary="Prepare a quote for out-of-scope work (a draft)"),
)
class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    serializer_class = QuoteSerializer
    filterset_class = QuoteFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Quote.objects.none()
        return Quote.objects.for_tenant(self.tenant)

    def create(self, request, *args, **kwargs):
        from billing.quotes import quote_create

        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quote = quote_create(tenant=self.tenant, ticket=data["ticket"], actor=self.actor,
                             description=data["description"], hours=data.get("hours"), rate_net=data.get("rate_net"),
                             fixed_price_net=data.get("fixed_price_net"))
        return Response(self.get_serializer(quote).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Send a quote to the customer", request=None, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        from billing.quotes import quote_send

        quote = quote_send(tenant=self.tenant, quote=self.get_object(), actor=self.actor)
        return Response(self.get_serializer(quote).data)

    @extend_schema(summary="Record the customer's decision on a sent quote", request=QuoteDecisionSerializer,
                   responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        from billing.quotes import quote_decide

        quote = self.get_object()  # another tenant's quote is a 404 before the body is looked at
        decision = QuoteDecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        quote = quote_decide(tenant=self.tenant, quote=quote, accept=decision.validated_data["accept"],
                             actor=self.actor)
        return Response(self.get_serializer(quote).data)


# --- the yearly update fee (RULES 6.5) --------------------------------------------------------------


class UpdateRunSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["charge", "credit", "adjustment"], help_text=(
        "charge: months without OPIEKA charged; credit: months paid that became OPIEKA months (a "
        "re-activation); adjustment: the months paid settled at a changed update value."))
    first_month = serializers.IntegerField(help_text="First month of the run (1–12).")
    last_month = serializers.IntegerField(help_text="Last month of the run (1–12).")
    net = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Amount, net (negative: a credit).")


class UpdateChargeSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM of the statement that carries the charge.")
    months = serializers.ListField(child=serializers.IntegerField(), help_text=(
        "Months without OPIEKA charged there (empty for a credit or a settlement of earlier charges)."))
    net = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Charge, net (negative: a credit).")
    recorded = serializers.BooleanField(help_text=(
        "True: the statement was issued and this is its charge record; false: computed for an open month."))
    runs = UpdateRunSerializer(many=True, help_text="How the charge is made up: runs of months charged or credited.")


class UpdateYearSerializer(serializers.Serializer):
    organization = serializers.IntegerField(help_text="Organization ID.")
    year = serializers.IntegerField(help_text="Calendar year.")
    update_value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True, help_text=(
        "Yearly update value of the OPIEKA terms; null: no OPIEKA in the year (nothing is charged)."))
    active_months = serializers.ListField(child=serializers.IntegerField(), help_text="Months with OPIEKA.")
    inactive_months = serializers.ListField(child=serializers.IntegerField(), help_text="Months without it.")
    charges = UpdateChargeSerializer(many=True, help_text="What each statement of the year charges.")
    total = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Sum of the charges.")


class UpdateFeeViewSet(ApiViewSet):
    pagination_class = None
    filter_backends = []
    serializer_class = UpdateYearSerializer
    lookup_field = "year"

    @extend_schema(summary="Yearly update fee of an organization", responses=UpdateYearSerializer,
                   description="How the KJM yearly update fee of a year is computed: value ÷ 12 × the months "
                               "without OPIEKA, each charged once on the statement of the month it becomes "
                               "known (the first OPIEKA month for the months before it, the month of the end "
                               "for the months after it); a re-activation credits months already charged. "
                               "Issued statements are read from their charge records (`recorded`), never "
                               "charged twice; open months are computed.",
                   parameters=[OpenApiParameter("organization_id", int, OpenApiParameter.PATH,
                                                description="Organization ID."),
                               OpenApiParameter("year", {"type": "integer", "minimum": 1900, "maximum": 2199},
                                                OpenApiParameter.PATH, description="Year, e.g. 2026.")])
    def retrieve(self, request, organization_id=None, year=None):
        from billing.statements import update_year

        organization = _organization(self, organization_id)
        if not (isinstance(year, str) and year.isdigit() and 1900 <= int(year) <= 2199):
            raise exceptions.ValidationError({"year": [_("Give a year between 1900 and 2199.")]})
        summary = update_year(tenant=self.tenant, organization=organization, year=int(year))
        charges = [{"month": f"{summary.year}-{month:02d}", "net": charge.net, "recorded": charge.recorded,
                    "months": [m for run in charge.runs if run.kind == "charge" for m in run.months],
                    "runs": [{"kind": run.kind, "first_month": run.first_month, "last_month": run.last_month,
                              "net": run.amount} for run in charge.runs]}
                   for month, charge in sorted(summary.months.items())]
        return Response(UpdateYearSerializer({
            "organization": organization.pk, "year": summary.year, "update_value": summary.value,
            "active_months": list(summary.active_months), "inactive_months": list(summary.inactive_months),
            "charges": charges, "total": summary.total}).data)


__all__ = ["PackageViewSet", "QuoteViewSet", "StatementViewSet", "TimeEntryViewSet", "UpdateFeeViewSet", "UsageViewSet"]
