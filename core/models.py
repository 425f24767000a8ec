"""Tenancy core: tenants, their customer organizations and contacts, staff roles.

Every tenant-owned model has a ``tenant`` foreign key, indexes and unique constraints led by
``tenant`` and a default manager whose entry point is ``.for_tenant(tenant)``.
"""
from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, router
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: "Tenant | int") -> "TenantQuerySet":
        if tenant is None:
            raise ValueError("for_tenant() needs a tenant; refusing to return every tenant's rows.")
        return self.filter(tenant=tenant)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass


def tenant_key(*, db_index: bool = True) -> models.ForeignKey:
    """The tenant of a row. ``db_index=False`` where a composite index or unique constraint already
    leads with the tenant: a second index on it alone costs every insert and update, and serves no read."""
    return models.ForeignKey("helpdesk.Tenant", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("tenant"), db_index=db_index)


class TenantOwned(models.Model):
    tenant = tenant_key()

    objects = TenantManager()

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        """Django's check of the constraints, except that a clash with a ``(tenant, field)`` unique
        constraint is reported under that field (Django files every multi-field clash under the
        whole record, although the tenant is never the caller's to choose)."""
        errors: dict = {}
        using = router.db_for_write(self.__class__, instance=self)
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    fields = [name for name in getattr(constraint, "fields", ()) if name != "tenant"]
                    if getattr(error, "code", None) in ("unique", "unique_together") and len(fields) == 1:
                        field = model_class._meta.get_field(fields[0])
                        errors.setdefault(fields[0], []).append(ValidationError(
                            _("Another %(model)s of this helpdesk already has this %(field)s.")
                            % {"model": model_class._meta.verbose_name, "field": field.verbose_name},
                            code="unique"))
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class User(AbstractUser):
    """A person who logs in: staff of a tenant (through Membership) or a customer (through Contact)."""

    language = models.CharField(_("language"), max_length=8, blank=True,
                                help_text=_("Empty: the tenant's language."))

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Lower-case letters, digits and hyphens."))
prefix_validator = RegexValidator(r"^[A-Z][A-Z0-9]{1,9}$", _("2–10 capital letters or digits."))


class Tenant(models.Model):
    """A support provider (software vendor). Resolved per request by TenantMiddleware."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    ticket_prefix = models.CharField(_("ticket number prefix"), max_length=10, unique=True,
                                     validators=[prefix_validator])
    domain = models.CharField(_("host name"), max_length=200, blank=True, db_index=True,
                              help_text=_("Requests to this host name are served as this tenant."))
    language = models.CharField(_("default language"), max_length=8, default="pl",
                                choices=[("pl", _("Polish")), ("en", _("English"))])
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Warsaw")
    support_email = models.EmailField(_("support e-mail address"), blank=True)
    escalation_emails = models.JSONField(_("escalation e-mail addresses"), default=list, blank=True)
    default_plan = models.ForeignKey("plans.Plan", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("default plan"),
                                     help_text=_("The plan of organizations without a subscription."))
    admin_second_factor_required = models.BooleanField(
        _("tenant admins must use a second factor"), default=False,
        help_text=_("Tenant admins confirm each login with a code from an authenticator app."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    ADMIN = "admin", _("Tenant admin")
    # Sees the queue, tickets, reports and statements and changes nothing (``console.middleware``):
    # a manager, an accountant checking statements, a trainee.
    VIEWER = "viewer", _("Observer (read only)")


# Roles that change nothing; API tokens are for programs that work, so they are never read-only staff.
READ_ONLY_ROLES = frozenset({Role.VIEWER})
TOKEN_ROLES = [(Role.AGENT.value, Role.AGENT.label), (Role.ADMIN.value, Role.ADMIN.label)]


class Membership(TenantOwned):
    """Staff of a tenant: an agent or a tenant admin."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    on_call = models.BooleanField(_("on call"), default=False,
                                  help_text=_("Paged at once for critical tickets."))
    phone = models.CharField(_("mobile phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_tenant_user_uniq")]
        indexes = [models.Index(fields=["tenant", "role"])]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES


class Organization(TenantOwned):
    """A customer company of a tenant."""

    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(_("external ID"), max_length=100, null=True, blank=True,
                                   help_text=_("The organization's ID in your CRM."))
    tax_id = models.CharField(_("tax ID (NIP)"), max_length=32, blank=True)
    account_manager = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="managed_organizations",
                                        verbose_name=_("account manager"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="organization_tenant_external_id_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "name"]), models.Index(fields=["tenant", "updated_at"])]

    def __str__(self) -> str:
        return self.name


class Contact(TenantOwned):
    """A person at a customer organization. Only contacts authorised to file get normal tickets."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contacts",
                                     verbose_name=_("organization"))
    name = models.CharField(_("name"), max_length=200)
    can_file_tickets = models.BooleanField(
        _("authorised to file tickets"), default=True,
        help_text=_("Tickets from other people of the organization wait in triage."))
    user = models.OneToOneField(User, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="contact", verbose_name=_("portal login"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]
        indexes = [models.Index(fields=["tenant", "organization"]), models.Index(fields=["tenant", "updated_at"])]

    def __str__(self) -> str:
        return self.name


class ContactEmail(TenantOwned):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails",
                                verbose_name=_("contact"))
    email = models.EmailField(_("e-mail address"))

    class Meta:
        verbose_name = _("e-mail address")
        verbose_name_plural = _("e-mail addresses")
        # One address identifies one contact within a tenant (sender lookup of inbound mail).
        constraints = [models.UniqueConstraint("tenant", Lower("email"), name="contactemail_tenant_email_uniq")]

    def __str__(self) -> str:
        return self.email


class ContactPhone(TenantOwned):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones",
                                verbose_name=_("contact"))
    number = models.CharField(_("phone number"), max_length=40,
                              help_text=_("Stored as digits with an optional leading +."))

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="contactphone_tenant_number_uniq")]

    def __str__(self) -> str:
        return self.number


class Heartbeat(models.Model):
    """Last time each background process proved it was alive (shown on the admin index)."""

    name = models.CharField(max_length=40, primary_key=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return self.name


class AuditEvent(TenantOwned):
    """Who changed what, when: plan terms, subscriptions, staff and other tenant settings."""
    tenant = tenant_key(db_index=False)  # its composite index leads with it

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("who"))
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object ID"), max_length=64)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tenant", "-at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


# --- REST API and webhooks ----------------------------------------------------------------------


class ApiToken(TenantOwned):
    """A tenant's API credential. Only a SHA-256 hash of the secret is stored; the token is shown once."""

    name = models.CharField(_("name"), max_length=100, help_text=_("What uses this token, e.g. “CRM sync”."))
    role = models.CharField(_("role"), max_length=16, choices=TOKEN_ROLES, default=Role.AGENT)
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True,
                              help_text=_("The first characters of the token, to recognise it."))
    key_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class IdempotencyKey(TenantOwned):
    """The first response to a POST with an ``Idempotency-Key``, replayed for repeats within 24 h."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True,
                                                       help_text=_("Empty while the first request runs."))
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="idempotencykey_tenant_key_uniq")]

    def __str__(self) -> str:
        return self.key


class WebhookEndpoint(TenantOwned):
    """A URL that receives signed event notifications (Standard Webhooks)."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list, help_text=_("Event types sent to this URL."))
    secret_encrypted = models.TextField(_("signing secret (encrypted)"), editable=False)
    active = models.BooleanField(_("active"), default=True)
    failure_count = models.PositiveIntegerField(_("failed attempts in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled after failures"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful delivery"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "active"])]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantOwned):
    """One event sent to one endpoint, with its attempts."""
    tenant = tenant_key(db_index=False)  # its composite index leads with it

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("delivered")
        FAILED = "failed", _("failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("endpoint"), db_index=False)  # webhookdelivery_event_uniq leads with it
    event_id = models.CharField(_("event ID"), max_length=64)
    event_type = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    request_excerpt = models.TextField(_("request"), blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhookdelivery_event_uniq")]
        indexes = [models.Index(fields=["status", "next_attempt_at"]),
                   models.Index(fields=["tenant", "endpoint", "-id"])]
        # A delivery is written in the transaction of the change it reports (one row per event and
        # endpoint) and marked delivered on its own, so a crash re-sends at most the one in flight.

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class WebhookAttempt(TenantOwned):
    """One HTTP attempt of a webhook delivery: every attempt is kept, not only the last one."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log",
                                 verbose_name=_("delivery"))
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    request_excerpt = models.TextField(_("request"), blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number", "id"]
        indexes = [models.Index(fields=["delivery", "number"], name="webhookattempt_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.status_code or self.error}"


class OutboxMessage(TenantOwned):
    """One outbound message to one recipient (an e-mail, a page, a digest), written in the same
    transaction as the change that causes it and sent by the outbox dispatcher (``core.outbox``).

    ``handler`` names the registered function that renders and sends it; ``message_id`` is stable
    for the row, so the rare second send after a crash carries the same Message-ID.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not sent")
        DEAD = "dead", _("failed for good")

    handler = models.CharField(_("kind"), max_length=60)
    recipient = models.CharField(_("recipient"), max_length=320, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    dedupe_key = models.CharField(_("idempotency key"), max_length=200)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    priority = models.SmallIntegerField(_("priority"), default=0, help_text=_("Higher goes first."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "dedupe_key"], name="outboxmessage_dedupe_uniq")]
        indexes = [
            # The dispatcher reads only what is still to be sent, most urgent first.
            models.Index(fields=["-priority", "next_attempt_at", "id"], condition=models.Q(status="pending"),
                         name="outboxmessage_due_idx"),
            models.Index(fields=["tenant", "status", "-id"], name="outboxmessage_tenant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} → {self.recipient or '—'} ({self.status})"
