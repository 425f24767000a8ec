"""Appointments: agents' availability, booked sessions on a ticket, call-backs (RULES 8)."""
from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Contact, Membership, Organization, TenantOwned, User


class Kind(models.TextChoices):
    """What is booked; the values are the time entry kinds the session is logged as."""

    PHONE = "phone", _("phone consultation")
    REMOTE = "remote", _("remote session")


def _feed_token() -> str:
    return secrets.token_urlsafe(24)


class BookingRules(TenantOwned):
    """A tenant's rules for booking sessions; one row per tenant, made with defaults when first read."""

    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice, minutes"), default=120, help_text=_("How long before its start a session can be booked."))
    horizon_days = models.PositiveSmallIntegerField(_("book up to, days ahead"), default=30)
    buffer_minutes = models.PositiveSmallIntegerField(_("buffer between sessions, minutes"), default=10)
    step_minutes = models.PositiveSmallIntegerField(_("slots start every, minutes"), default=15)
    phone_lengths = models.JSONField(_("phone consultation lengths, minutes"), default=list, blank=True)
    remote_lengths = models.JSONField(_("remote session lengths, minutes"), default=list, blank=True)
    kinds_by_plan = models.JSONField(
        _("kinds each plan may book"), default=dict, blank=True,
        help_text=_("Plan code → list of kinds (phone, remote). A plan not listed follows its terms."))
    late_cancel_hours = models.PositiveSmallIntegerField(
        _("late cancellation, hours before"), default=24,
        help_text=_("A cancellation later than this before the start is late."))
    late_cancel_counts = models.BooleanField(
        _("late cancellations are counted"), default=False,
        help_text=_("A late cancellation by the customer is logged as time, like a session held."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("booking rules")
        verbose_name_plural = _("booking rules")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="bookingrules_tenant_uniq")]

    def __str__(self) -> str:
        return str(_("Booking rules"))

    def lengths(self, kind: str) -> list[int]:
        chosen = self.phone_lengths if kind == Kind.PHONE else self.remote_lengths
        return sorted(int(x) for x in chosen) or ([15, 30] if kind == Kind.PHONE else [30, 60, 90])


class AgentSchedule(TenantOwned):
    """An agent's working hours, whether they take bookings, and their calendar feed token."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="schedule",
                                      verbose_name=_("staff member"))
    bookable = models.BooleanField(_("takes bookings"), default=True)
    windows = models.JSONField(
        _("working hours"), default=dict, blank=True,
        help_text=_("Weekly windows as in a calendar, e.g. {\"mon\": [[\"08:00\", \"16:00\"]]}. "
                    "Empty: the service hours of the customer's plan."))
    feed_token = models.CharField(_("calendar feed token"), max_length=64, default=_feed_token, unique=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("agent schedule")
        verbose_name_plural = _("agent schedules")
        indexes = [models.Index(fields=["tenant", "bookable"])]

    def __str__(self) -> str:
        return str(self.membership)


class Absence(TenantOwned):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="absences",
                                   verbose_name=_("staff member"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["tenant", "membership", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.membership} {self.starts_at:%Y-%m-%d}"


class Appointment(TenantOwned):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        DONE = "done", _("held")
        NO_SHOW = "no_show", _("no-show")

    # Statuses that hold the agent's time; the exclusion constraint and the overlap check use them.
    HOLDING = (Status.PROPOSED, Status.BOOKED)

    uid = models.UUIDField(_("calendar UID"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("calendar revision"), default=0)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="appointments",
                               verbose_name=_("ticket"))
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="appointments",
                                     verbose_name=_("organization"))
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("contact"))
    agent = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="appointments",
                              verbose_name=_("agent"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    note = models.CharField(_("note"), max_length=300, blank=True)
    booked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("booked by"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    late_cancellation = models.BooleanField(_("late cancellation"), default=False)
    time_entry = models.OneToOneField("billing.TimeEntry", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="appointment", verbose_name=_("time entry"))
    # Each reminder goes out once: the beat task claims it by setting the field in a conditional update.
    reminded_day_at = models.DateTimeField(_("day-before reminder sent"), null=True, blank=True)
    reminded_soon_at = models.DateTimeField(_("15-minute reminder sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="appointment_ends_after_start")]
        indexes = [models.Index(fields=["tenant", "agent", "starts_at"]),
                   models.Index(fields=["tenant", "ticket"]),
                   models.Index(fields=["tenant", "status", "starts_at"]),
                   models.Index(fields=["tenant", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Callback(TenantOwned):
    """A customer asks to be called back. No reaction guarantee applies (seed 000 FAQ)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        DONE = "done", _("called back")
        CANCELLED = "cancelled", _("withdrawn")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="callbacks", verbose_name=_("ticket"))
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="callbacks", verbose_name=_("organization"))
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("contact"))
    phone = models.CharField(_("phone number"), max_length=40)
    note = models.CharField(_("what it is about"), max_length=300, blank=True)
    critical = models.BooleanField(_("critical"), default=False)
    queue_priority = models.SmallIntegerField(_("queue priority"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"))
    done_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    done_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("called back by"))

    class Meta:
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")
        indexes = [models.Index(fields=["tenant", "status", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.phone} {self.requested_at:%Y-%m-%d %H:%M}"
