"""REST API of sessions (``appointments``) and free slots (``appointments/slots``), staff only."""
from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms as django_forms
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from appointments import selectors, services
from appointments.models import Appointment, Kind
from core.models import Membership
from core.rest.fields import TenantPrimaryKeyField
from core.rest.filters import IdFilter, StrictFilterSet, UpdatedSinceFilterSet
from core.rest.viewsets import ApiViewSet
from tickets.models import Ticket


class AppointmentSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Appointment ID.")
    uid = serializers.UUIDField(read_only=True, help_text="The iCalendar UID (with `@helpdesk`), stable for life.")
    sequence = serializers.IntegerField(read_only=True, help_text="iCalendar SEQUENCE: raised by every change.")
    ticket = TenantPrimaryKeyField(Ticket, help_text="Ticket ID.")
    organization = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Organization ID (the ticket's).")
    contact = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text="Contact ID.")
    agent = TenantPrimaryKeyField(Membership, required=False, allow_null=True,
                                  help_text="Staff member ID; omitted: the first free one (OPIEKA: the manager).")
    kind = serializers.ChoiceField(choices=Kind.choices, help_text="`phone` or `remote`.")
    starts_at = serializers.DateTimeField(help_text="Start (ISO 8601 with offset); one of the free slots.")
    ends_at = serializers.DateTimeField(read_only=True, help_text="End.")
    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, help_text="Length in minutes.")
    status = serializers.ChoiceField(choices=Appointment.Status.choices, read_only=True,
                                     help_text="proposed, booked, cancelled, done or no_show.")
    propose = serializers.BooleanField(write_only=True, required=False, default=False,
                                       help_text="Propose the time for the customer to accept instead of booking.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="Note.")
    late_cancellation = serializers.BooleanField(read_only=True, help_text="Cancelled late by the customer.")
    time_entry = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                                    help_text="The time entry logged for the session.")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = Appointment
        fields = ["id", "uid", "sequence", "ticket", "organization", "contact", "agent", "kind", "starts_at",
                  "ends_at", "minutes", "status", "propose", "note", "late_cancellation", "time_entry",
                  "created_at", "updated_at"]


class RescheduleSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="New start; one of the free slots.")
    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, required=False, help_text="New length.")
    agent = TenantPrimaryKeyField(Membership, required=False, allow_null=True, help_text="Another staff member.")


class AppointmentFilter(UpdatedSinceFilterSet):
    ticket = IdFilter(field_name="ticket_id", help_text="Sessions of one ticket.")
    agent = IdFilter(field_name="agent_id", help_text="Sessions of one staff member.")
    organization = IdFilter(field_name="organization_id", help_text="Sessions of one organization.")
    status = django_filters.ChoiceFilter(choices=Appointment.Status.choices, help_text="By status.")

    class Meta:
        model = Appointment
        fields = ["ticket", "agent", "organization", "status"]


class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    """Sessions booked on tickets. PATCH reschedules (the invitation is updated); DELETE cancels."""

    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appointment.objects.none()
        return selectors.appointments_for_api(self.tenant)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        appointment = services.appointment_book(
            tenant=self.tenant, ticket=data["ticket"], kind=data["kind"], starts_at=data["starts_at"],
            minutes=data["minutes"], actor=self.actor, agent=data.get("agent"), propose=data.get("propose", False),
            note=data.get("note", ""))
        return Response(self.get_serializer(self.get_queryset().get(pk=appointment.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=RescheduleSerializer, responses=AppointmentSerializer, summary="Reschedule a session")
    def partial_update(self, request, *args, **kwargs):
        appointment = self.get_object()
        change = RescheduleSerializer(data=request.data, context=self.get_serializer_context())
        change.is_valid(raise_exception=True)
        data = change.validated_data
        services.appointment_reschedule(tenant=self.tenant, appointment=appointment, starts_at=data["starts_at"],
                                        minutes=data.get("minutes"), agent=data.get("agent"), actor=self.actor)
        return Response(self.get_serializer(self.get_queryset().get(pk=appointment.pk)).data)

    @extend_schema(summary="Cancel a session (the customer is told; the invitation is cancelled)")
    def destroy(self, request, *args, **kwargs):
        appointment = self.get_object()
        services.appointment_cancel(tenant=self.tenant, appointment=appointment, actor=self.actor, by_customer=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="Start of a free slot.")
    ends_at = serializers.DateTimeField(help_text="Its end.")
    agents = serializers.ListField(child=serializers.IntegerField(),
                                   help_text="Staff members free then, the preferred (account manager) first.")


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 24 * 60})
class MinutesFilter(django_filters.NumberFilter):
    """A length in whole minutes, at most a day (the schema says exactly what is accepted)."""

    field_class = django_forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 24 * 60)
        super().__init__(*args, **kwargs)


class SlotFilter(StrictFilterSet):
    ticket = IdFilter(method="noop", required=True, help_text="The ticket the session is for.")
    kind = django_filters.ChoiceFilter(choices=Kind.choices, method="noop", required=True, help_text="Kind.")
    minutes = MinutesFilter(method="noop", required=True, help_text="Length in minutes.")
    agent = IdFilter(method="noop", help_text="Only this staff member's slots.")

    class Meta:
        model = Appointment
        fields = ["ticket", "kind", "minutes", "agent"]

    def noop(self, queryset, name, value):
        return queryset


class SlotViewSet(mixins.ListModelMixin, ApiViewSet):
    """Free slots for a ticket's organization over the tenant's booking horizon (not paginated)."""

    serializer_class = SlotSerializer
    pagination_class = None
    filterset_class = SlotFilter

    def get_queryset(self):
        return Appointment.objects.none()

    @extend_schema(parameters=[OpenApiParameter("days", int, description="Only the next N days.")])
    def list(self, request, *args, **kwargs):
        query = SlotFilter(request.query_params, queryset=self.get_queryset(), request=request)
        if not query.is_valid():
            raise serializers.ValidationError(query.errors)
        data = query.form.cleaned_data
        ticket = Ticket.objects.for_tenant(self.tenant).filter(pk=data["ticket"]).select_related("organization").first()
        if ticket is None:
            raise serializers.ValidationError({"ticket": [_("Unknown ticket.")]}, code="does_not_exist")
        if ticket.organization_id is None:
            return Response([])
        agents = None
        if data.get("agent"):
            agents = [a for a in selectors.bookable_agents(self.tenant) if a.pk == data["agent"]]
        try:
            days = max(1, min(int(request.query_params.get("days", "")), 366))
        except ValueError:
            days = None
        minutes = int(data["minutes"])
        search = selectors.find_slots(tenant=self.tenant, organization=ticket.organization, kind=data["kind"],
                                      length=minutes, now=timezone.now(), agents=agents, days=days)
        return Response(SlotSerializer([
            {"starts_at": start, "ends_at": start + timedelta(minutes=minutes), "agents": [a.pk for a in free]}
            for start, free in search.slots], many=True).data)
