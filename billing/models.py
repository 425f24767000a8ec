"""Time entries, hour packages and the pools they draw on."""
from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Membership, Organization, TenantOwned, User, tenant_key
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
    # RULES 6.2 decision: what an intervention needed beyond the packages left is a debt of the
    # organization, taken first from the next package bought. This is the part of this package's
    # minutes that paid such a debt off when it was bought (recomputed with the ledger).
    debt_minutes = models.PositiveIntegerField(_("debt paid off at purchase, minutes"), default=0)
    # Each notice goes out once: the worker claims it by setting the field in a conditional update.
    notified_expiring_at = models.DateTimeField(_("told it expires soon"), null=True, blank=True)
    notified_expired_at = models.DateTimeField(_("told it expired"), null=True, blank=True)
    notified_exhausted_at = models.DateTimeField(_("told it is used up"), null=True, blank=True)
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

    @property
    def used_minutes(self) -> int:
        return self.minutes - self.debt_minutes - self.minutes_left


class Quote(TenantOwned):
    """A quote for out-of-scope work on a ticket (RULES 5: custom programming is quoted).

    Either a fixed price, or estimated hours at a rate. The agent drafts and sends it; the customer
    accepts or rejects it in the portal. A fixed price is charged on the statement of the month it
    was accepted; the time logged against an hourly quote is billed at the quote's rate.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent to the customer")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="quotes",
                               verbose_name=_("ticket"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="quotes",
                                     verbose_name=_("organization"))
    description = models.CharField(_("description"), max_length=500)
    hours = models.DecimalField(_("estimated hours"), max_digits=6, decimal_places=2, null=True, blank=True)
    rate_net = models.DecimalField(_("hourly rate, net"), max_digits=10, decimal_places=2, null=True, blank=True)
    fixed_price_net = models.DecimalField(_("fixed price, net"), max_digits=10, decimal_places=2, null=True,
                                          blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("prepared by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "organization", "status"]),
                   models.Index(fields=["tenant", "updated_at"])]
        constraints = [models.CheckConstraint(
            condition=(models.Q(fixed_price_net__isnull=False, rate_net__isnull=True)
                       | models.Q(fixed_price_net__isnull=True, rate_net__isnull=False, hours__isnull=False)),
            name="quote_fixed_price_or_hours_at_a_rate")]

    def __str__(self) -> str:
        return f"Oferta nr {self.pk}"


class TimeEntry(TenantOwned):
    tenant = tenant_key(db_index=False)  # its composite indexes lead with it

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
    emergency = models.BooleanField(_("emergency"), default=False)
    # RULES 5 decision: after hours is computed from the start and the plan's service calendar; an
    # agent may override it (True/False) with a reason, which is audited. None: computed.
    after_hours_override = models.BooleanField(_("after hours, set by the agent"), null=True, blank=True)
    after_hours_reason = models.CharField(_("reason for setting after hours"), max_length=300, blank=True)
    # One entry may cross the end of the month's allowance: ``deducted_minutes`` came from the
    # allowance (or package), ``overage_minutes`` are billed at ``rate_net``.
    overage_minutes = models.PositiveIntegerField(_("billable minutes"), default=0)
    rate_net = models.DecimalField(_("hourly rate, net"), max_digits=10, decimal_places=2, null=True, blank=True)
    package = models.ForeignKey(Package, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="time_entries", verbose_name=_("hour package"))
    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="time_entries",
                              verbose_name=_("quote"), help_text=_("Accepted quote the work is billed by."))
    # Deducted minutes no package could cover when the work was done (RULES 6.2 decision).
    debt_minutes = models.PositiveIntegerField(_("package debt, minutes"), default=0)
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


class Statement(TenantOwned):
    """The monthly statement of one organization, as generated: a reproducible snapshot.

    ``lines`` is a list of ``{"code", "description", "quantity", "unit", "unit_price", "net"}`` with
    decimals as strings, so the stored document never changes when terms are edited later.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="statements",
                                     verbose_name=_("organization"))
    month = models.DateField(_("month"), help_text=_("The first day of the month billed."))
    lines = models.JSONField(_("lines"), default=list)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=4, decimal_places=3)
    vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    generated_at = models.DateTimeField(_("generated"))

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-month", "organization__name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "organization", "month"],
                                               name="statement_tenant_org_month_uniq"),
                       models.CheckConstraint(condition=models.Q(month__day=1), name="statement_month_first_day")]
        indexes = [models.Index(fields=["tenant", "month"])]

    def __str__(self) -> str:
        return f"{self.organization} {self.month:%Y-%m}"


class UpdateFeeCharge(TenantOwned):
    """One charge (or credit) of the KJM yearly update fee, written with the statement that carries it.

    Covers a run of months without OPIEKA (``first_month``–``last_month`` of ``year``): charged when
    they become known (RULES 6.5), credited when a re-activation makes them OPIEKA months after all.
    The database refuses a second charge (or credit) of the same months, so an update month is
    never charged twice, whatever generates statements.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", _("charge")
        CREDIT = "credit", _("credit")
        ADJUSTMENT = "adjustment", _("adjustment of the value")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="update_fee_charges",
                                     verbose_name=_("organization"))
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="update_fee_charges",
                                  verbose_name=_("statement"))
    year = models.PositiveSmallIntegerField(_("year"))
    charged_in = models.PositiveSmallIntegerField(_("charged in month"))
    first_month = models.PositiveSmallIntegerField(_("from month"))
    last_month = models.PositiveSmallIntegerField(_("to month"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    update_value = models.DecimalField(_("yearly update value, net"), max_digits=10, decimal_places=2)
    amount_net = models.DecimalField(_("amount, net"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("update fee charge")
        verbose_name_plural = _("update fee charges")
        ordering = ["year", "charged_in", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "organization", "year", "first_month", "last_month", "kind"],
                                    condition=~models.Q(kind="adjustment"), name="update_fee_charge_months_once"),
            models.CheckConstraint(condition=models.Q(first_month__gte=1, first_month__lte=models.F("last_month"),
                                                      last_month__lte=12, charged_in__gte=1, charged_in__lte=12),
                                   name="update_fee_charge_months_valid"),
            models.CheckConstraint(condition=models.Q(kind="charge", amount_net__gte=0)
                                   | models.Q(kind="credit", amount_net__lte=0) | models.Q(kind="adjustment"),
                                   name="update_fee_charge_sign"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.year} {self.first_month}–{self.last_month} {self.amount_net}"


class BillingParty(TenantOwned):
    """Who is named on a statement: the seller (the vendor, ``organization`` empty) or a buyer.

    The legal name, NIP and address printed on the PDF; a buyer without a row falls back to the
    organization's name and NIP.
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, null=True, blank=True,
                                        related_name="billing_party", verbose_name=_("organization"),
                                        help_text=_("Empty: the seller (your company)."))
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    tax_id = models.CharField(_("tax ID (NIP)"), max_length=32, blank=True)
    address = models.TextField(_("address"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("statement party")
        verbose_name_plural = _("statement parties")
        constraints = [models.UniqueConstraint(fields=["tenant"], condition=models.Q(organization__isnull=True),
                                               name="billing_party_one_seller_per_tenant")]

    def __str__(self) -> str:
        return self.legal_name or (self.organization.name if self.organization else str(self.tenant))
