"""The tenancy resources of ``/api/v1/``: contacts and webhook endpoints with their deliveries."""
from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core import webhooks
from core.models import (
    Contact,
    Membership,
    Organization,
    Role,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from core.rest.auth import is_admin
from core.rest.fields import TenantPrimaryKeyField
from core.rest.filters import IdFilter, StrictFilterSet, UpdatedSinceFilterSet, is_id
from core.rest.permissions import AdminForWrites, IsTenantStaff
from core.rest.viewsets import ApiViewSet
from core.services import (
    contact_create,
    contact_update,
    webhook_create,
    webhook_delete,
    webhook_update,
)


class _AddressList(serializers.ListField):
    """A contact's addresses (a related manager) as a list of strings."""

    def __init__(self, value_attr: str, **kwargs):
        self.value_attr = value_attr
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return [getattr(row, self.value_attr) for row in getattr(instance, self.source).all()]


# What ``core.services.normalize_phone`` accepts, said so that a schema can state it.
PHONE_VALIDATOR = RegexValidator(r"^\+?(?:[ ()./-]*[0-9]){6,15}[ ()./-]*$",
                                 message=gettext_lazy("Use 6–15 digits, optionally with a leading +."))


class ContactSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Contact ID.")
    organization = TenantPrimaryKeyField(Organization, help_text="ID of the contact's organization.")
    name = serializers.CharField(max_length=200, help_text="Full name.")
    emails = _AddressList("email", child=serializers.EmailField(), required=False, max_length=20,
                          help_text="E-mail addresses; each identifies one contact in the tenant.")
    phones = _AddressList("number", child=serializers.CharField(max_length=40, validators=[PHONE_VALIDATOR]),
                          required=False, max_length=20,
                          help_text="Phone numbers: 6–15 digits, an optional leading +, spaces, dots, dashes "
                                    "and brackets between them; stored as digits with the +.")
    can_file_tickets = serializers.BooleanField(
        required=False, default=True,
        help_text="Authorised to file tickets; tickets from others wait in triage.")
    has_portal_login = serializers.SerializerMethodField(help_text="Whether the contact can log in to the portal.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When the contact was created.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = Contact
        fields = ["id", "organization", "name", "emails", "phones", "can_file_tickets", "has_portal_login",
                  "created_at", "updated_at"]

    def get_has_portal_login(self, obj) -> bool:
        return obj.user_id is not None

class ContactUpdateSerializer(ContactSerializer):
    organization = serializers.PrimaryKeyRelatedField(read_only=True, help_text="ID of the contact's organization.")


class ContactFilter(UpdatedSinceFilterSet):
    organization = IdFilter(field_name="organization_id", help_text="Organization ID.")
    email = django_filters.CharFilter(field_name="emails__email", lookup_expr="iexact",
                                      help_text="One of the contact's e-mail addresses.")

    class Meta:
        model = Contact
        fields = ["organization", "email", "updated_since"]


@extend_schema_view(
    list=extend_schema(summary="List contacts", description="Filter by `organization`, `email`, `updated_since`."),
    retrieve=extend_schema(summary="Read a contact"),
    create=extend_schema(summary="Create a contact", examples=[OpenApiExample(
        "New contact", request_only=True,
        value={"organization": 12, "name": "Paweł Nowicki", "emails": ["pawel@novahurt.example.com"],
               "phones": ["+48 555 100 201"], "can_file_tickets": True})]),
    partial_update=extend_schema(summary="Change a contact", request=ContactUpdateSerializer,
                                 description="`emails`/`phones` replace the whole list when given."),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, ApiViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        return Contact.objects.for_tenant(self.tenant).prefetch_related("emails", "phones")

    def get_serializer_class(self):
        return ContactUpdateSerializer if self.action == "partial_update" else ContactSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = contact_create(
            tenant=self.tenant, organization=data["organization"], name=data["name"], emails=data.get("emails", ()),
            phones=data.get("phones", ()), can_file_tickets=data.get("can_file_tickets", True), actor=self.actor)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("organization", None)
        serializer.instance = contact_update(tenant=self.tenant, contact=serializer.instance, actor=self.actor,
                                             **data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        instance = self.get_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        instance = self.get_queryset().get(pk=self.kwargs["pk"])
        response.data = self.get_serializer(instance).data
        return response


# --- staff -------------------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text=(
        "Membership ID: the value of `assignee` on tickets and `agent` on time entries."))
    user = serializers.IntegerField(source="user_id", read_only=True, help_text=(
        "User ID: the value of `author.user` on messages (one person has one user ID in every tenant)."))
    name = serializers.SerializerMethodField(help_text="Full name (the login when no name is set).")
    email = serializers.EmailField(source="user.email", read_only=True, help_text="E-mail address.")
    role = serializers.ChoiceField(choices=Role.choices, read_only=True,
                                   help_text="`agent`, `admin` or `viewer` (read only).")
    active = serializers.BooleanField(source="user.is_active", read_only=True,
                                      help_text="False: the login is disabled (kept for history).")
    on_call = serializers.BooleanField(read_only=True, help_text="Paged at once for critical tickets.")

    class Meta:
        model = Membership
        fields = ["id", "user", "name", "email", "role", "active", "on_call"]

    def get_name(self, obj) -> str:
        return obj.user.get_full_name() or obj.user.get_username()


class MemberFilter(StrictFilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices, help_text="Only this role.")
    user = IdFilter(field_name="user_id", help_text="User ID (e.g. a message's `author.user`).")
    email = django_filters.CharFilter(field_name="user__email", lookup_expr="iexact", help_text="E-mail address.")

    class Meta:
        model = Membership
        fields = ["role", "user", "email"]


@extend_schema_view(
    list=extend_schema(summary="List staff members", description=(
        "The tenant's agents and admins, to resolve the IDs other resources carry: `id` is what tickets "
        "(`assignee`) and time entries (`agent`) hold, `user` is what messages (`author.user`) hold. "
        "Filter by `role`, `user` or `email`.")),
    retrieve=extend_schema(summary="Read a staff member"),
)
class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return Membership.objects.for_tenant(self.tenant).select_related("user")


# --- webhooks --------------------------------------------------------------------------------------


# The URLs the schema promises to take: http(s), a host name of up to four labels, a port, a path. What
# such a URL reaches is the outbound policy's to judge (``core.outbound``): a rule, so a 422.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?"
WEBHOOK_URL_VALIDATOR = RegexValidator(
    rf"^https?://(?:{_LABEL}(?:\.{_LABEL}){{0,2}}\.[a-zA-Z]{{2,30}}|localhost|{_OCTET}(?:\.{_OCTET}){{3}})"
    r"(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$",
    message=gettext_lazy("Enter a valid URL."))


class WebhookEndpointSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Endpoint ID.")
    url = serializers.URLField(max_length=500, validators=[WEBHOOK_URL_VALIDATOR], help_text=(
        "Where events are POSTed: an http or https URL with a host name (an address that resolves to a "
        "private, loopback or link-local network is refused with a 422)."))
    description = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        help_text="What receives the events.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=webhooks.EVENTS), min_length=1,
                                   max_length=len(webhooks.EVENTS), help_text="Event types sent to this URL.")
    active = serializers.BooleanField(required=False, default=True,
                                      help_text="Inactive endpoints get nothing; set true to re-enable.")
    failure_count = serializers.IntegerField(read_only=True, help_text="Failed attempts in a row.")
    disabled_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                            help_text="When it was disabled after failing for over 24 h.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was created.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "failure_count", "disabled_at",
                  "created_at", "updated_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text=(
        "Signing secret (`whsec_<base64>`), shown only in this response. Deliveries are signed per "
        "Standard Webhooks: verify them with an official library (e.g. `standardwebhooks` on PyPI or npm: "
        "`Webhook(secret).verify(body, headers)`), or by hand: `webhook-signature` = `v1,` + "
        "base64(HMAC-SHA256(base64-decoded part after `whsec_`, `{webhook-id}.{webhook-timestamp}.{body}`))."))

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(read_only=True, help_text="1 for the first attempt, 2 for the next…")
    started_at = serializers.DateTimeField(read_only=True, help_text="When the request was sent.")
    duration_ms = serializers.IntegerField(read_only=True, help_text="How long the receiver took, milliseconds.")
    status_code = serializers.IntegerField(read_only=True, allow_null=True,
                                           help_text="HTTP status of the response (null: no response).")
    error = serializers.CharField(read_only=True, help_text="Why the attempt failed; empty when it succeeded.")
    request_excerpt = serializers.CharField(read_only=True, help_text="The request (headers, body start).")
    response_excerpt = serializers.CharField(read_only=True, help_text="The start of the response body.")

    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error", "request_excerpt",
                  "response_excerpt"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Delivery ID.")
    event_id = serializers.CharField(read_only=True, help_text="The `webhook-id` header: same on every attempt.")
    event_type = serializers.CharField(read_only=True, help_text="Event type, e.g. `ticket.created`.")
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, read_only=True,
                                     help_text="pending (attempts left), succeeded, failed (gave up).")
    attempts = serializers.IntegerField(read_only=True, help_text="Attempts made so far.")
    next_attempt_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Next retry, if any.")
    last_status_code = serializers.IntegerField(read_only=True, allow_null=True,
                                                help_text="HTTP status of the last attempt (null: no response).")
    last_error = serializers.CharField(read_only=True, help_text="Why the last attempt failed.")
    request_excerpt = serializers.CharField(read_only=True, help_text="The last request (headers, body start).")
    response_excerpt = serializers.SerializerMethodField(help_text=(
        "The start of the last response body (at most 256 bytes); shown to tenant admins only, empty "
        "for agents."))
    payload = serializers.JSONField(read_only=True, help_text="The body sent: `{id, type, timestamp, data}`.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When the event happened.")
    last_attempt_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Last attempt.")
    delivered_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When it was accepted.")
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True,
                                           help_text="Every attempt, oldest first, each with its outcome.")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event_id", "event_type", "status", "attempts", "next_attempt_at", "last_status_code",
                  "last_error", "request_excerpt", "response_excerpt", "payload", "created_at", "last_attempt_at",
                  "delivered_at", "attempt_log"]

    def get_response_excerpt(self, obj) -> str:
        request = self.context.get("request")
        return obj.response_excerpt if request is not None and is_admin(request) else ""


class WebhookDeliveryFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices, help_text="Delivery status.")
    event_type = django_filters.ChoiceFilter(choices=[(e, e) for e in webhooks.EVENTS], help_text="Event type.")

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event_type"]


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints"),
    retrieve=extend_schema(summary="Read a webhook endpoint"),
    create=extend_schema(summary="Add a webhook endpoint (admin)", responses={201: WebhookEndpointCreatedSerializer},
                         examples=[OpenApiExample("Ticket events", request_only=True, value={
                             "url": "https://crm.example.com/hooks/helpdesk",
                             "events": ["ticket.created", "ticket.updated", "ticket.message_added"]})]),
    partial_update=extend_schema(summary="Change a webhook endpoint (admin)"),
    destroy=extend_schema(summary="Delete a webhook endpoint (admin)"),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                             mixins.UpdateModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsTenantStaff, AdminForWrites]
    filterset_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return WebhookEndpoint.objects.for_tenant(self.tenant)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = webhook_create(tenant=self.tenant, actor=self.actor, **serializer.validated_data)
        data = WebhookEndpointCreatedSerializer(endpoint).data
        data["secret"] = secret
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = webhook_update(tenant=self.tenant, endpoint=serializer.instance, actor=self.actor,
                                             **serializer.validated_data)

    def perform_destroy(self, instance):
        webhook_delete(tenant=self.tenant, endpoint=instance, actor=self.actor)

    @extend_schema(summary="List the deliveries of an endpoint", responses=WebhookDeliverySerializer(many=True),
                   filters=False, parameters=[
                       OpenApiParameter("status", str, enum=WebhookDelivery.Status.values,
                                        description="Delivery status."),
                       OpenApiParameter("event_type", str, enum=list(webhooks.EVENTS), description="Event type.")])
    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer, filterset_class=None)
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        filterset = WebhookDeliveryFilter(
            request.query_params, queryset=WebhookDelivery.objects.for_tenant(self.tenant).filter(endpoint=endpoint)
            .prefetch_related("attempt_log"))
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        queryset = filterset.qs
        page = self.paginate_queryset(queryset.order_by("-id"))
        return self.get_paginated_response(
            WebhookDeliverySerializer(page, many=True, context={"request": request}).data)

    @extend_schema(summary="Send a delivery again now (admin)", request=None,
                   parameters=[OpenApiParameter("delivery_id", int, OpenApiParameter.PATH,
                                                description="Delivery ID.")],
                   responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[^/]+)/redeliver",
            serializer_class=WebhookDeliverySerializer, filterset_class=None, pagination_class=None)
    def redeliver(self, request, pk=None, delivery_id=None):
        endpoint = self.get_object()
        if not is_id(delivery_id):
            raise exceptions.NotFound()
        delivery = self.get_object_or_404(WebhookDelivery.objects.for_tenant(self.tenant).filter(endpoint=endpoint),
                                          pk=delivery_id)
        delivery = webhooks.redeliver(delivery)
        return Response(WebhookDeliverySerializer(delivery, context={"request": request}).data,
                        status=status.HTTP_202_ACCEPTED)
