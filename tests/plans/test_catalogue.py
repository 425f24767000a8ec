"""The demo catalogue matches RULES.md section 2 cell by cell, read as the terms in force.

Each cell of both tables is one test, named ``<tenant>:<plan>:<term>``, so a failure names the cell.
"Per contract" cells (PREMIUM, KJM quotes) must be terms a subscription can override.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable
from zoneinfo import ZoneInfo

import pytest

from core.models import Organization, Tenant
from plans.models import Product
from plans.selectors import calendars_for_tenant, plan_in_force, plan_terms_in_force, plans_for_tenant, terms_values
from plans.terms import OVERRIDABLE, Terms, terms_from_values
from sla.calendar import BusinessCalendar
from tickets.models import Category

ON = date(2026, 6, 15)
WARSAW = ZoneInfo("Europe/Warsaw")
D = Decimal
WORKING_DAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekly(start: str, end: str, days=WORKING_DAYS) -> dict:
    return {day: ([[start, end]] if day in days else []) for day in ALL_DAYS}


@dataclass(frozen=True)
class PerContract:
    """Set per customer: the term is overridable, and the plan itself ships ``default``."""

    field: str
    default: Any


@dataclass(frozen=True)
class AheadOf:
    """Greater than the same term of another plan of the tenant."""

    plan: str


# --- the tables of RULES 2 -----------------------------------------------------------------------

Extract = Callable[[Terms], Any]


def service_hours(t: Terms) -> tuple:
    spec = t.service_calendar
    return spec["timezone"], spec["windows"], spec["holidays"]


def hours_in_package(t: Terms) -> tuple:
    return t.included_minutes, frozenset(t.included_kinds)


WYSYLKI: dict[str, tuple[Extract, dict[str, Any]]] = {
    "payment": (lambda t: (t.billing_mode, t.currency), {
        "community": ("free", "PLN"), "email": ("monthly", "PLN"), "start": ("monthly", "PLN"),
        "standard": ("monthly", "PLN"), "premium": ("contract", "PLN")}),
    "price": (lambda t: t.price_net, {
        "community": D("0.00"), "email": D("129.00"), "start": D("399.00"), "standard": D("799.00"),
        "premium": PerContract("price_net", None)}),
    "minimum term": (lambda t: t.minimum_term_months, {
        "community": 0, "email": 3, "start": 3, "standard": 6, "premium": PerContract("minimum_term_months", 0)}),
    "hours in package per month (phone / remote / development)": (hours_in_package, {
        "community": (0, frozenset()), "email": (0, frozenset()),
        "start": (3 * 60, frozenset({"phone", "remote"})),
        "standard": (7 * 60, frozenset({"phone", "remote", "development"})),
        "premium": PerContract("included_minutes", (0, frozenset({"phone", "remote", "development"})))}),
    "service hours on working days": (service_hours, {
        "community": ("Europe/Warsaw", weekly("10:00", "13:00"), "PL"),
        "email": ("Europe/Warsaw", weekly("09:00", "15:00"), "PL"),
        "start": ("Europe/Warsaw", weekly("08:00", "16:00"), "PL"),
        "standard": ("Europe/Warsaw", weekly("07:00", "17:00"), "PL"),
        "premium": PerContract("service_calendar", ("Europe/Warsaw", weekly("07:00", "17:00"), "PL"))}),
    "support on days off / holidays": (lambda t: t.days_off_support, {
        "community": False, "email": False, "start": False, "standard": False,
        "premium": PerContract("days_off_support", False)}),
    "critical problems reported on days off (4.4)": (lambda t: t.critical_on_days_off, {
        "community": False, "email": False, "start": False, "standard": True,
        "premium": PerContract("critical_on_days_off", False)}),
    "guaranteed reaction time (business hours)": (lambda t: t.reaction_minutes, {
        "community": None, "email": 12 * 60, "start": 8 * 60, "standard": 4 * 60,
        "premium": PerContract("reaction_minutes", None)}),
    "monthly limit of guaranteed e-mail support (non-bug)": (lambda t: t.email_limit_minutes, {
        "community": None, "email": 3 * 60, "start": 8 * 60, "standard": 15 * 60,
        "premium": PerContract("email_limit_minutes", None)}),
    "e-mail support": (lambda t: t.email_scope, {
        "community": "bugs", "email": "all", "start": "all", "standard": "all", "premium": "all"}),
    "advanced configuration help via": (lambda t: frozenset(t.config_help_channels), {
        "community": frozenset({"forum"}), "email": frozenset({"forum", "email"}),
        "start": frozenset({"forum", "email", "phone", "remote"}),
        "standard": frozenset({"forum", "email", "phone", "remote"}),
        "premium": PerContract("config_help_channels", frozenset({"forum", "email", "phone", "remote"}))}),
    "phone technical support (in package)": (lambda t: t.phone_support, {
        "community": False, "email": False, "start": True, "standard": True,
        "premium": PerContract("phone_support", True)}),
    "phone consultations (in package)": (lambda t: t.phone_consultations, {
        "community": False, "email": False, "start": True, "standard": True,
        "premium": PerContract("phone_consultations", True)}),
    "development work (in package)": (lambda t: (t.development, t.priority_development), {
        "community": (False, False), "email": (False, False), "start": (False, False),
        "standard": (True, False), "premium": (True, True)}),
    "contacting the carrier on the customer's behalf": (lambda t: t.carrier_contact, {
        "community": False, "email": False, "start": True, "standard": True,
        "premium": PerContract("carrier_contact", True)}),
    "remote help beyond the package, net per hour": (lambda t: t.hourly_rate_net, {
        "community": D("200.00"), "email": D("180.00"), "start": D("165.00"), "standard": D("140.00"),
        "premium": PerContract("hourly_rate_net", None)}),
}

KJM_PRODUCTS = frozenset({"soot", "fk", "kadry-place"})

KJM: dict[str, tuple[Extract, dict[str, Any]]] = {
    "payment": (lambda t: t.billing_mode, {"opieka": "monthly", "pakiet": "package"}),
    "price (OPIEKA quoted per customer, PAKIET per price list)": (lambda t: t.price_net, {
        "opieka": PerContract("price_net", None), "pakiet": D("540.00")}),
    "hours": (lambda t: (t.included_unlimited, t.package_minutes), {
        "opieka": (True, None), "pakiet": (False, 3 * 60)}),
    "working hours Mon-Fri 7:00-16:00 except public holidays": (service_hours, {
        "opieka": ("Europe/Warsaw", weekly("07:00", "16:00"), "PL"),
        "pakiet": ("Europe/Warsaw", weekly("07:00", "16:00"), "PL")}),
    "validity": (lambda t: t.package_validity_months, {"opieka": None, "pakiet": 3}),
    "yearly software update": (lambda t: (t.update_included, t.update_fee_net is not None), {
        "opieka": (True, True), "pakiet": (False, True)}),
    "queue priority": (lambda t: t.queue_priority, {"opieka": AheadOf("pakiet"), "pakiet": 0}),
    "reaction to a critical failure": (
        lambda t: (t.critical_reaction_minutes,
                   t.critical_calendar and (t.critical_calendar["windows"], t.critical_calendar["holidays"])), {
            "opieka": (2 * 60, (weekly("07:00", "22:00", ALL_DAYS), None)),
            "pakiet": (None, None)}),
    "account manager, manager's mobile phone": (lambda t: (t.account_manager, t.manager_mobile), {
        "opieka": (True, True), "pakiet": (False, False)}),
    "channels": (lambda t: frozenset(t.channels), {
        "opieka": frozenset({"manager_mobile", "email", "landline"}), "pakiet": frozenset({"email", "landline"})}),
    "suggested contact": (lambda t: t.suggested_contact, {"opieka": "manager_phone", "pakiet": "email"}),
    "products covered": (lambda t: frozenset(t.products), {"opieka": KJM_PRODUCTS, "pakiet": KJM_PRODUCTS}),
    "notice period (6.3)": (lambda t: t.notice_days, {"opieka": 30, "pakiet": 0}),
    "starts on the 1st of the next month (6.3)": (lambda t: t.starts_next_month, {"opieka": True, "pakiet": False}),
}

# Cells the catalogue cannot express yet; strict, so the marker must go once they can.
KNOWN_GAPS: dict[str, str] = {}


def _cells():
    for tenant, table in (("wysylki", WYSYLKI), ("kjm", KJM)):
        for term, (extract, by_plan) in table.items():
            for plan, expected in by_plan.items():
                cell = f"{tenant}:{plan}:{term}"
                marks = [pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[cell])] if cell in KNOWN_GAPS else []
                yield pytest.param(tenant, plan, extract, expected, id=cell, marks=marks)


@pytest.fixture(scope="module")
def catalogue(_demo_module_base, django_db_blocker) -> dict[tuple[str, str], Terms]:
    """The terms in force on ``ON`` of every demo plan, as plain values."""
    with django_db_blocker.unblock():
        result = {}
        for tenant in Tenant.objects.filter(slug__in=["wysylki", "kjm"]):
            for plan in plans_for_tenant(tenant):
                row = plan_terms_in_force(tenant=tenant, plan=plan, on=ON)
                result[(tenant.slug, plan.code)] = terms_from_values(terms_values(row))
        return result


@pytest.mark.parametrize(("tenant", "plan", "extract", "expected"), list(_cells()))
def test_catalogue_cell_matches_rules(catalogue, tenant, plan, extract, expected):
    # Given the demo catalogue, when the terms in force are read, then the cell is as RULES 2 says.
    terms = catalogue[(tenant, plan)]
    if isinstance(expected, PerContract):
        assert expected.field in OVERRIDABLE, f"{expected.field} is per contract but cannot be set per subscription"
        assert extract(terms) == expected.default
    elif isinstance(expected, AheadOf):
        assert extract(terms) > extract(catalogue[(tenant, expected.plan)])
    else:
        assert extract(terms) == expected


def test_both_tables_cover_every_demo_plan(catalogue):
    # Given the tables above, then every plan of the demo has a column and every column a plan.
    columns = {(slug, plan) for slug, table in (("wysylki", WYSYLKI), ("kjm", KJM))
               for _extract, by_plan in table.values() for plan in by_plan}
    assert columns == set(catalogue)


# --- behaviour behind the cells ------------------------------------------------------------------


@pytest.mark.parametrize("code", ["community", "email", "start", "standard"])
def test_wysylki_service_hours_are_working_days_only(catalogue, code):
    # Given the plan's calendar, then a Tuesday noon is open, a Saturday and 11 November are not.
    business = BusinessCalendar.from_spec(catalogue[("wysylki", code)].service_calendar)
    assert business.is_open(datetime(2026, 6, 16, 12, 0, tzinfo=WARSAW))
    assert not business.is_open(datetime(2026, 6, 13, 12, 0, tzinfo=WARSAW))
    assert not business.is_open(datetime(2026, 11, 11, 12, 0, tzinfo=WARSAW))


def test_kjm_critical_hours_run_every_day_but_not_at_night(catalogue):
    # Given OPIEKA's critical-failure calendar (the mailbox is watched 7-22 every day).
    business = BusinessCalendar.from_spec(catalogue[("kjm", "opieka")].critical_calendar)
    # Then a public holiday and a Sunday are covered, the night 22:00-7:00 is not.
    assert business.is_open(datetime(2026, 11, 11, 21, 59, tzinfo=WARSAW))
    assert business.is_open(datetime(2026, 6, 14, 7, 0, tzinfo=WARSAW))
    assert not business.is_open(datetime(2026, 6, 14, 22, 0, tzinfo=WARSAW))
    assert not business.is_open(datetime(2026, 6, 15, 6, 59, tzinfo=WARSAW))


def test_premium_contracts_can_go_up_to_24_7(demo):
    # Given the wysylki calendars, then one is open round the clock every day, holidays included.
    nonstop = [c for c in calendars_for_tenant(demo.wysylki)
               if c.to_spec()["windows"] == weekly("00:00", "24:00", ALL_DAYS) and not c.holidays_country]
    assert nonstop, "no 24/7 calendar for PREMIUM contracts"


def test_kjm_data_warehouse_is_a_product_for_the_addon(demo, catalogue):
    # Given KJM's products, then the data warehouse exists for the extra-product add-on but is not
    # covered by the plans themselves.
    codes = set(Product.objects.for_tenant(demo.kjm).values_list("code", flat=True))
    assert KJM_PRODUCTS | {"hurtownia"} <= codes
    assert not catalogue[("kjm", "opieka")].covers_product("hurtownia")
    assert catalogue[("kjm", "opieka")].covers_product("soot")


# --- the default plan and the categories ---------------------------------------------------------


def test_community_is_the_default_plan_of_wysylki(demo):
    # Given a wysylki customer that ordered nothing (Kwiaciarnia Bukiet).
    organization = Organization.objects.for_tenant(demo.wysylki).get(name="Kwiaciarnia Bukiet")
    # When its plan is read, then it is COMMUNITY, without a subscription.
    assert demo.wysylki.default_plan.code == "community"
    current = plan_in_force(tenant=demo.wysylki, organization=organization, at=ON)
    assert current.plan.code == "community" and current.subscription is None
    assert current.terms.price_net == D("0.00")


CATEGORIES = {
    "wysylki": {"bug": (True, True), "configuration": (False, True), "consultation": (False, True),
                "development": (False, True), "carrier": (False, True), "other": (False, True)},
    "kjm": {"consultation": (False, True), "document_correction": (False, True), "database_repair": (False, True),
            "year_split": (False, True), "custom_programming": (False, False), "other": (False, True)},
}


@pytest.mark.parametrize(("tenant", "code", "flags"),
                         [pytest.param(t, c, f, id=f"{t}:{c}") for t, cs in CATEGORIES.items() for c, f in cs.items()])
def test_categories_of_rules_3(demo, tenant, code, flags):
    # Given the tenant's categories, then each one of RULES 3 exists with (counts as bug, in scope).
    category = Category.objects.for_tenant(demo.tenant(tenant)).get(code=code)
    assert (category.is_bug, category.in_scope) == flags


@pytest.mark.parametrize("tenant", ["wysylki", "kjm"])
def test_only_the_bug_category_counts_as_a_bug(demo, tenant):
    bugs = set(Category.objects.for_tenant(demo.tenant(tenant)).filter(is_bug=True).values_list("code", flat=True))
    assert bugs == ({"bug"} if tenant == "wysylki" else set())
