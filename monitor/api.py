"""REST API: preview the reaction deadline a ticket would get (the logic of ``sla_deadline``)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.models import Organization
from core.rest.fields import BoundedDateTimeField, TenantPrimaryKeyField, TenantSlugField
from core.rest.viewsets import ApiViewSet
from monitor.management.commands.sla_deadline import preview
from plans.models import Plan
from tickets.models import Category, Ticket


class SlaPreviewRequestSerializer(serializers.Serializer):
    plan = TenantSlugField(Plan, help_text="Plan code, e.g. `standard`.")
    received_at = BoundedDateTimeField(help_text="When the ticket would be received (ISO 8601 with an offset).")
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, default=Ticket.Channel.EMAIL,
                                      help_text="Channel; default `email`.")
    category = TenantSlugField(Category, required=False, allow_null=True, help_text="Category code, e.g. `bug`.")
    critical = serializers.BooleanField(required=False, default=False, help_text="Reported as a critical failure.")
    organization = TenantPrimaryKeyField(Organization, required=False, allow_null=True, help_text=(
        "Organization ID: its hour packages and used e-mail limit apply."))


class SlaPreviewSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField(allow_null=True, help_text="Reaction deadline; null: no guarantee.")
    warn_at = serializers.DateTimeField(allow_null=True, help_text="When the warning would go out.")
    reason = serializers.CharField(help_text="Stable reason code, e.g. `guaranteed`, `no_reaction_time`.")
    message = serializers.CharField(help_text="The reason in words.")
    page_on_call = serializers.BooleanField(help_text="Whether the on-call staff would be paged at once.")


class SlaPreviewViewSet(ApiViewSet):
    serializer_class = SlaPreviewRequestSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(summary="Preview a reaction deadline", request=SlaPreviewRequestSerializer,
                   responses={200: SlaPreviewSerializer}, examples=[
                       OpenApiExample("Friday afternoon e-mail", request_only=True, value={
                           "plan": "standard", "received_at": "2026-11-27T16:30:00+01:00", "channel": "email"}),
                       OpenApiExample("Answer", response_only=True, value={
                           "due_at": "2026-11-30T11:30:00+01:00", "warn_at": "2026-11-30T09:30:00+01:00",
                           "reason": "guaranteed", "message": "Guaranteed reaction time of the plan…",
                           "page_on_call": False})])
    def create(self, request):
        serializer = SlaPreviewRequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        deadline = preview(tenant=self.tenant, plan=data["plan"], received=data["received_at"],
                           critical=data.get("critical", False), channel=data.get("channel", "email"),
                           category=data.get("category"), organization=data.get("organization"))
        return Response(SlaPreviewSerializer({
            "due_at": deadline.due_at, "warn_at": deadline.warn_at, "reason": deadline.reason,
            "message": deadline.message, "page_on_call": deadline.page_on_call}).data)
