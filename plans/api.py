"""REST API of plans (read; admins record new terms versions) and subscriptions."""
from __future__ import annotations

import django_filters
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from core.models import Organization
from core.rest.errors import NON_FIELD, errors_at
from core.rest.fields import BoundedDateField, TenantPrimaryKeyField, TenantSlugField
from core.rest.filters import IdFilter, UpdatedSinceFilterSet
from core.rest.permissions import AdminForWrites, IsTenantStaff
from core.rest.viewsets import ApiViewSet, local_today
from core.services import organization_create, organization_update
from plans.models import (AddonKind, Calendar, Channel, Plan, PlanTerms, Subscription, SubscriptionAddon,
                          SubscriptionChange, WorkKind)
from plans.services import (
    plan_terms_update,
    subscription_addon_add,
    subscription_cancel,
    subscription_change,
    subscription_create,
)
from plans.terms import OVERRIDABLE


_TERMS_EXCLUDE = ("id", "tenant", "plan", "version", "effective_from", "created_at", "created_by", "change_note")


class PlanTermsSerializer(serializers.ModelSerializer):
    """Every figure of a plan's terms; calendars by code."""

    service_calendar = TenantSlugField(Calendar, help_text="Code of the service-hours calendar.")
    critical_calendar = TenantSlugField(Calendar, allow_null=True, required=False,
                                        help_text="Code of the critical-failure calendar, if any.")
    included_kinds = serializers.ListField(child=serializers.ChoiceField(choices=WorkKind.choices), required=False,
                                           help_text="Kinds of work that draw on the included time.")
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False,
                                     help_text="Contact channels of the plan.")
    config_help_channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices),
                                                 required=False, help_text="Channels of configuration help.")
    products = serializers.ListField(child=serializers.CharField(max_length=40), required=False,
                                     help_text="Product codes covered; empty: all products.")
    rounding_units = serializers.DictField(child=serializers.IntegerField(min_value=1), required=False,
                                           help_text="Billing unit in minutes per kind of work, e.g. {\"phone\": 15}.")

    class Meta:
        model = PlanTerms
        exclude = _TERMS_EXCLUDE


class PlanTermsPatchSerializer(PlanTermsSerializer):
    """Only the terms that change; the rest is copied from the latest version."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


class PlanSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True, help_text="Plan code, e.g. `standard`.")
    name = serializers.CharField(read_only=True, help_text="Plan name.")
    description = serializers.CharField(read_only=True, help_text="Description.")
    active = serializers.BooleanField(read_only=True, help_text="Still offered to new customers.")
    terms = serializers.SerializerMethodField(help_text="The terms version in force today.")
    terms_version = serializers.SerializerMethodField(help_text="Version number of those terms.")
    terms_effective_from = serializers.SerializerMethodField(help_text="Since when those terms apply.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change of the plan.")

    class Meta:
        model = Plan
        fields = ["code", "name", "description", "active", "terms", "terms_version", "terms_effective_from",
                  "updated_at"]

    def _current(self, obj) -> PlanTerms | None:
        versions = getattr(obj, "terms_now", None)
        return versions[0] if versions else None

    @extend_schema_field(PlanTermsSerializer(allow_null=True))
    def get_terms(self, obj) -> dict | None:
        current = self._current(obj)
        return PlanTermsSerializer(current, context=self.context).data if current else None

    def get_terms_version(self, obj) -> int | None:
        current = self._current(obj)
        return current.version if current else None

    @extend_schema_field(OpenApiTypes.DATE)
    def get_terms_effective_from(self, obj):
        current = self._current(obj)
        return current.effective_from.isoformat() if current else None


class PlanTermsChangeSerializer(serializers.Serializer):
    terms = PlanTermsPatchSerializer(help_text="The terms that change; the rest stays as in the latest version.")
    terms_effective_from = BoundedDateField(help_text="The first day the new version applies.")
    change_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                        help_text="What changed and why (kept in the history).")


@extend_schema_view(
    list=extend_schema(summary="List plans", description="Each with the terms version in force today."),
    retrieve=extend_schema(summary="Read a plan"),
    partial_update=extend_schema(
        summary="Record new terms of a plan (admin)", request=PlanTermsChangeSerializer,
        description="Creates a new terms version from `terms_effective_from`; earlier versions stay. "
                    "Tickets keep the deadline fixed at receipt.",
        examples=[OpenApiExample("Faster reaction from next month", request_only=True, value={
            "terms": {"reaction_minutes": 240}, "terms_effective_from": "2026-12-01",
            "change_note": "Reaction 4 h instead of 8 h"})]),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, ApiViewSet):
    serializer_class = PlanSerializer
    permission_classes = [IsTenantStaff, AdminForWrites]
    lookup_field = "code"
    filterset_class = None
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Plan.objects.none()
        today = local_today(self.tenant)
        in_force = (PlanTerms.objects.for_tenant(self.tenant).filter(effective_from__lte=today)
                    .select_related("service_calendar", "critical_calendar").order_by("-effective_from", "-version"))
        return (Plan.objects.for_tenant(self.tenant)
                .prefetch_related(Prefetch("terms_versions", queryset=in_force, to_attr="terms_now")))

    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()
        change = PlanTermsChangeSerializer(data=request.data, context=self.get_serializer_context())
        change.is_valid(raise_exception=True)
        data = change.validated_data
        # The service names the version's fields; the request nests them under `terms`.
        with errors_at("terms", rename={"effective_from": "terms_effective_from", "plan": NON_FIELD}):
            plan_terms_update(tenant=self.tenant, plan=plan, effective_from=data["terms_effective_from"],
                              changes=dict(data["terms"]), actor=self.actor, note=data.get("change_note", ""))
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)


# --- subscriptions ---------------------------------------------------------------------------------


class AddonSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Add-on ID.")
    kind = serializers.ChoiceField(choices=AddonKind.choices, help_text="Kind of add-on.")
    calendar = TenantSlugField(Calendar, allow_null=True, required=False,
                               help_text="Code of the calendar of extended/night/non-stop hours.")
    product = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                    help_text="Product code (extra product add-on).")
    price_net = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, min_value=0,
                                         help_text="Monthly price, net.")
    effective_from = serializers.DateField(read_only=True, help_text="The first day of the first month it applies to.")
    ends_on = serializers.DateField(read_only=True, allow_null=True, help_text=(
        "The last day of the last month it applies to; null: no end."))

    class Meta:
        model = SubscriptionAddon
        fields = ["id", "kind", "calendar", "product", "price_net", "effective_from", "ends_on"]


class SubscriptionOverridesSerializer(PlanTermsSerializer):
    """Per-customer terms that differ from the plan: the plan terms' own fields and types, each optional.
    In a PATCH, null removes an override (JSON Merge Patch). An error names its key: `overrides.price_net`."""

    # Used for the schema and to check an `overrides` object key by key (``OverridesField``).

    schema_closed = True

    class Meta(PlanTermsSerializer.Meta):
        exclude = None
        fields = list(OVERRIDABLE)

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
            field.allow_null = True
        return fields


@extend_schema_field(SubscriptionOverridesSerializer)
class OverridesField(serializers.DictField):
    """``overrides``: checked against ``SubscriptionOverridesSerializer``; the values are kept as sent (the
    service stores them and applies its own checks on the merged result)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        errors: dict[str, list[str]] = {}
        for name in value:
            if name not in OVERRIDABLE:
                errors[name] = [_("This term cannot be set per customer.")]
        checker = SubscriptionOverridesSerializer(data={k: v for k, v in value.items() if k in OVERRIDABLE},
                                      context=self.context)
        if not checker.is_valid():
            errors.update(checker.errors)
        if errors:
            raise serializers.ValidationError(errors)
        return value


class SubscriptionChangeSerializer(serializers.ModelSerializer):
    effective_from = serializers.DateField(read_only=True, help_text="First month it applies to.")
    overrides = serializers.DictField(read_only=True, help_text="Per-customer terms from that month.")
    overrides_before = serializers.DictField(read_only=True, help_text="Per-customer terms before it.")
    seats = serializers.IntegerField(read_only=True, allow_null=True, help_text="Seats the price was agreed for.")
    note = serializers.CharField(read_only=True, help_text="Why it changed.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was recorded.")

    class Meta:
        model = SubscriptionChange
        fields = ["effective_from", "overrides", "overrides_before", "seats", "note", "created_at"]


class SubscriptionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Subscription ID.")
    organization = TenantPrimaryKeyField(Organization, help_text="Organization ID.")
    plan = TenantSlugField(Plan, help_text="Plan code.")
    starts_on = BoundedDateField(required=False, help_text=(
        "First day; default: the earliest the rules allow (a change of plan starts on the 1st of next month)."))
    ends_on = serializers.DateField(read_only=True, allow_null=True, help_text="Last day, if it ends.")
    accepted_on = BoundedDateField(required=False, help_text="When the order was accepted; default today.")
    notice_given_on = serializers.DateField(read_only=True, allow_null=True, help_text="When notice was given.")
    overrides = OverridesField(required=False, help_text=(
        "Per-customer terms that differ from the plan; keys: " + ", ".join(OVERRIDABLE) + "."))
    addons = AddonSerializer(many=True, required=False, help_text=(
        "Add-ons (extended hours, extra products), each applying from `effective_from` through `ends_on`: "
        "the ones that ended stay listed (the history). On create they start with the subscription."))
    changes = SubscriptionChangeSerializer(many=True, read_only=True, help_text=(
        "Dated changes of the per-customer terms, oldest first: each applies from its `effective_from`."))
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was created.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = Subscription
        fields = ["id", "organization", "plan", "starts_on", "ends_on", "accepted_on", "notice_given_on",
                  "overrides", "addons", "changes", "created_at", "updated_at"]


class SubscriptionUpdateSerializer(serializers.Serializer):
    overrides = OverridesField(required=False, help_text=(
        "Changes to the per-customer terms as a JSON Merge Patch (RFC 7396): a key with a value sets that "
        "override, a key with null removes it (the plan's term applies again), absent keys stay as they are."))
    addons = AddonSerializer(many=True, required=False, help_text=(
        "Every add-on from `effective_from` on (a dated change): one equal to an add-on in force then (same "
        "kind, hours, product and price) continues, the others in force end the month before, new ones start. "
        "`[]` removes them all."))
    effective_from = BoundedDateField(required=False, help_text=(
        "With `overrides` or `addons`: the first day of the month the change applies from (default: the 1st "
        "of next month). A month whose statement was issued cannot be changed."))
    seats = serializers.IntegerField(required=False, min_value=1, max_value=100_000, help_text=(
        "With `overrides` or `addons`: the number of seats the new terms were agreed for."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, help_text=(
        "With `overrides` or `addons`: why the terms change (kept in the history)."))
    notice_given_on = BoundedDateField(required=False, help_text="Cancel: the day notice was given.")
    ends_on = BoundedDateField(required=False, help_text=(
        "Cancel: the last day (default: the earliest allowed by the notice period and minimum term)."))

    def validate(self, attrs):
        if "ends_on" in attrs and "notice_given_on" not in attrs:
            # A rule between two optional fields: a 422 (the schema cannot say it), keyed by the missing one.
            raise serializers.ValidationError({"notice_given_on": [_("Give the day notice was given.")]}, code="rule")
        if not attrs:
            raise serializers.ValidationError(_("Give overrides or notice_given_on."), code="rule")
        for name in ("effective_from", "seats", "note"):
            if name in attrs and "overrides" not in attrs and "addons" not in attrs:
                raise serializers.ValidationError({name: [_("Give it with overrides or addons.")]}, code="rule")
        return attrs


class SubscriptionFilter(UpdatedSinceFilterSet):
    organization = IdFilter(field_name="organization_id", help_text="Organization ID.")
    plan = django_filters.CharFilter(field_name="plan__code", help_text="Plan code.")

    class Meta:
        model = Subscription
        fields = ["organization", "plan", "updated_since"]


@extend_schema_view(
    list=extend_schema(summary="List subscriptions"),
    retrieve=extend_schema(summary="Read a subscription"),
    create=extend_schema(summary="Put an organization on a plan (admin)", examples=[OpenApiExample(
        "STANDARD from next month", request_only=True,
        value={"organization": 12, "plan": "standard", "accepted_on": "2026-11-20"})]),
    partial_update=extend_schema(summary="Change overrides or add-ons, or cancel (admin)",
                                 request=SubscriptionUpdateSerializer,
                                 description="`overrides` is merged into the per-customer terms (JSON Merge "
                                             "Patch, RFC 7396: null removes an override, absent keys stay); "
                                             "`addons` lists the add-ons from `effective_from` on; "
                                             "`notice_given_on` (and optionally `ends_on`) cancels under the "
                                             "notice rules. Contract terms: an agent token gets 403."),
)
class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          mixins.UpdateModelMixin, ApiViewSet):
    """Contracts: every staff member reads them, only tenant admins change them."""

    serializer_class = SubscriptionSerializer
    permission_classes = [IsTenantStaff, AdminForWrites]
    filterset_class = SubscriptionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        return (Subscription.objects.for_tenant(self.tenant).select_related("plan")
                .prefetch_related(Prefetch("addons", queryset=SubscriptionAddon.objects.select_related("calendar")),
                                  Prefetch("changes", queryset=SubscriptionChange.objects.order_by("effective_from"))))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            subscription = subscription_create(
                tenant=self.tenant, organization=data["organization"], plan=data["plan"],
                accepted_on=data.get("accepted_on") or local_today(self.tenant), starts_on=data.get("starts_on"),
                overrides=data.get("overrides") or {}, actor=self.actor)
            # One add-on at a time, so that an error names the add-on: `addons[1].calendar`.
            for index, addon in enumerate(data.get("addons", [])):
                with errors_at(f"addons[{index}]"):
                    subscription_addon_add(tenant=self.tenant, subscription=subscription, actor=self.actor,
                                           **dict(addon))
        return Response(self.get_serializer(self.get_queryset().get(pk=subscription.pk)).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        change = SubscriptionUpdateSerializer(data=request.data, context=self.get_serializer_context())
        change.is_valid(raise_exception=True)
        data = change.validated_data
        with transaction.atomic():
            if "overrides" in data or "addons" in data:
                # JSON Merge Patch (RFC 7396) of the overrides, on the row as it is now.
                current = Subscription.objects.select_for_update().get(pk=subscription.pk)
                merged = None
                if "overrides" in data:
                    merged = {**current.overrides, **data["overrides"]}
                    merged = {name: value for name, value in merged.items() if value is not None}
                addons = [dict(addon) for addon in data["addons"]] if "addons" in data else None
                subscription = subscription_change(tenant=self.tenant, subscription=current, overrides=merged,
                                                   addons=addons, actor=self.actor,
                                                   effective_from=data.get("effective_from"),
                                                   seats=data.get("seats"), note=data.get("note", ""))
            if "notice_given_on" in data:
                subscription = subscription_cancel(tenant=self.tenant, subscription=subscription,
                                                   notice_given_on=data["notice_given_on"],
                                                   ends_on=data.get("ends_on"), actor=self.actor)
        return Response(self.get_serializer(self.get_queryset().get(pk=subscription.pk)).data)


# --- organizations (with the plan they are on) ---------------------------------------------------


# --- organizations ---------------------------------------------------------------------------------


class OrganizationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Organization ID.")
    name = serializers.CharField(max_length=200, help_text="Company name.")
    external_id = serializers.CharField(max_length=100, allow_null=True, required=False,
                                        help_text="The organization's ID in your CRM; unique in the tenant.")
    tax_id = serializers.CharField(max_length=32, allow_blank=True, required=False, help_text="Tax ID (NIP).")
    notes = serializers.CharField(allow_blank=True, required=False, help_text="Internal notes.")
    plan = serializers.SerializerMethodField(help_text="Code of the plan in force today.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When the organization was created.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = Organization
        fields = ["id", "name", "external_id", "tax_id", "notes", "plan", "created_at", "updated_at"]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_plan(self, obj) -> str | None:
        current = getattr(obj, "current_subscriptions", None)
        if current:
            return current[0].plan.code
        return self.context.get("default_plan_code")


class OrganizationFilter(UpdatedSinceFilterSet):
    external_id = django_filters.CharFilter(help_text="The organization's ID in your CRM.")
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        model = Organization
        fields = ["external_id", "name", "updated_since"]


@extend_schema_view(
    list=extend_schema(summary="List organizations", description="Filter with `external_id` or `updated_since`."),
    retrieve=extend_schema(summary="Read an organization"),
    create=extend_schema(summary="Create an organization", examples=[OpenApiExample(
        "New customer", request_only=True,
        value={"name": "Nova Hurt sp. z o.o.", "external_id": "CRM-1042", "tax_id": "5250000002"})]),
    partial_update=extend_schema(summary="Change an organization"),
)
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          mixins.UpdateModelMixin, ApiViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        today = local_today(self.tenant)
        current = (Subscription.objects.for_tenant(self.tenant).filter(starts_on__lte=today)
                   .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).select_related("plan")
                   .order_by("-starts_on"))
        return (Organization.objects.for_tenant(self.tenant)
                .prefetch_related(Prefetch("subscriptions", queryset=current, to_attr="current_subscriptions")))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        tenant = self.tenant
        context["default_plan_code"] = tenant.default_plan.code if tenant.default_plan_id else None
        return context

    def perform_create(self, serializer):
        serializer.instance = organization_create(tenant=self.tenant, actor=self.actor, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = organization_update(tenant=self.tenant, organization=serializer.instance,
                                                  actor=self.actor, **serializer.validated_data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        instance = self.get_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)
