"""The reaction-deadline policy (RULES 4.1–4.4) on the demo catalogue's terms."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from helpdesk.management.commands.seed_demo import seed
from core.models import Tenant
from plans.models import Plan
from plans.selectors import plan_terms_in_force, terms_values
from plans.terms import terms_from_values
from sla import policy
from sla.policy import TicketFacts, reaction_deadline

WAW = ZoneInfo("Europe/Warsaw")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def terms(db):
    seed()

    def get(tenant: str, plan: str, **changes):
        tenant_obj = Tenant.objects.get(slug=tenant)
        row = plan_terms_in_force(tenant=tenant_obj, plan=Plan.objects.get(tenant=tenant_obj, code=plan),
                                  on=at("2026-06-01T00:00:00+02:00").date())
        return terms_from_values(terms_values(row)).with_changes(**changes)

    return get


def facts(received: str, **kw) -> TicketFacts:
    return TicketFacts(received_at=at(received), channel=kw.pop("channel", "email"), **kw)


def test_email_plan_worked_examples(terms):
    email = terms("wysylki", "email")
    # Given a ticket on Monday 14:00, when 12 business hours (9–15) elapse, then Wednesday 14:00.
    assert reaction_deadline(email, facts("2026-11-23T14:00:00+01:00")).due_at == at("2026-11-25T14:00:00+01:00")
    # Friday 16:30 → the clock starts Monday 9:00 → due Tuesday 15:00.
    assert reaction_deadline(email, facts("2026-11-27T16:30:00+01:00")).due_at == at("2026-12-01T15:00:00+01:00")
    # Christmas: 24, 25, 26 December closed.
    assert reaction_deadline(email, facts("2026-12-23T14:00:00+01:00")).due_at == at("2026-12-29T14:00:00+01:00")


def test_deadline_has_clock_start_and_warning_at_75_percent(terms):
    deadline = reaction_deadline(terms("wysylki", "standard"), facts("2026-11-20T16:30:00+01:00"))
    # STANDARD 7–17, 4 h: 30 min on Friday, 3.5 h on Monday.
    assert deadline.reason == policy.GUARANTEED
    assert deadline.started_at == at("2026-11-20T16:30:00+01:00")
    assert deadline.due_at == at("2026-11-23T10:30:00+01:00")
    # 75 % of 4 h = 3 h: 30 min Friday + 2.5 h Monday.
    assert deadline.warn_at == at("2026-11-23T09:30:00+01:00")


def test_after_hours_arrival_starts_at_next_opening(terms):
    deadline = reaction_deadline(terms("wysylki", "start"), facts("2026-11-21T11:00:00+01:00"))  # Saturday
    assert deadline.started_at == at("2026-11-23T08:00:00+01:00")
    assert deadline.due_at == at("2026-11-23T16:00:00+01:00")  # 8 h on an 8–16 day


def test_opieka_critical_runs_on_the_7_22_calendar_across_dst(terms):
    deadline = reaction_deadline(terms("kjm", "opieka"), facts("2026-03-28T21:30:00+01:00", critical=True))
    assert deadline.reason == policy.CRITICAL
    assert deadline.due_at == at("2026-03-29T08:30:00+02:00")
    assert deadline.page_on_call


def test_opieka_critical_on_a_holiday_still_counts(terms):
    # 25 December: the critical calendar (7–22 every day) ignores holidays.
    deadline = reaction_deadline(terms("kjm", "opieka"), facts("2026-12-25T10:00:00+01:00", critical=True))
    assert deadline.due_at == at("2026-12-25T12:00:00+01:00")


def test_opieka_non_critical_has_no_reaction_time(terms):
    deadline = reaction_deadline(terms("kjm", "opieka"), facts("2026-11-23T10:00:00+01:00"))
    assert (deadline.due_at, deadline.reason) == (None, policy.NO_REACTION_TIME)


def test_pakiet_without_a_package_waits(terms):
    deadline = reaction_deadline(terms("kjm", "pakiet"), facts("2026-11-23T10:00:00+01:00"))
    assert (deadline.due_at, deadline.reason) == (None, policy.NO_VALID_PACKAGE)


def test_pakiet_with_a_package_has_no_guarantee(terms):
    deadline = reaction_deadline(terms("kjm", "pakiet"), facts("2026-11-23T10:00:00+01:00", has_valid_package=True))
    assert (deadline.due_at, deadline.reason) == (None, policy.NO_REACTION_TIME)


def test_community_email_that_is_not_a_bug_goes_to_the_forum(terms):
    deadline = reaction_deadline(terms("wysylki", "community"), facts("2026-11-23T10:00:00+01:00"))
    assert deadline.reason == policy.EMAIL_BUGS_ONLY
    bug = reaction_deadline(terms("wysylki", "community"), facts("2026-11-23T10:00:00+01:00", is_bug=True))
    assert (bug.due_at, bug.reason) == (None, policy.NO_REACTION_TIME)


@pytest.mark.parametrize("channel", ["email", "portal", "api"])
def test_written_channels_get_the_guarantee(terms, channel):
    deadline = reaction_deadline(terms("wysylki", "email"), facts("2026-11-23T10:00:00+01:00", channel=channel))
    # 9–15: 5 h on Monday, 6 h on Tuesday, 1 h on Wednesday.
    assert deadline.due_at == at("2026-11-25T10:00:00+01:00")


def test_phone_tickets_have_no_guarantee(terms):
    deadline = reaction_deadline(terms("wysylki", "standard"), facts("2026-11-23T10:00:00+01:00", channel="phone"))
    assert (deadline.due_at, deadline.reason) == (None, policy.PHONE_CHANNEL)


def test_email_limit_used_up_drops_the_guarantee_for_non_bugs_only(terms):
    start = terms("wysylki", "start")  # limit 8 h
    used = facts("2026-11-23T10:00:00+01:00", email_limit_used_minutes=8 * 60)
    assert reaction_deadline(start, used).reason == policy.EMAIL_LIMIT_USED
    bug = facts("2026-11-23T10:00:00+01:00", email_limit_used_minutes=8 * 60, is_bug=True)
    assert reaction_deadline(start, bug).due_at == at("2026-11-24T10:00:00+01:00")  # 6 h Mon + 2 h Tue
    assert reaction_deadline(start, bug).reason == policy.GUARANTEED
    almost = facts("2026-11-23T10:00:00+01:00", email_limit_used_minutes=8 * 60 - 1)
    assert reaction_deadline(start, almost).reason == policy.GUARANTEED


def test_out_of_scope_and_uncovered_product(terms):
    assert reaction_deadline(terms("wysylki", "standard"),
                             facts("2026-11-23T10:00:00+01:00", in_scope=False)).reason == policy.OUT_OF_SCOPE
    opieka = terms("kjm", "opieka")
    assert reaction_deadline(opieka, facts("2026-11-23T10:00:00+01:00", critical=True, product="hurtownia")
                             ).reason == policy.PRODUCT_NOT_COVERED
    assert reaction_deadline(opieka, facts("2026-11-23T10:00:00+01:00", critical=True, product="soot")
                             ).reason == policy.CRITICAL


def test_standard_critical_on_a_day_off_pages_but_runs_on_business_hours(terms):
    standard = terms("wysylki", "standard")
    deadline = reaction_deadline(standard, facts("2026-11-21T11:00:00+01:00", critical=True))  # Saturday
    assert deadline.page_on_call
    assert deadline.due_at == at("2026-11-23T11:00:00+01:00")  # Monday 7:00 + 4 h
    weekday_evening = reaction_deadline(standard, facts("2026-11-23T19:00:00+01:00", critical=True))
    assert not weekday_evening.page_on_call
    not_critical = reaction_deadline(standard, facts("2026-11-21T11:00:00+01:00"))
    assert not not_critical.page_on_call


def test_unverified_sender_and_no_plan(terms):
    assert reaction_deadline(terms("wysylki", "email"), facts("2026-11-23T10:00:00+01:00", sender_verified=False)
                             ).reason == policy.UNVERIFIED_SENDER
    assert reaction_deadline(None, facts("2026-11-23T10:00:00+01:00")).reason == policy.NO_PLAN


def test_every_reason_has_a_message():
    for code in policy.REASONS:
        assert str(policy.Deadline(code).message)
