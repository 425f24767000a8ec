"""A ticket's SLA targets after the reaction (RULES 4.7) and its place in the queue (RULES 4.5).

Three targets, each with a due time, a warning time and a met/missed state:

- **reaction**: the deadline fixed at receipt (``Ticket.due_at``, ``tickets.services``);
- **next reply**: business time from a public message of the customer that needs an answer to
  the agent's next public reply. It runs while the ticket is *open*, after the reaction: a
  reaction by a status change leaves the customer's message unanswered, so the clock starts at
  the reaction. Each start is a new cycle (``reply_cycle``);
- **resolution**: business time from receipt (acceptance, for a ticket out of triage) to
  resolved. It stands still while the ticket waits on the customer or for a package, and while
  it is resolved or closed (a re-opened ticket continues where it stopped). The stretches are
  ``SlaPause`` rows, written by ``status_changed`` whoever changes the status, and the due time
  is recomputed from them by the pure engine (``sla.clock``).

``refresh`` recomputes the targets, ``needs_agent``, ``waiting_since`` and the earliest pending
target (``next_due_at``/``next_due_target``) on the ticket object; the ticket services call it in
the transaction of every change, before they save the ticket.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from django.utils import timezone

from sla import clock, policy
from tickets import hooks
from tickets.models import SlaPause, Ticket

S = Ticket.Status

REACTION = "reaction"
NEXT_REPLY = "next_reply"
RESOLUTION = "resolution"
TARGETS = (REACTION, NEXT_REPLY, RESOLUTION)
TARGET_LABELS = {REACTION: _("reaction"), NEXT_REPLY: _("next reply"), RESOLUTION: _("resolution")}

# The resolution clock waits while the ticket waits on someone else…
PAUSE_STATUSES = frozenset({S.WAITING_CUSTOMER, S.WAITING_PACKAGE})
# …and stands still once resolved or closed (it continues if the ticket is re-opened).
STOPPED_STATUSES = frozenset({S.RESOLVED, S.CLOSED})
CLOCK_STOPPED = PAUSE_STATUSES | STOPPED_STATUSES

# Tickets that the plan does not cover (or that are not accepted yet) have no targets at all.
NO_TARGET_REASONS = frozenset({policy.NO_PLAN, policy.UNVERIFIED_SENDER, policy.OUT_OF_SCOPE,
                               policy.PRODUCT_NOT_COVERED, policy.EMAIL_BUGS_ONLY, policy.EMAIL_LIMIT_USED})


def targets_fix(ticket: Ticket, terms, deadline: policy.Deadline, at: datetime) -> None:
    """Store the next-reply and resolution targets of the terms in force at receipt (``at``).

    They count on the calendar of the reaction deadline (the critical-failure hours for a KJM
    emergency), else on the plan's service hours.
    """
    if (terms is None or deadline.reason in NO_TARGET_REASONS
            or not (terms.next_reply_minutes or terms.resolution_minutes)):
        ticket.sla_targets = None
        return
    ticket.sla_targets = {
        "calendar": deadline.calendar or terms.service_calendar,
        "start": at.isoformat(),
        NEXT_REPLY: terms.next_reply_minutes or None,
        RESOLUTION: terms.resolution_minutes or None,
        "warning_percent": terms.warning_percent,
    }


def status_changed(ticket: Ticket, old: str | None, new: str, at: datetime) -> None:
    """Open or close the ticket's pause as its status enters or leaves a state that stops the clock."""
    was, now = old in CLOCK_STOPPED, new in CLOCK_STOPPED
    if was and not now:
        SlaPause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=at)
    elif now and not was:
        SlaPause.objects.create(tenant_id=ticket.tenant_id, ticket=ticket, status=new, started_at=at)
    elif was and now and old != new:
        # From waiting to resolved, say: one pause ends where the next begins (the clock stays stopped).
        SlaPause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=at)
        SlaPause.objects.create(tenant_id=ticket.tenant_id, ticket=ticket, status=new, started_at=at)


def pauses_of(ticket: Ticket) -> list[clock.Pause]:
    if ticket.pk is None:
        return []
    return list(SlaPause.objects.filter(ticket_id=ticket.pk).order_by("started_at", "id")
                .values_list("started_at", "ended_at"))


def _budgets(ticket: Ticket, name: str) -> tuple[timedelta, timedelta] | None:
    targets = ticket.sla_targets or {}
    minutes = targets.get(name)
    if not minutes:
        return None
    budget = timedelta(minutes=minutes)
    percent = targets.get("warning_percent") or 75
    return budget, timedelta(seconds=int(budget.total_seconds() * percent // 100))


def refresh(ticket: Ticket, at: datetime, pauses: list[clock.Pause] | None = None) -> None:
    """Recompute the targets, the queue group and the next due time of ``ticket`` (not saved)."""
    targets = ticket.sla_targets
    calendar = policy.calendar_from_spec(targets["calendar"]) if targets else None

    if ticket.status in CLOCK_STOPPED:
        # The ball is in someone else's court: what the customer said before is handled; their next
        # message starts a new wait.
        ticket.customer_waiting_since = None
    # Next reply: a customer's message waits for an answer on an open ticket already reacted to.
    budgets = _budgets(ticket, NEXT_REPLY)
    start = None
    if budgets and ticket.status == S.OPEN and ticket.customer_waiting_since and ticket.reacted_at:
        start = max(ticket.customer_waiting_since, ticket.reacted_at)
    if start is None:
        if ticket.reply_started_at and not ticket.reply_met_at and not ticket.reply_breached_at:
            # The ticket left the state in which it owed a reply: the clock is off, no cycle recorded.
            ticket.reply_started_at = ticket.reply_due_at = ticket.reply_warn_at = None
    elif start != ticket.reply_started_at:
        ticket.reply_cycle += 1
        ticket.reply_started_at = start
        ticket.reply_due_at = calendar.add(start, budgets[0])
        ticket.reply_warn_at = calendar.add(start, budgets[1])
        ticket.reply_met_at = ticket.reply_breached_at = None

    # Resolution: from receipt, across the pauses.
    budgets = _budgets(ticket, RESOLUTION)
    if budgets:
        if pauses is None:
            pauses = pauses_of(ticket)
        began = datetime.fromisoformat(targets["start"])
        ticket.resolution_due_at = clock.due_at(calendar, began, budgets[0], pauses)
        ticket.resolution_warn_at = clock.due_at(calendar, began, budgets[1], pauses)
        if (ticket.status in STOPPED_STATUSES and ticket.resolution_due_at is not None
                and ticket.resolution_breached_at is None):
            # Resolved after the due time, before the monitor saw it: missed at the due time.
            ticket.resolution_breached_at = ticket.resolution_due_at
            hooks.sla_breached(ticket=ticket, found_at=timezone.now(), target=RESOLUTION)
    else:
        ticket.resolution_due_at = ticket.resolution_warn_at = None

    # The queue (RULES 4.5).
    needs_agent = ticket.status in (S.TRIAGE, S.NEW) or (
        ticket.status == S.OPEN and ticket.customer_waiting_since is not None)
    if needs_agent:
        ticket.waiting_since = ticket.customer_waiting_since or ticket.received_at
    elif ticket.needs_agent or ticket.waiting_since is None:
        ticket.waiting_since = at
    ticket.needs_agent = needs_agent
    ticket.next_due_target, ticket.next_due_at = next_due(ticket)


def pending(ticket: Ticket) -> dict[str, datetime]:
    """The targets still to be met, with their due times (past ones included: they are missed)."""
    due: dict[str, datetime] = {}
    if ticket.reacted_at is None and ticket.due_at is not None and ticket.sla_state in (
            Ticket.SlaState.RUNNING, Ticket.SlaState.BREACHED):
        due[REACTION] = ticket.due_at
    if ticket.reply_due_at is not None and ticket.reply_met_at is None and ticket.reply_started_at is not None:
        due[NEXT_REPLY] = ticket.reply_due_at
    if (ticket.resolution_due_at is not None and ticket.resolved_at is None
            and ticket.status not in STOPPED_STATUSES):
        due[RESOLUTION] = ticket.resolution_due_at
    return due


def next_due(ticket: Ticket) -> tuple[str, datetime | None]:
    due = pending(ticket)
    if not due:
        return "", None
    name = min(due, key=lambda n: (due[n], TARGETS.index(n)))
    return name, due[name]


@dataclass(frozen=True)
class TargetState:
    """One target of one ticket as the pages and the API show it."""

    target: str
    due_at: datetime | None
    paused: bool
    met_at: datetime | None
    breached_at: datetime | None

    @property
    def label(self) -> str:
        return str(TARGET_LABELS[self.target])

    def late_by(self, now: datetime) -> timedelta | None:
        """How late it was met, or how long it has been missed so far; None when not missed."""
        if self.due_at is None:
            return None
        end = self.met_at or now
        if self.breached_at is None and end <= self.due_at:
            return None
        return max(end - self.due_at, timedelta(0))


def states(ticket: Ticket) -> list[TargetState]:
    """The ticket's targets (only those the terms set), in the order reaction, next reply, resolution."""
    rows = []
    if ticket.due_at is not None:
        breached = ticket.breached_at if ticket.sla_state == Ticket.SlaState.BREACHED else None
        rows.append(TargetState(REACTION, ticket.due_at, False, ticket.reacted_at, breached))
    targets = ticket.sla_targets or {}
    if targets.get(NEXT_REPLY):
        rows.append(TargetState(NEXT_REPLY, ticket.reply_due_at, False, ticket.reply_met_at,
                                ticket.reply_breached_at))
    if targets.get(RESOLUTION):
        stopped = ticket.status in STOPPED_STATUSES
        rows.append(TargetState(RESOLUTION, ticket.resolution_due_at if not stopped or
                                ticket.resolution_breached_at else None,
                                ticket.status in PAUSE_STATUSES,
                                ticket.resolved_at if stopped else None, ticket.resolution_breached_at))
    return rows
