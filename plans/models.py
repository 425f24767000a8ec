"""Plans, their versioned terms, service calendars and subscriptions."""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Organization, TenantOwned, TenantQuerySet, User

WEEKDAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

hhmm_validator = RegexValidator(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$", _("Use HH:MM, 00:00–24:00."))
code_validator = RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", _("Lower-case letters, digits, - and _."))


class Weekday(models.IntegerChoices):
    MON = 0, _("Monday")
    TUE = 1, _("Tuesday")
    WED = 2, _("Wednesday")
    THU = 3, _("Thursday")
    FRI = 4, _("Friday")
    SAT = 5, _("Saturday")
    SUN = 6, _("Sunday")


class Calendar(TenantOwned):
    """Business hours: weekly windows in wall time, a holiday source and extra dates.

    Stored as rows for editing; ``to_spec()`` gives the JSON spec that ``sla.calendar`` reads.
    """

    code = models.SlugField(_("code"), max_length=40, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Warsaw")
    holidays_country = models.CharField(
        _("public holidays of"), max_length=8, blank=True, default="PL",
        help_text=_("ISO country code of the public holidays that close this calendar; empty: none."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="calendar_tenant_code_uniq")]

    def __str__(self) -> str:
        return self.name

    def to_spec(self) -> dict:
        windows: dict[str, list[list[str]]] = {key: [] for key in WEEKDAY_KEYS}
        for window in sorted(self.windows.all(), key=lambda w: (w.weekday, w.start)):
            windows[WEEKDAY_KEYS[window.weekday]].append([window.start, window.end])
        dates = sorted(self.dates.all(), key=lambda d: d.date)
        return {
            "timezone": self.timezone,
            "windows": windows,
            "holidays": self.holidays_country or None,
            "closed_dates": [d.date.isoformat() for d in dates if d.kind == CalendarDate.Kind.CLOSED],
            "open_dates": [d.date.isoformat() for d in dates if d.kind == CalendarDate.Kind.OPEN],
        }


class CalendarWindow(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="windows",
                                 verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start = models.CharField(_("from"), max_length=5, validators=[hhmm_validator])
    end = models.CharField(_("to"), max_length=5, validators=[hhmm_validator],
                           help_text=_("24:00 is midnight; an end before the start runs overnight."))

    class Meta:
        verbose_name = _("opening window")
        verbose_name_plural = _("opening windows")
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start}–{self.end}"


class CalendarDate(models.Model):
    class Kind(models.TextChoices):
        CLOSED = "closed", _("closed")
        OPEN = "open", _("open")

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="dates",
                                 verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CLOSED)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("extra date")
        verbose_name_plural = _("extra dates")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendardate_calendar_date_uniq")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Product(TenantOwned):
    """A program a tenant supports (KJM: SOOT, F-K, Kadry-Płace, data warehouse)."""

    code = models.SlugField(_("code"), max_length=40, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="product_tenant_code_uniq")]

    def __str__(self) -> str:
        return self.name


class Plan(TenantOwned):
    code = models.SlugField(_("code"), max_length=40, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("offered"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="plan_tenant_code_uniq")]

    def __str__(self) -> str:
        return self.name


class BillingMode(models.TextChoices):
    FREE = "free", _("free")
    MONTHLY = "monthly", _("monthly fee")
    PACKAGE = "package", _("one-off package, paid up front")
    CONTRACT = "contract", _("per contract")


class EmailScope(models.TextChoices):
    ALL = "all", _("all matters")
    BUGS = "bugs", _("bugs only")


class WorkKind(models.TextChoices):
    PHONE = "phone", _("phone")
    REMOTE = "remote", _("remote")
    EMAIL = "email", _("e-mail")
    DEVELOPMENT = "development", _("development")
    ONSITE = "onsite", _("on site")


class Channel(models.TextChoices):
    FORUM = "forum", _("forum")
    EMAIL = "email", _("e-mail")
    PORTAL = "portal", _("web portal")
    PHONE = "phone", _("phone")
    REMOTE = "remote", _("remote help")
    LANDLINE = "landline", _("landline")
    MANAGER_MOBILE = "manager_mobile", _("account manager's mobile")
    API = "api", _("API")


class SuggestedContact(models.TextChoices):
    NONE = "", _("no preference")
    MANAGER_PHONE = "manager_phone", _("phone with the account manager")
    EMAIL = "email", _("e-mail")


def _minutes(**kwargs):
    return models.PositiveIntegerField(**kwargs)


class PlanTermsQuerySet(TenantQuerySet):
    def in_force(self, plan: Plan, on) -> "PlanTerms | None":
        """The version in force on date ``on``: the latest effective_from on or before it."""
        return (self.filter(plan=plan, effective_from__lte=on)
                .order_by("-effective_from", "-version").first())


class PlanTerms(TenantOwned):
    """One version of a plan's terms. Editing terms creates a new version; old ones stay.

    Every figure of the catalogue is data here. ``None`` means "not offered / not applicable";
    per-contract values (PREMIUM) are ``None`` in the plan and set per subscription as overrides.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="terms_versions",
                             verbose_name=_("plan"))
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)

    # Price and contract.
    billing_mode = models.CharField(_("billing mode"), max_length=16, choices=BillingMode.choices)
    price_net = models.DecimalField(_("price, net"), max_digits=10, decimal_places=2, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("0"))],
                                    help_text=_("Per month (monthly fee) or per package; empty: per contract."))
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    minimum_term_months = models.PositiveSmallIntegerField(_("minimum term, months"), default=0)
    notice_days = models.PositiveSmallIntegerField(_("notice period, days"), default=0)
    starts_next_month = models.BooleanField(
        _("starts on the 1st of the next month"), default=False,
        help_text=_("The service starts in the calendar month after the order is accepted."))

    # Included work.
    included_minutes = _minutes(verbose_name=_("included minutes per month"), default=0)
    included_unlimited = models.BooleanField(_("unlimited work in service hours"), default=False)
    included_kinds = models.JSONField(_("work that draws on the included time"), default=list, blank=True)
    package_minutes = _minutes(verbose_name=_("package size, minutes"), null=True, blank=True)
    package_validity_months = models.PositiveSmallIntegerField(_("package validity, months"), null=True, blank=True)

    # Hours and reaction.
    service_calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("service hours"))
    days_off_support = models.BooleanField(_("support on days off and holidays"), default=False)
    reaction_minutes = _minutes(verbose_name=_("guaranteed reaction time, minutes"), null=True, blank=True,
                                help_text=_("Business time; empty: no guarantee."))
    critical_calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="+", null=True,
                                          blank=True, verbose_name=_("critical-failure hours"))
    critical_reaction_minutes = _minutes(verbose_name=_("reaction to a critical failure, minutes"),
                                         null=True, blank=True)
    critical_on_days_off = models.BooleanField(
        _("critical problems may be reported on days off"), default=False,
        help_text=_("Such reports page the on-call staff at once."))
    next_reply_minutes = _minutes(
        verbose_name=_("next reply time, minutes"), null=True, blank=True,
        help_text=_("Business time from a customer's message that needs an answer to the next public reply; "
                    "empty: no target."))
    resolution_minutes = _minutes(
        verbose_name=_("resolution time, minutes"), null=True, blank=True,
        help_text=_("Business time from receipt to resolution, not counting the time waiting on the customer "
                    "or for a package; empty: no target."))
    warning_percent = models.PositiveSmallIntegerField(
        _("warn when this % of the reaction time has elapsed"), default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)])
    queue_priority = models.SmallIntegerField(_("queue priority"), default=0,
                                              help_text=_("Higher comes first in the queue."))

    # E-mail support.
    email_scope = models.CharField(_("e-mail support"), max_length=8, choices=EmailScope.choices,
                                   default=EmailScope.ALL)
    email_limit_minutes = _minutes(verbose_name=_("monthly limit of guaranteed e-mail support, minutes"),
                                   null=True, blank=True, help_text=_("Non-bug tickets; empty: not applicable."))

    # Channels and services.
    channels = models.JSONField(_("contact channels"), default=list, blank=True)
    config_help_channels = models.JSONField(_("advanced configuration help via"), default=list, blank=True)
    suggested_contact = models.CharField(_("suggested contact"), max_length=16, blank=True,
                                         choices=SuggestedContact.choices, default=SuggestedContact.NONE)
    phone_support = models.BooleanField(_("phone technical support (in package)"), default=False)
    phone_consultations = models.BooleanField(_("phone consultations (in package)"), default=False)
    development = models.BooleanField(_("development work (in package)"), default=False)
    priority_development = models.BooleanField(_("priority queue for development work"), default=False)
    carrier_contact = models.BooleanField(_("contacting the carrier on the customer's behalf"), default=False)
    account_manager = models.BooleanField(_("named account manager"), default=False)
    manager_mobile = models.BooleanField(_("account manager's mobile phone"), default=False)
    products = models.JSONField(_("products covered"), default=list, blank=True,
                                help_text=_("Product codes; empty: all products."))

    # Billing of work.
    hourly_rate_net = models.DecimalField(_("hourly rate beyond the package, net"), max_digits=10,
                                          decimal_places=2, null=True, blank=True,
                                          validators=[MinValueValidator(Decimal("0"))])
    rounding_units = models.JSONField(_("billing unit per kind of work, minutes"), default=dict, blank=True)
    rounding_default_unit = models.PositiveSmallIntegerField(_("billing unit for other work, minutes"), default=1,
                                                             validators=[MinValueValidator(1)])
    rounding_minutes_added = models.PositiveSmallIntegerField(_("minutes added to each entry"), default=0)
    rounding_per_intervention = models.BooleanField(_("round each intervention"), default=True)
    after_hours_multiplier = models.DecimalField(_("after-hours multiplier"), max_digits=4, decimal_places=2,
                                                 default=Decimal("1.00"),
                                                 validators=[MinValueValidator(Decimal("1"))])
    after_hours_rate_net = models.DecimalField(_("after-hours emergency rate per hour, net"), max_digits=10,
                                               decimal_places=2, null=True, blank=True)

    # Yearly software update (KJM).
    update_included = models.BooleanField(_("yearly update included"), default=False)
    update_fee_net = models.DecimalField(_("yearly update value, net"), max_digits=10, decimal_places=2,
                                         null=True, blank=True)

    objects = PlanTermsQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan terms")
        verbose_name_plural = _("plan terms")
        ordering = ["plan", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="planterms_plan_version_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "plan", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.plan} v{self.version} ({self.effective_from})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        kinds = set(WorkKind.values)
        if not isinstance(self.included_kinds, list) or not set(self.included_kinds) <= kinds:
            errors["included_kinds"] = _("Use a list of: %s.") % ", ".join(sorted(kinds))
        for field in ("channels", "config_help_channels"):
            value = getattr(self, field)
            if not isinstance(value, list) or not set(value) <= set(Channel.values):
                errors[field] = _("Use a list of: %s.") % ", ".join(Channel.values)
        if not isinstance(self.rounding_units, dict) or any(
            k not in kinds or not isinstance(v, int) or isinstance(v, bool) or v < 1
            for k, v in self.rounding_units.items()
        ):
            errors["rounding_units"] = _("Map kinds of work to whole minutes ≥ 1, e.g. {\"phone\": 15}.")
        if not isinstance(self.products, list) or not all(isinstance(p, str) for p in self.products):
            errors["products"] = _("Use a list of product codes.")
        if self.critical_reaction_minutes and not self.critical_calendar_id:
            errors["critical_calendar"] = _("A critical reaction time needs a critical-failure calendar.")
        if self.billing_mode == BillingMode.PACKAGE and not (self.package_minutes and self.package_validity_months):
            errors["package_minutes"] = _("A package plan needs a package size and validity.")
        if errors:
            raise ValidationError(errors)


class Subscription(TenantOwned):
    """An organization on a plan over dates, with per-customer overrides and add-ons.

    Organizations without a subscription in force are on the tenant's default plan (COMMUNITY).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="subscriptions",
                                     verbose_name=_("organization"))
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions",
                             verbose_name=_("plan"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    accepted_on = models.DateField(_("order accepted on"))
    notice_given_on = models.DateField(_("notice given on"), null=True, blank=True)
    overrides = models.JSONField(_("per-customer terms"), default=dict, blank=True,
                                 help_text=_("Terms that differ from the plan for this customer."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-starts_on"]
        indexes = [
            models.Index(fields=["tenant", "organization", "starts_on"]),
            models.Index(fields=["tenant", "updated_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__isnull=True)
                                  | models.Q(ends_on__gte=models.F("starts_on")),
                                   name="subscription_ends_after_start"),
        ]

    def __str__(self) -> str:
        end = self.ends_on.isoformat() if self.ends_on else "…"
        return f"{self.organization} — {self.plan} ({self.starts_on.isoformat()} – {end})"


class SubscriptionChange(TenantOwned):
    """A dated change of a subscription's per-customer terms (RULES 6.6 decision).

    From ``effective_from`` (the 1st of a month) the subscription's overrides are ``overrides``;
    the months before keep what applied then (``overrides_before`` for the months before the first
    change). ``seats`` records how many workstations the price was agreed for. A month whose
    statement was issued is never changed (``plans.services.subscription_set_overrides``).
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="changes",
                                     verbose_name=_("subscription"))
    effective_from = models.DateField(_("effective from"))
    overrides = models.JSONField(_("per-customer terms"), default=dict, blank=True)
    overrides_before = models.JSONField(_("per-customer terms before"), default=dict, blank=True)
    seats = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription change")
        verbose_name_plural = _("subscription changes")
        ordering = ["effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "effective_from"], name="subscription_change_month_uniq"),
            models.CheckConstraint(condition=models.Q(effective_from__day=1),
                                   name="subscription_change_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.effective_from.isoformat()}"


def overrides_on(subscription: Subscription, changes: list[SubscriptionChange], on) -> dict:
    """The subscription's overrides in force on ``on`` given its dated changes (oldest first)."""
    if not changes:
        return subscription.overrides or {}
    current = changes[0].overrides_before
    for change in changes:
        if change.effective_from > on:
            break
        current = change.overrides
    return current or {}


class AddonKind(models.TextChoices):
    EXTENDED_HOURS = "extended_hours", _("extended hours")
    NIGHT = "night", _("night service")
    NONSTOP = "nonstop", _("non-stop service")
    EXTRA_PRODUCT = "extra_product", _("extra product covered")


class SubscriptionAddon(TenantOwned):
    """KJM OPIEKA add-ons: extended hours, night or non-stop service, extra products.

    Dated like the overrides (RULES 6.6 decision): an add-on applies to the months from
    ``effective_from`` (a 1st) through ``ends_on`` (a last day; empty: open-ended). Adding, changing or
    removing one is a change from a month on (``plans.services.subscription_change``): the months
    before keep their add-ons, so neither an issued statement nor an open earlier month changes.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="addons",
                                     verbose_name=_("subscription"))
    kind = models.CharField(_("kind"), max_length=20, choices=AddonKind.choices)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("hours"),
                                 help_text=_("Extended, night or non-stop hours that this add-on provides."))
    product = models.CharField(_("product code"), max_length=40, blank=True)
    price_net = models.DecimalField(_("monthly price, net"), max_digits=10, decimal_places=2,
                                    default=Decimal("0.00"))
    effective_from = models.DateField(_("from"), help_text=_("The first day of the first month it applies to."))
    ends_on = models.DateField(_("until"), null=True, blank=True,
                               help_text=_("The last day of the last month it applies to; empty: no end."))

    class Meta:
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")
        ordering = ["effective_from", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(effective_from__day=1), name="subscription_addon_from_first_day"),
            models.CheckConstraint(condition=models.Q(ends_on__isnull=True)
                                   | models.Q(ends_on__gte=models.F("effective_from")),
                                   name="subscription_addon_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    def applies_on(self, on) -> bool:
        return self.effective_from <= on and (self.ends_on is None or on <= self.ends_on)

    def same_as(self, kind: str, calendar_id: int | None, product: str, price_net) -> bool:
        """The same add-on on the same terms (a change that keeps it continues this row)."""
        return (self.kind, self.calendar_id, self.product or "", self.price_net) == (
            kind, calendar_id, product or "", Decimal(price_net if price_net is not None else "0.00"))

    def clean(self) -> None:
        if self.kind == AddonKind.EXTRA_PRODUCT and not self.product:
            raise ValidationError({"product": _("Name the product this add-on covers.")})
        if self.kind != AddonKind.EXTRA_PRODUCT and not self.calendar_id:
            raise ValidationError({"calendar": _("Choose the hours this add-on provides.")})


def addons_on(addons, on) -> list[SubscriptionAddon]:
    """The add-ons of a subscription that apply on ``on`` (all of them when ``on`` is None)."""
    return [addon for addon in addons if on is None or addon.applies_on(on)]
