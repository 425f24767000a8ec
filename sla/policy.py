"""Which reaction deadline applies to a ticket (RULES 4.1–4.4), from plain inputs.

``reaction_deadline`` takes the effective terms in force at receipt (any object with the attributes
of ``PolicyTerms``; the plans app passes its ``Terms``) and the
facts about the ticket, and returns either a deadline or a reason code with a human message. It
reads no database and no clock: callers pass everything in.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from django.utils.translation import gettext_lazy as _

from sla.calendar import BusinessCalendar


class PolicyTerms(Protocol):
    """What the policy reads of a plan's terms. The engine sits below the plans app and does
    not import it: ``plans.terms.Terms`` satisfies this protocol."""

    billing_mode: str
    service_calendar: dict
    critical_calendar: dict | None
    reaction_minutes: int | None
    critical_reaction_minutes: int | None
    critical_on_days_off: bool
    email_scope: str
    email_limit_minutes: int | None
    warning_percent: int

    def covers_product(self, product: str | None) -> bool: ...

# Reason codes (stable, used by the API and stored on tickets) with their human messages.
GUARANTEED = "guaranteed"
CRITICAL = "critical"
NO_PLAN = "no_plan"
NO_REACTION_TIME = "no_reaction_time"
PHONE_CHANNEL = "phone_channel"
EMAIL_LIMIT_USED = "email_limit_used"
EMAIL_BUGS_ONLY = "email_bugs_only"
OUT_OF_SCOPE = "out_of_scope"
PRODUCT_NOT_COVERED = "product_not_covered"
NO_VALID_PACKAGE = "no_valid_package"
UNVERIFIED_SENDER = "unverified_sender"

REASONS = {
    GUARANTEED: _("Guaranteed reaction time of the plan, counted in its service hours."),
    CRITICAL: _("Critical failure: the plan's critical reaction time, counted in its critical-failure hours."),
    NO_PLAN: _("The organization has no support plan."),
    NO_REACTION_TIME: _("The plan has no guaranteed reaction time."),
    PHONE_CHANNEL: _("Tickets logged from a phone call or a call-back have no guaranteed reaction time."),
    EMAIL_LIMIT_USED: _("This month's limit of guaranteed e-mail support is used up and the ticket is not a bug; "
                        "it will be answered without a guaranteed reaction time."),
    EMAIL_BUGS_ONLY: _("The plan covers bug reports by e-mail only; other questions go to the forum or paid help."),
    OUT_OF_SCOPE: _("The category is outside the plan's scope: the ticket is accepted, marked not covered and "
                    "quoted."),
    PRODUCT_NOT_COVERED: _("The product is not covered by the plan."),
    NO_VALID_PACKAGE: _("No valid hour package: the ticket waits until a package is bought."),
    UNVERIFIED_SENDER: _("The sender is not authorised to file tickets; the clock starts when an agent accepts "
                         "the ticket."),
}

# Channels whose tickets are written records with the e-mail guarantee (RULES 3 decision).
GUARANTEED_CHANNELS = {"email", "portal", "api"}


@dataclass(frozen=True)
class TicketFacts:
    received_at: datetime
    channel: str
    critical: bool = False
    is_bug: bool = False
    in_scope: bool = True
    product: str | None = None
    sender_verified: bool = True
    email_limit_used_minutes: int = 0
    has_valid_package: bool = False


@dataclass(frozen=True)
class Deadline:
    reason: str
    due_at: datetime | None = None
    started_at: datetime | None = None
    warn_at: datetime | None = None
    budget: timedelta | None = None
    calendar: dict | None = None
    # Page the on-call staff at once (KJM emergencies, STANDARD critical reports on days off).
    page_on_call: bool = False

    @property
    def guaranteed(self) -> bool:
        return self.due_at is not None

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])


def reaction_deadline(terms: PolicyTerms | None, facts: TicketFacts) -> Deadline:
    if terms is None:
        return Deadline(NO_PLAN)
    if not facts.sender_verified:
        return Deadline(UNVERIFIED_SENDER)
    if not facts.in_scope:
        return Deadline(OUT_OF_SCOPE)
    if not terms.covers_product(facts.product):
        return Deadline(PRODUCT_NOT_COVERED)
    if terms.billing_mode == "package" and not facts.has_valid_package:
        return Deadline(NO_VALID_PACKAGE)

    if facts.channel not in GUARANTEED_CHANNELS:
        # Whoever took the call has already reacted; there is nothing left to guarantee or page.
        return Deadline(PHONE_CHANNEL)

    service = calendar_from_spec(terms.service_calendar)
    if facts.critical and terms.critical_reaction_minutes and terms.critical_calendar:
        # KJM OPIEKA emergencies: 2 h on the 7:00–22:00 every-day calendar; the on-call staff is
        # paged at once, whatever the hour.
        critical = calendar_from_spec(terms.critical_calendar)
        return _deadline(CRITICAL, critical, facts.received_at, terms.critical_reaction_minutes, terms,
                         page_on_call=True)

    # STANDARD: critical problems may be reported on days off; they page the on-call staff at once,
    # but the deadline still runs on the plan's business hours (RULES 4.4 decision).
    page = facts.critical and terms.critical_on_days_off and is_day_off(service, facts.received_at)
    if facts.channel == "email" and terms.email_scope == "bugs" and not facts.is_bug:
        return Deadline(EMAIL_BUGS_ONLY, page_on_call=page)
    if not terms.reaction_minutes:
        return Deadline(NO_REACTION_TIME, page_on_call=page)
    if (terms.email_limit_minutes is not None and not facts.is_bug
            and facts.email_limit_used_minutes >= terms.email_limit_minutes):
        return Deadline(EMAIL_LIMIT_USED, page_on_call=page)
    return _deadline(GUARANTEED, service, facts.received_at, terms.reaction_minutes, terms, page_on_call=page)


def is_day_off(calendar: BusinessCalendar, at: datetime) -> bool:
    """True when the local day of ``at`` has no open time at all (weekend, holiday, closed date)."""
    local = at.astimezone(calendar.timezone)
    midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=calendar.timezone)
    next_midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(),
                                     tzinfo=calendar.timezone)
    return calendar.between(midnight, next_midnight) == timedelta(0)


def _deadline(reason: str, calendar: BusinessCalendar, received_at: datetime, minutes: int, terms: PolicyTerms,
              *, page_on_call: bool) -> Deadline:
    budget = timedelta(minutes=minutes)
    warn_budget = timedelta(seconds=int(budget.total_seconds() * terms.warning_percent // 100))
    return Deadline(
        reason=reason,
        due_at=calendar.add(received_at, budget),
        started_at=calendar.next_open(received_at),
        warn_at=calendar.add(received_at, warn_budget),
        budget=budget,
        calendar=calendar.to_spec(),
        page_on_call=page_on_call,
    )


def calendar_from_spec(spec: dict) -> BusinessCalendar:
    """Calendars are immutable values: build each distinct spec once per process."""
    return _calendar_cached(json.dumps(spec, sort_keys=True))


@lru_cache(maxsize=256)
def _calendar_cached(key: str) -> BusinessCalendar:
    return BusinessCalendar.from_spec(json.loads(key))
