"""REST API of tickets and their messages (staff: internal notes included, flagged ``internal``)."""
from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import Contact, Membership, Organization
from core.rest.fields import TenantPrimaryKeyField, TenantSlugField
from core.rest.rendered import RenderedResponse
from core.rest.filters import BoolFilter, IdFilter, UpdatedSinceFilterSet
from core.rest.viewsets import ApiViewSet
from plans.models import Product
from sla.policy import REASONS
from tickets.models import Category, Message, Ticket
from tickets import list_cache, sla_targets
from tickets.merge import message_split, ticket_merge
from tickets.services import message_add, ticket_assign, ticket_create, ticket_set_status, ticket_update


# One field for every row's times: building a DateTimeField per value cost more than formatting it.
# It keeps no state between calls (the zone is the active one at each call).
_DATETIME = serializers.DateTimeField()


def _dt(value):
    return _DATETIME.to_representation(value) if value is not None else None


class SlaTargetSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=list(sla_targets.TARGETS),
                                     help_text="reaction, next_reply or resolution (RULES 4.7).")
    due_at = serializers.DateTimeField(allow_null=True, help_text=(
        "When it is due; null: not running now (no customer message awaits a reply, or the resolution "
        "clock is paused or stopped in time)."))
    paused = serializers.BooleanField(help_text="The clock stands still: the ticket waits on the customer or for a "
                                                "package.")
    met_at = serializers.DateTimeField(allow_null=True, help_text=(
        "When it was met: the reaction, the agent's reply, the resolution (late when after `due_at`)."))
    breached_at = serializers.DateTimeField(allow_null=True, help_text="When it was missed (its due time).")


class SlaSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Ticket.SlaState.choices, help_text="running, met, breached or none.")
    reason = serializers.CharField(help_text="Why this deadline (or none) applies: a stable code.")
    message = serializers.CharField(help_text="The reason in words.")
    due_at = serializers.DateTimeField(allow_null=True, help_text="Reaction deadline; null: no guarantee.")
    warn_at = serializers.DateTimeField(allow_null=True, help_text="When the warning goes out.")
    reacted_at = serializers.DateTimeField(allow_null=True, help_text="First reaction by staff.")
    breached_at = serializers.DateTimeField(allow_null=True, help_text="When the deadline passed unmet.")
    targets = SlaTargetSerializer(many=True, help_text=(
        "Every target the terms set for this ticket (the reaction, next reply, resolution) and its state."))
    next_due_at = serializers.DateTimeField(allow_null=True, help_text=(
        "The earliest pending target's due time (the queue's order); null: nothing pending."))
    next_due_target = serializers.CharField(help_text="Which target `next_due_at` is; empty: none.")


class TicketSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Ticket ID.")
    number = serializers.IntegerField(read_only=True, help_text="Number within the tenant.")
    reference = serializers.CharField(read_only=True, help_text="Prefix and number, e.g. `WYS-1042`.")
    subject = serializers.CharField(max_length=250, help_text="Subject.")
    organization = TenantPrimaryKeyField(Organization, allow_null=True, required=False,
                                         help_text="Organization ID (taken from the contact when given).")
    contact = TenantPrimaryKeyField(Contact, allow_null=True, required=False, help_text="Contact ID of the requester.")
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, default=Ticket.Channel.API,
                                      help_text="How the ticket came in; default `api`.")
    category = TenantSlugField(Category, allow_null=True, required=False, help_text="Category code, e.g. `bug`.")
    product = TenantSlugField(Product, allow_null=True, required=False, help_text="Product code.")
    critical = serializers.BooleanField(required=False, default=False, help_text="Critical failure.")
    status = serializers.ChoiceField(choices=Ticket.Status.choices, read_only=True, help_text="Status.")
    coverage = serializers.ChoiceField(choices=Ticket.Coverage.choices, read_only=True,
                                       help_text="Whether the plan covers it.")
    assignee = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                                  help_text="Staff member (membership) ID; null: unassigned.")
    received_at = serializers.DateTimeField(read_only=True, help_text="When it was received.")
    external_id = serializers.CharField(max_length=100, allow_null=True, required=False,
                                        help_text="The ticket's ID in your CRM; unique in the tenant.")
    requester_email = serializers.CharField(read_only=True, help_text="Requester's e-mail address (may be empty).")
    requester_name = serializers.CharField(read_only=True, help_text="Requester's name.")
    sla = serializers.SerializerMethodField(help_text=(
        "The reaction deadline fixed at receipt, and every target of the ticket with its state."))
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text=(
        "The ticket this one was merged into (it is closed, and its messages are there); null: not merged."))
    created_at = serializers.DateTimeField(read_only=True, help_text="When the row was created.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = Ticket
        fields = ["id", "number", "reference", "subject", "organization", "contact", "channel", "category",
                  "critical", "product", "status", "coverage", "assignee", "received_at", "external_id",
                  "requester_email", "requester_name", "sla", "merged_into", "created_at", "updated_at"]

    def to_representation(self, obj) -> dict:
        """What DRF's fields would write, written directly: a page of 100 tickets went through 21 field
        objects per row, some 40 % of the list's time (``tests/api/test_ticket_representation.py``
        compares both on every kind of ticket). A subclass with fields of its own takes DRF's way."""
        if type(self) is not TicketSerializer:
            return super().to_representation(obj)
        category, product, external_id = obj.category, obj.product, obj.external_id
        return {
            "id": obj.pk, "number": obj.number, "reference": obj.reference, "subject": obj.subject,
            "organization": obj.organization_id, "contact": obj.contact_id, "channel": obj.channel,
            "category": category.code if category is not None else None, "critical": obj.critical,
            "product": product.code if product is not None else None, "status": obj.status,
            "coverage": obj.coverage, "assignee": obj.assignee_id, "received_at": _dt(obj.received_at),
            "external_id": str(external_id) if external_id is not None else None,
            "requester_email": obj.requester_email, "requester_name": obj.requester_name, "sla": self.get_sla(obj),
            "merged_into": obj.merged_into_id, "created_at": _dt(obj.created_at), "updated_at": _dt(obj.updated_at),
        }

    @extend_schema_field(SlaSerializer)
    def get_sla(self, obj) -> dict:
        return {"state": obj.sla_state, "reason": obj.sla_reason,
                "message": str(REASONS.get(obj.sla_reason, "")), "due_at": _dt(obj.due_at),
                "warn_at": _dt(obj.warn_at), "reacted_at": _dt(obj.reacted_at), "breached_at": _dt(obj.breached_at),
                "targets": [{"target": t.target, "due_at": _dt(t.due_at), "paused": t.paused, "met_at": _dt(t.met_at),
                             "breached_at": _dt(t.breached_at)} for t in sla_targets.states(obj)],
                "next_due_at": _dt(obj.next_due_at), "next_due_target": obj.next_due_target}


def _unique_external_id(serializer, value, ticket=None):
    """A CRM ID already on another ticket is a 400 under ``external_id`` (a race still ends in a 409)."""
    request = serializer.context.get("request")
    tenant = getattr(request, "tenant", None)
    if value and tenant is not None:
        others = Ticket.objects.for_tenant(tenant).filter(external_id=value)
        if ticket is not None:
            others = others.exclude(pk=ticket.pk)
        if others.exists():
            raise serializers.ValidationError(_("Another ticket of this helpdesk already has this external ID."),
                                              code="unique")
    return value


class TicketCreateSerializer(TicketSerializer):
    body = serializers.CharField(write_only=True, max_length=100_000, help_text="The problem description.")
    from_email = serializers.EmailField(write_only=True, required=False, allow_blank=True,
                                        help_text="Requester's address when there is no contact.")
    from_name = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200,
                                      help_text="Requester's name when there is no contact.")

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "body", "from_email", "from_name"]

    def validate_external_id(self, value):
        return _unique_external_id(self, value)


class TicketUpdateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=250, required=False, help_text="Subject.")
    category = TenantSlugField(Category, allow_null=True, required=False, help_text="Category code.")
    product = TenantSlugField(Product, allow_null=True, required=False, help_text="Product code.")
    critical = serializers.BooleanField(required=False, help_text="Critical failure (pages the on-call staff).")
    external_id = serializers.CharField(max_length=100, allow_null=True, required=False, help_text="CRM ID.")
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False,
                                     help_text="New status (allowed transitions only).")
    assignee = TenantPrimaryKeyField(Membership, allow_null=True, required=False,
                                     help_text="Staff member (membership) ID; null to unassign.")

    def validate_external_id(self, value):
        return _unique_external_id(self, value, self.context.get("ticket"))


class TicketFilter(UpdatedSinceFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices, help_text="Status (repeatable).")
    organization = IdFilter(field_name="organization_id", help_text="Organization ID.")
    contact = IdFilter(field_name="contact_id", help_text="Contact ID.")
    critical = BoolFilter(help_text="Critical tickets only (true) or none of them (false).")
    assignee = IdFilter(field_name="assignee_id", help_text="Staff member (membership) ID.")
    external_id = django_filters.CharFilter(help_text="The ticket's ID in your CRM.")
    number = IdFilter(help_text="Ticket number.")

    class Meta:
        model = Ticket
        fields = ["status", "organization", "contact", "critical", "assignee", "external_id", "number",
                  "updated_since"]


def tickets_queryset(tenant):
    return Ticket.objects.for_tenant(tenant).select_related("tenant", "category", "product")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Attachment ID.")
    filename = serializers.CharField(help_text="File name.")
    content_type = serializers.CharField(help_text="MIME type.")
    size = serializers.IntegerField(help_text="Size in bytes.")


class AuthorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["staff", "contact", "email", "system"], help_text="Who wrote it.")
    name = serializers.CharField(help_text="Name shown.")
    user = serializers.IntegerField(allow_null=True, help_text="User ID of a staff author.")
    contact = serializers.IntegerField(allow_null=True, help_text="Contact ID of a customer author.")
    email = serializers.CharField(help_text="Sender address (e-mail messages).")


class MessageSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Message ID.")
    author = serializers.SerializerMethodField(help_text="Who wrote it.")
    body = serializers.CharField(max_length=100_000, help_text="Text.")
    internal = serializers.BooleanField(required=False, default=False,
                                        help_text="An internal note, never shown to customers.")
    source = serializers.ChoiceField(choices=Message.Source.choices, read_only=True, help_text="Where it came from.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was written.")
    attachments = AttachmentSerializer(many=True, read_only=True, help_text="Attached files.")

    class Meta:
        model = Message
        fields = ["id", "author", "body", "internal", "source", "created_at", "attachments"]

    @extend_schema_field(AuthorSerializer)
    def get_author(self, obj) -> dict:
        if obj.from_staff:
            kind = "system" if obj.source == Message.Source.SYSTEM else "staff"
        elif obj.author_contact_id:
            kind = "contact"
        else:
            kind = "email"
        return {"kind": kind, "name": obj.author_name, "user": obj.author_user_id if obj.from_staff else None,
                "contact": obj.author_contact_id, "email": obj.from_email}


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=100_000, help_text="Text.")
    internal = serializers.BooleanField(required=False, default=False, help_text="An internal note.")
    contact = TenantPrimaryKeyField(Contact, required=False, allow_null=True, help_text=(
        "A reply written by this customer contact (relayed from your CRM); omit for a staff reply."))
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False,
                                     help_text="Status to set with a staff message, e.g. `waiting_customer`.")


class TicketMergeSerializer(serializers.Serializer):
    into = TenantPrimaryKeyField(Ticket, help_text=(
        "The ticket to merge this one into: the same organization (or, without one, the same requester), not "
        "closed, not merged itself."))


class TicketSplitSerializer(serializers.Serializer):
    message = TenantPrimaryKeyField(Message, help_text=(
        "A public message of the customer on this ticket, not the one that opened it."))
    subject = serializers.CharField(max_length=250, help_text="Subject of the new ticket.")


@extend_schema_view(
    list=extend_schema(summary="List tickets",
                       description="Filter by status, organization, contact, critical, assignee, external_id, "
                                   "updated_since."),
    retrieve=extend_schema(summary="Read a ticket"),
    create=extend_schema(summary="Create a ticket", request=TicketCreateSerializer, responses={201: TicketSerializer},
                         examples=[OpenApiExample("From the CRM", request_only=True, value={
                             "subject": "Labels do not print", "body": "Since this morning the printer…",
                             "contact": 31, "category": "bug", "critical": False, "external_id": "CASE-5521"})]),
    partial_update=extend_schema(summary="Change a ticket", request=TicketUpdateSerializer,
                                 description="Subject, category, product, critical, external_id, status, assignee."),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, ApiViewSet):
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        return tickets_queryset(self.tenant)

    def list(self, request, *args, **kwargs):
        """A page of tickets, cached rendered until the tenant's tickets change (``tickets.list_cache``):
        the key is the whole address, host included (the page's ``next`` and ``previous`` links carry
        it), and the media type asked for."""
        def page() -> bytes:
            data = super(TicketViewSet, self).list(request, *args, **kwargs).data
            return request.accepted_renderer.render(data, request.accepted_media_type, self.get_renderer_context())

        return RenderedResponse(list_cache.cached(self.tenant.pk, "api-tickets", (
            request.build_absolute_uri(), request.accepted_media_type), page))

    def create(self, request, *args, **kwargs):
        serializer = TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = ticket_create(
            tenant=self.tenant, channel=data.get("channel", Ticket.Channel.API), subject=data["subject"],
            body=data["body"], contact=data.get("contact"), organization=data.get("organization"),
            from_email=data.get("from_email", ""), from_name=data.get("from_name", ""),
            category=data.get("category"), product=data.get("product"), critical=data.get("critical", False),
            external_id=data.get("external_id"), actor=self.actor)
        return Response(TicketSerializer(self.get_queryset().get(pk=ticket.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        ticket = self.get_object()
        change = TicketUpdateSerializer(data=request.data, context={**self.get_serializer_context(), "ticket": ticket})
        change.is_valid(raise_exception=True)
        data = dict(change.validated_data)
        new_status = data.pop("status", None)
        assign = "assignee" in data
        assignee = data.pop("assignee", None)
        with transaction.atomic():
            if data:
                ticket = ticket_update(tenant=self.tenant, ticket=ticket, actor=self.actor, **data)
            if assign:
                ticket = ticket_assign(tenant=self.tenant, ticket=ticket, assignee=assignee, actor=self.actor)
            if new_status is not None and new_status != ticket.status:
                ticket = ticket_set_status(tenant=self.tenant, ticket=ticket, status=new_status, actor=self.actor)
        return Response(TicketSerializer(self.get_queryset().get(pk=ticket.pk)).data)

    @extend_schema(methods=["get"], summary="List the messages of a ticket",
                   responses=MessageSerializer(many=True), filters=False)
    @extend_schema(methods=["post"], summary="Add a reply or an internal note", request=MessageCreateSerializer,
                   responses={201: MessageSerializer},
                   examples=[OpenApiExample("Staff reply", request_only=True,
                                            value={"body": "We are on it.", "internal": False})])
    @action(detail=True, methods=["get", "post"], serializer_class=MessageSerializer, filterset_class=None)
    def messages(self, request, pk=None):
        ticket = self.get_object()
        if request.method == "GET":
            queryset = Message.objects.for_tenant(self.tenant).filter(ticket=ticket).prefetch_related("attachments")
            page = self.paginate_queryset(queryset)
            return self.get_paginated_response(MessageSerializer(page, many=True).data)
        serializer = MessageCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contact = data.get("contact")
        if contact is not None:
            if contact.organization_id != ticket.organization_id:
                raise DjangoValidationError({"contact": _("The contact belongs to another organization.")})
            message = message_add(tenant=self.tenant, ticket=ticket, body=data["body"], author_contact=contact,
                                  internal=data.get("internal", False), source=Message.Source.API)
        else:
            if self.actor is None:
                raise DjangoValidationError({"non_field_errors": [
                    _("This token has no staff member to write as; create it as a staff member.")]})
            message = message_add(tenant=self.tenant, ticket=ticket, body=data["body"], author_user=self.actor,
                                  internal=data.get("internal", False), source=Message.Source.API,
                                  new_status=data.get("status"))
        message = Message.objects.prefetch_related("attachments").get(pk=message.pk)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


    @extend_schema(summary="Merge this ticket into another", request=TicketMergeSerializer,
                   responses={200: TicketSerializer}, filters=False, description=(
                       "Messages, attachments and time entries move to `into`; this ticket is closed with "
                       "`merged_into` set, the requester is told by e-mail, and `ticket.merged` is sent. Refused "
                       "(422): into itself, into a closed or merged ticket, a ticket merged already or one others "
                       "were merged into, another organization's ticket, time on an issued statement. The answer is "
                       "the ticket merged into."),
                   examples=[OpenApiExample("Duplicate", request_only=True, value={"into": 1042})])
    @action(detail=True, methods=["post"], serializer_class=TicketMergeSerializer, filterset_class=None)
    def merge(self, request, pk=None):
        ticket = self.get_object()
        serializer = TicketMergeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        target = ticket_merge(tenant=self.tenant, source=ticket, target=serializer.validated_data["into"],
                              actor=self.actor)
        return Response(TicketSerializer(self.get_queryset().get(pk=target.pk)).data)

    @extend_schema(summary="Split a customer's message off into a new ticket", request=TicketSplitSerializer,
                   responses={201: TicketSerializer}, filters=False, description=(
                       "The message and its attachments move to a new ticket of the same requester and "
                       "organization, received when the message was (its reaction deadline runs from then)."),
                   examples=[OpenApiExample("Second problem", request_only=True,
                                            value={"message": 5531, "subject": "Invoices do not export"})])
    @action(detail=True, methods=["post"], serializer_class=TicketSplitSerializer, filterset_class=None)
    def split(self, request, pk=None):
        ticket = self.get_object()
        serializer = TicketSplitSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        message = serializer.validated_data["message"]
        if message.ticket_id != ticket.pk:
            raise DjangoValidationError({"message": _("The message is not on this ticket.")})
        new = message_split(tenant=self.tenant, message=message, subject=serializer.validated_data["subject"],
                            actor=self.actor)
        return Response(TicketSerializer(self.get_queryset().get(pk=new.pk)).data, status=status.HTTP_201_CREATED)


def ticket_payload(ticket_id: int) -> tuple[int, dict] | None:
    """The webhook payload of ticket events: ``{"ticket": <the API's ticket>}``."""
    ticket = Ticket.objects.select_related("tenant", "category", "product").filter(pk=ticket_id).first()
    if ticket is None:
        return None
    return ticket.tenant_id, {"ticket": TicketSerializer(ticket).data}


def message_payload(message_id: int) -> tuple[int, dict] | None:
    """``{"ticket": …, "message": …}`` for ``ticket.message_added``; internal notes give nothing."""
    message = Message.objects.prefetch_related("attachments").filter(pk=message_id).first()
    if message is None or message.internal:
        return None
    ticket = Ticket.objects.select_related("tenant", "category", "product").get(pk=message.ticket_id)
    return ticket.tenant_id, {"ticket": TicketSerializer(ticket).data, "message": MessageSerializer(message).data}
