"""Tickets, their messages, attachments and history."""
from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Contact, Membership, Organization, Tenant, TenantManager, TenantOwned, User, tenant_key
from plans.models import Plan, PlanTerms, Product, code_validator


class Category(TenantOwned):
    """Kind of matter. Says whether it counts as a bug (RULES 4.3) and whether the plans cover it."""

    code = models.SlugField(_("code"), max_length=40, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    is_bug = models.BooleanField(_("counts as a bug"), default=False,
                                 help_text=_("Bugs keep the reaction guarantee after the e-mail limit is used up."))
    in_scope = models.BooleanField(_("covered by the plans"), default=True,
                                   help_text=_("Out-of-scope tickets are accepted, marked not covered and quoted."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="category_tenant_code_uniq")]

    def __str__(self) -> str:
        return self.name


class TicketCounter(models.Model):
    """Per-tenant ticket numbers (KJM-1042), handed out under a row lock."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True)
    last_number = models.PositiveIntegerField(default=1000)

    objects = TenantManager()

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.last_number}"


class Ticket(TenantOwned):
    tenant = tenant_key(db_index=False)  # ticket_tenant_number_uniq leads with it

    class Status(models.TextChoices):
        TRIAGE = "triage", _("triage")
        NEW = "new", _("new")
        OPEN = "open", _("in progress")
        WAITING_CUSTOMER = "waiting_customer", _("waiting for customer")
        WAITING_PACKAGE = "waiting_package", _("waiting for package")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        PORTAL = "portal", _("portal")
        API = "api", _("API")
        PHONE = "phone", _("phone")

    class SlaState(models.TextChoices):
        RUNNING = "running", _("running")
        MET = "met", _("met")
        BREACHED = "breached", _("breached")
        NONE = "none", _("no guarantee")

    class Coverage(models.TextChoices):
        COVERED = "covered", _("covered by the plan")
        NOT_COVERED = "not_covered", _("not covered — to be quoted")

    ACTIVE_STATUSES = (Status.TRIAGE, Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_PACKAGE)

    number = models.PositiveIntegerField(_("number"))
    subject = models.CharField(_("subject"), max_length=250)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="tickets", verbose_name=_("organization"))
    # Indexed by ticket_contact_received_idx, which it leads.
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
                                verbose_name=_("contact"), db_index=False)
    requester_email = models.EmailField(_("requester e-mail"), blank=True)
    requester_name = models.CharField(_("requester name"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("product"))
    critical = models.BooleanField(_("critical"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    coverage = models.CharField(_("coverage"), max_length=12, choices=Coverage.choices, default=Coverage.COVERED)
    assignee = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="assigned_tickets", verbose_name=_("assignee"))
    external_id = models.CharField(_("external ID"), max_length=100, null=True, blank=True)

    # The plan and terms version in force at receipt: the deadline never moves when terms change.
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("plan"))
    terms = models.ForeignKey(PlanTerms, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("terms version"))
    queue_priority = models.SmallIntegerField(_("queue priority"), default=0)

    received_at = models.DateTimeField(_("received"))
    sla_state = models.CharField(_("SLA"), max_length=10, choices=SlaState.choices, default=SlaState.NONE)
    sla_reason = models.CharField(_("SLA reason"), max_length=40, blank=True)
    sla_started_at = models.DateTimeField(_("SLA clock started"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning due"), null=True, blank=True)
    due_at = models.DateTimeField(_("reaction due"), null=True, blank=True)
    reacted_at = models.DateTimeField(_("reacted"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    paged_at = models.DateTimeField(_("on-call paged"), null=True, blank=True)

    # Targets beyond the reaction (RULES 4.7), fixed at receipt like the reaction deadline:
    # {"calendar": spec, "next_reply": minutes | None, "resolution": minutes | None, "warning_percent": n}.
    sla_targets = models.JSONField(_("SLA targets"), null=True, blank=True, editable=False)
    # The first public message of the customer that no public reply of an agent has answered yet.
    customer_waiting_since = models.DateTimeField(_("customer waiting since"), null=True, blank=True)
    reply_started_at = models.DateTimeField(_("next reply clock started"), null=True, blank=True)
    # Database defaults too: the release still serving during an upgrade inserts tickets without them.
    reply_cycle = models.PositiveIntegerField(_("next reply cycle"), default=0, db_default=0)
    reply_warn_at = models.DateTimeField(_("next reply warning due"), null=True, blank=True)
    reply_due_at = models.DateTimeField(_("next reply due"), null=True, blank=True)
    reply_met_at = models.DateTimeField(_("next reply given"), null=True, blank=True)
    reply_breached_at = models.DateTimeField(_("next reply missed"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(_("resolution warning due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolution_breached_at = models.DateTimeField(_("resolution missed"), null=True, blank=True)
    # The queue (RULES 4.5): whether an agent has to act now, since when the ticket waits in its
    # group, and the earliest pending target. Recomputed in the transaction of every change.
    needs_agent = models.BooleanField(_("needs an agent now"), default=True, db_default=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    next_due_target = models.CharField(_("next due target"), max_length=12, blank=True, default="", db_default="")

    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # A ticket merged into another (``tickets.merge``) is closed and points at it: its page, its
    # reference and replies to its e-mails lead there. Indexed (partial) by migration 0010.
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, db_index=False,
                                    related_name="merged_from", verbose_name=_("merged into ticket"))
    merged_at = models.DateTimeField(_("merged on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="ticket_tenant_number_uniq"),
            models.UniqueConstraint(fields=["tenant", "external_id"], name="ticket_tenant_external_id_uniq"),
        ]
        indexes = [
            # The default queue (RULES 4.5): needs an agent now, critical, plan priority, next due
            # (none last: PostgreSQL sorts NULLs last in an ascending index), waiting since.
            models.Index(F("tenant"), F("needs_agent").desc(), F("critical").desc(), F("queue_priority").desc(),
                         F("next_due_at").asc(), F("waiting_since").asc(), F("id").asc(),
                         name="ticket_agent_queue_idx",
                         condition=Q(status__in=["triage", "new", "open", "waiting_customer", "waiting_package"])),
            # Running targets after the reaction, for the monitor.
            models.Index(fields=["reply_due_at"],
                         condition=Q(reply_due_at__isnull=False, reply_met_at__isnull=True,
                                     reply_breached_at__isnull=True),
                         name="ticket_reply_due_idx"),
            models.Index(fields=["resolution_due_at"],
                         condition=Q(resolution_due_at__isnull=False, resolution_breached_at__isnull=True,
                                     resolved_at__isnull=True), name="ticket_resolution_due_idx"),
            # The queue filtered to one status (closed, waiting…), in the same order.
            models.Index(F("tenant"), F("status"), F("needs_agent").desc(), F("critical").desc(),
                         F("queue_priority").desc(), F("next_due_at").asc(), F("waiting_since").asc(), F("id").asc(),
                         name="ticket_status_agent_queue_idx"),
            models.Index(fields=["tenant", "organization", "-received_at"], name="ticket_org_received_idx"),
            # The requester's other tickets on the ticket page, newest first (and the contact's key).
            models.Index(fields=["contact", "-received_at"], name="ticket_contact_received_idx"),
            models.Index(fields=["tenant", "assignee", "status"], name="ticket_assignee_idx"),
            models.Index(fields=["tenant", "updated_at"], name="ticket_updated_idx"),
            # The search over every status sorted newest first.
            models.Index(fields=["tenant", "-received_at"], name="ticket_received_idx"),
            # The SLA monitor reads only running SLAs that are due: partial indexes keep it cheap.
            models.Index(fields=["due_at"], condition=Q(sla_state="running"), name="ticket_sla_due_idx"),
            models.Index(fields=["warn_at"], condition=Q(sla_state="running", warned_at__isnull=True),
                         name="ticket_sla_warn_idx"),
            # Pages not yet confirmed as sent are looked for among paged tickets only.
            models.Index(fields=["paged_at"], condition=Q(paged_at__isnull=False), name="ticket_paged_idx"),
            # The tickets merged into one (few: only merged tickets are in it).
            models.Index(fields=["merged_into"], condition=Q(merged_into__isnull=False), name="ticket_merged_into_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"{self.tenant.ticket_prefix}-{self.number}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class SlaPause(TenantOwned):
    """A stretch of time in which the resolution clock of a ticket stood still (RULES 4.7).

    Written whenever the status enters or leaves a waiting state, whoever changes it; ``ended_at``
    is empty while the pause lasts. The due time is recomputed from these rows, so changing the
    plan or the terms never loses a pause.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_pauses",
                               verbose_name=_("ticket"))
    status = models.CharField(_("status"), max_length=20, choices=Ticket.Status.choices)
    started_at = models.DateTimeField(_("paused"))
    ended_at = models.DateTimeField(_("resumed"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA pause")
        verbose_name_plural = _("SLA pauses")
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["ticket", "started_at"], name="slapause_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.status} {self.started_at:%Y-%m-%d %H:%M}"


class Message(TenantOwned):
    tenant = tenant_key(db_index=False)  # message_tenant_msgid_uniq leads with it

    class Source(models.TextChoices):
        PORTAL = "portal", _("portal")
        EMAIL = "email", _("e-mail")
        AGENT = "agent", _("agent")
        API = "api", _("API")
        SYSTEM = "system", _("system")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket"),
                               db_index=False)  # the (ticket, …) index below leads with it
    author_user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("author"))
    author_contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("contact"))
    author_name = models.CharField(_("author name"), max_length=200, blank=True)
    from_staff = models.BooleanField(_("from staff"), default=False)
    from_email = models.EmailField(_("sender"), blank=True)
    # For e-mail: the new part of the message (the trailing quoted history cut off); body_full is the
    # whole text as received. Both are shown: the history is one click away.
    body = models.TextField(_("text"))
    body_full = models.TextField(_("full text as received"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    # The e-mail's subject, whole; the ticket's subject may be shortened for lists.
    subject = models.TextField(_("subject"), blank=True)
    internal = models.BooleanField(_("internal note"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    email_message_id = models.CharField(_("Message-ID"), max_length=255, null=True, blank=True)
    # Not auto_now_add: an e-mail keeps the time it was received, an imported reply its own time.
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "email_message_id"], name="message_tenant_msgid_uniq"),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.body[:40]}"

    @property
    def quoted_text(self) -> str:
        """What ``body`` leaves out of the message as received (the quoted history), or ''."""
        full = self.body_full.strip()
        if not full or full == self.body.strip():
            return ""
        if full.startswith(self.body.strip()):
            return full[len(self.body.strip()):].strip("\n")
        return full


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.tenant_id}/{instance.ticket_id}/{filename}"


class TicketSearch(TenantOwned):
    """A ticket's searchable text, folded and stemmed (``core.text``), kept in step by ``tickets.search``.

    ``head_terms``: reference, subject, requester, organization, contact; ``body_terms``: every
    message, public and internal (the search is the agents'). The full-text engines sit on top of it
    (PostgreSQL: a generated ``tsvector`` with a GIN index; SQLite: an FTS5 table), created by
    migration 0007 per database vendor.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="+")
    tenant_token = models.CharField(max_length=24)
    head_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)

    class Meta:
        verbose_name = _("ticket search text")
        verbose_name_plural = _("ticket search texts")


class TicketPresence(TenantOwned):
    """An agent has the ticket's page open (``seen_at``, renewed by the page's polling) and was typing a
    message at ``typing_at``. Other agents on the page see both (``tickets.presence``)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    typing_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "membership"], name="presence_ticket_member_uniq")]
        indexes = [models.Index(fields=["ticket", "seen_at"])]


class Attachment(TenantOwned):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments",
                               verbose_name=_("ticket"))
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("message"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    inline = models.BooleanField(_("inline image"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class TicketEvent(TenantOwned):
    """The history of a ticket: who did what, when."""

    # Indexed by (ticket, at) below, which serves every read by ticket.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"),
                               db_index=False)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("who"))
    kind = models.CharField(_("event"), max_length=40)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket history")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class CannedReply(TenantOwned):
    """A ready answer an agent inserts into a reply (Markdown): the team's, or one agent's own."""

    class Visibility(models.TextChoices):
        TEAM = "team", _("the whole team")
        PERSONAL = "personal", _("only its author")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    visibility = models.CharField(_("visible to"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.TEAM, db_default=Visibility.TEAM)
    owner = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                              verbose_name=_("author"))
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]
        constraints = [models.CheckConstraint(
            condition=Q(visibility="team") | Q(owner__isnull=False), name="cannedreply_personal_has_owner")]

    def __str__(self) -> str:
        return self.title


class Mailbox(TenantOwned):
    """A support mailbox polled over IMAP. The password is stored encrypted (Fernet, key from SECRET_KEY)."""

    class Security(models.TextChoices):
        TLS = "tls", _("TLS (IMAPS)")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("none (trusted network only)")

    name = models.CharField(_("name"), max_length=100)
    host = models.CharField(_("IMAP server"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("connection security"), max_length=10, choices=Security.choices,
                                default=Security.TLS)
    username = models.CharField(_("user name"), max_length=200)
    password_encrypted = models.TextField(_("password (encrypted)"), blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    robot_addresses = models.TextField(
        _("form and robot addresses"), blank=True,
        help_text=_("One per line: senders (web forms, shop systems) whose message is on behalf of the address "
                    "in Reply-To, which becomes the requester. \"@domain\" covers a whole domain."))
    processed_folder = models.CharField(
        _("folder for processed mail"), max_length=200, blank=True,
        help_text=_("Empty: processed messages stay in the folder and are marked as read."))
    active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # A poll holds the mailbox until this time, so two workers never read it at once.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="mailbox_tenant_name_uniq")]

    def __str__(self) -> str:
        return self.name

    def robots(self) -> set[str]:
        return {line.strip().lower() for line in (self.robot_addresses or "").replace(",", "\n").splitlines()
                if "@" in line}

    @property
    def password(self) -> str:
        from tickets.email.crypto import secret_decrypt

        return secret_decrypt(self.password_encrypted) if self.password_encrypted else ""

    @password.setter
    def password(self, value: str) -> None:
        from tickets.email.crypto import secret_encrypt

        self.password_encrypted = secret_encrypt(value) if value else ""


class InboundEmail(TenantOwned):
    """Every message received, raw, with what became of it. Nothing a customer sent is lost."""
    tenant = tenant_key(db_index=False)  # its unique constraint and indexes lead with it

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSED = "processed", _("processed")
        QUARANTINED = "quarantined", _("quarantined")
        DISCARDED = "discarded", _("discarded")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("mailbox"))
    raw = models.BinaryField(_("original message"))
    raw_sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveIntegerField(_("size"), default=0)
    email_message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    from_email = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    received_at = models.DateTimeField(_("received"))
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    reason = models.TextField(_("reason"), blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("ticket"))
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("message"))

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mail")
        ordering = ["-received_at", "-id"]
        constraints = [
            # The same bytes delivered twice (MTA retry, IMAP re-poll) are one record.
            models.UniqueConstraint(fields=["tenant", "raw_sha256"], name="inboundemail_tenant_sha_uniq"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-received_at"], name="inboundemail_status_idx"),
            models.Index(fields=["tenant", "email_message_id"], name="inboundemail_msgid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject}"


class OutboundEmail(TenantOwned):
    """A message the system mailed: its Message-ID threads the customer's replies back to the ticket."""
    tenant = tenant_key(db_index=False)  # its unique constraints lead with it

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "ack", _("acknowledgement")
        REPLY = "reply", _("reply")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        SUPPRESSED = "suppressed", _("not sent")
        FAILED = "failed", _("failed")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="outbound_emails",
                               verbose_name=_("ticket"))
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("message"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # "ack:<ticket id>" / "reply:<message id>": one e-mail per event however often the task runs.
    dedupe_key = models.CharField(max_length=100, editable=False)
    email_message_id = models.CharField(_("Message-ID"), max_length=255)
    to_email = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mail")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dedupe_key"], name="outboundemail_tenant_dedupe_uniq"),
            models.UniqueConstraint(fields=["tenant", "email_message_id"], name="outboundemail_tenant_msgid_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "to_email", "kind", "created_at"], name="outboundemail_rate_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.to_email}: {self.subject}"


class EmailTemplate(TenantOwned):
    """A tenant's own wording of a customer notification in one language (``tickets.email.wording``).

    Subject and body use only the ``{{ placeholder }}`` names listed for the kind; without a row the
    product's default text is sent."""

    kind = models.CharField(_("notification"), max_length=10, choices=OutboundEmail.Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=[("pl", _("Polish")), ("en", _("English"))])
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "language"],
                                               name="emailtemplate_tenant_kind_lang_uniq")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"
class SavedView(TenantOwned):
    """A filter and sort of the agent queue kept under a name (``tickets.saved_views``).

    ``owner`` set: the agent's own view, which nobody else sees; empty: a team view, shown to every
    agent of the tenant (created by an admin, or shared by its owner). ``query`` is the queue's query
    string as the filter form validated and normalised it, never SQL.
    """

    owner = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                              verbose_name=_("owner"))
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "owner", "position"], name="savedview_owner_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_team(self) -> bool:
        return self.owner_id is None


class TicketSeen(TenantOwned):
    """When an agent last opened a ticket's page; ``marked_unread`` when the agent asked to see it as
    unread again (``tickets.unread``)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    marked_unread = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "ticket"], name="ticketseen_member_ticket_uniq")]


class Notification(TenantOwned):
    """Something an agent should know about a ticket, shown under the bell (``tickets.notifications``).

    Written in the transaction of its cause: an assignment, a mention in an internal note, a reply of
    the customer, an SLA warning or breach recorded by the monitor.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("assigned to you")
        MENTIONED = "mentioned", _("mentioned in a note")
        CUSTOMER_REPLY = "customer_reply", _("the customer replied")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACH = "sla_breach", _("SLA breached")

    recipient = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("who"))
    # The SLA target of a warning or breach (reaction, next_reply, resolution); empty otherwise.
    target = models.CharField(_("target"), max_length=12, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_list_idx"),
            # The bell's count reads only the unread ones.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.ticket_id}"


class ListVersion(models.Model):
    """How many committed transactions have changed what the ticket lists show of a tenant: tickets,
    their messages, SLA pauses, agents' seen markers and saved views, contacts' names
    (``tickets.list_cache``).

    Kept by database triggers (migration 0015), not by Django: every write counts, ``update()``,
    ``bulk_create`` and raw SQL included. On PostgreSQL the trigger is deferred to the commit and
    counts a transaction once, so the row is locked only while a transaction commits and its new
    number becomes visible with the change itself. No foreign key: a tenant's deletion deletes its
    tickets, whose triggers still write here."""

    tenant_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)
    txid = models.BigIntegerField(default=0)  # the transaction that counted last (PostgreSQL)

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.version}"
