"""What the SLA monitor recorded: warnings, breaches and pages, each once; tasks that gave up."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TenantOwned, tenant_key


class SlaEvent(TenantOwned):
    """One warning, breach or page of one target of one ticket, in one cycle.

    Targets (RULES 4.7): the reaction, the next reply (one cycle per reply owed, ``Ticket.reply_cycle``)
    and the resolution (one cycle). The unique (ticket, kind, target, cycle) constraint is what makes
    the monitor exactly-once: however many
    workers scan at the same time, a second insert of the same event is refused by the database.
    Notification is a separate step: the scan's digest step puts every event that is in no digest
    yet into one outbox message per recipient and sets ``notified_at`` in the same transaction; the
    outbox dispatcher sends each message on its own (``core.outbox``).
    """

    class Kind(models.TextChoices):
        WARNING = "warning", _("warning")
        BREACH = "breach", _("breach")
        PAGE = "page", _("on-call page")

    # No indexes of their own: slaevent_tenant_kind_at_idx leads with the tenant and the unique
    # constraint with the ticket (a scan writes thousands of events; each index costs every insert).
    tenant = tenant_key(db_index=False)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events",
                               verbose_name=_("ticket"), db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Database defaults too: a monitor of the release before records reaction events without them.
    target = models.CharField(_("target"), max_length=12, default="reaction", db_default="reaction",
                              help_text=_("reaction, next_reply or resolution"))
    cycle = models.PositiveIntegerField(_("cycle"), default=1, db_default=1)
    # When it happened by the rules (warn_at, due_at, paged_at), not when the monitor noticed.
    at = models.DateTimeField(_("time"))
    recorded_at = models.DateTimeField(_("recorded"))
    # The delivery lease of the release before the outbox. Unused now; kept one release so that a
    # worker of the previous version still running during an upgrade finds its columns. Drop them in
    # the next release's migration (with ``deploy_contract``).
    claim = models.UUIDField(_("delivery claim"), null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("delivery claimed"), null=True, blank=True)
    # A warning recorded only once the deadline had passed too (together with the breach).
    late = models.BooleanField(_("late"), default=False)
    # When the event was put into the recipients' digests (outbox messages), not when they were sent.
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "kind", "target", "cycle"],
                                               name="slaevent_ticket_target_cycle_uniq")]
        indexes = [
            models.Index(fields=["tenant", "kind", "at"], name="slaevent_tenant_kind_at_idx"),
            # Delivery reads only what is still to be sent.
            models.Index(fields=["recorded_at"], condition=Q(notified_at__isnull=True),
                         name="slaevent_undelivered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class FailedTask(models.Model):
    """A background task that exhausted its retries: kept for an operator to read and re-run."""

    task_name = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task ID"), max_length=64, blank=True)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    exception = models.TextField(_("exception"))
    traceback = models.TextField(_("traceback"), blank=True)
    retries = models.PositiveSmallIntegerField(_("retries"), default=0)
    failed_at = models.DateTimeField(_("failed"), db_index=True)

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        ordering = ["-failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_name} {self.failed_at:%Y-%m-%d %H:%M}"


class SlaReport(SlaEvent):
    """The SLA report as an entry of the admin index (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("SLA report")
        verbose_name_plural = _("SLA report")
