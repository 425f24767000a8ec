"""Time entries, hour packages and the pools they draw on."""
from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.models import Membership, Organization, TenantOwned
from plans.models import WorkKind


class Package(TenantOwned):
    """A KJM PAKIET hour package: bought up front, valid for months or until its minutes are used."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        EXHAUSTED = "exhausted", _("used up")
        EXPIRED = "expired", _("expired")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="packages",
                                     verbose_name=_("organization"))
    minutes = models.PositiveIntegerField(_("minutes"))
    minutes_left = models.IntegerField(_("minutes left"))
    purchased_on = models.DateField(_("purchased on"))
    valid_until = models.DateField(_("valid until"))
    price_net = models.DecimalField(_("price, net"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("hour package")
        verbose_name_plural = _("hour packages")
        ordering = ["purchased_on", "id"]
        indexes = [models.Index(fields=["tenant", "organization", "status", "valid_until"]),
                   models.Index(fields=["tenant", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.organization} {self.purchased_on}"


class TimeEntry(TenantOwned):
    class Pool(models.TextChoices):
        ALLOWANCE = "allowance", _("monthly allowance")
        PACKAGE = "package", _("hour package")
        OVERAGE = "overage", _("billable")
        FLAT_FEE = "flat_fee", _("included in the flat fee")
        EMAIL_LIMIT = "email_limit", _("guaranteed e-mail support")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="time_entries",
                               verbose_name=_("ticket"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="time_entries",
                                     verbose_name=_("organization"))
    agent = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("agent"))
    kind = models.CharField(_("kind of work"), max_length=16, choices=WorkKind.choices)
    started_at = models.DateTimeField(_("started"))
    minutes = models.PositiveIntegerField(_("actual minutes"))
    billed_minutes = models.PositiveIntegerField(_("billed minutes"), default=0)
    deducted_minutes = models.PositiveIntegerField(_("deducted minutes"), default=0)
    pool = models.CharField(_("pool"), max_length=16, choices=Pool.choices)
    counts_as_bug = models.BooleanField(_("bug ticket"), default=False)
    after_hours = models.BooleanField(_("after hours"), default=False)
    amount_net = models.DecimalField(_("amount, net"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["tenant", "organization", "started_at"]),
                   models.Index(fields=["tenant", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.minutes} min"
