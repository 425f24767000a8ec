"""The terms that apply to one organization at one moment, as plain values.

``Terms`` is what the SLA policy and billing read: the plan's terms version in force, with the
subscription's per-customer overrides and add-ons applied, and calendars as JSON specs. No ORM here.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

# Terms that a subscription may override per customer (PREMIUM "per contract", KJM quotes).
OVERRIDABLE = (
    "price_net", "minimum_term_months", "notice_days", "included_minutes", "included_unlimited",
    "included_kinds", "reaction_minutes", "critical_reaction_minutes", "next_reply_minutes",
    "resolution_minutes", "critical_on_days_off",
    "warning_percent", "queue_priority", "email_scope", "email_limit_minutes", "days_off_support",
    "channels", "config_help_channels", "phone_support", "phone_consultations", "development", "priority_development",
    "carrier_contact", "hourly_rate_net", "after_hours_rate_net", "update_fee_net", "products",
    "service_calendar", "critical_calendar", "rounding_units",
)


@dataclass(frozen=True)
class Terms:
    plan_code: str
    plan_name: str
    version: int
    effective_from: date
    billing_mode: str
    price_net: Decimal | None
    currency: str
    minimum_term_months: int
    notice_days: int
    starts_next_month: bool
    included_minutes: int
    included_unlimited: bool
    included_kinds: tuple[str, ...]
    package_minutes: int | None
    package_validity_months: int | None
    service_calendar: dict
    days_off_support: bool
    reaction_minutes: int | None
    critical_calendar: dict | None
    critical_reaction_minutes: int | None
    critical_on_days_off: bool
    warning_percent: int
    queue_priority: int
    email_scope: str
    email_limit_minutes: int | None
    channels: tuple[str, ...]
    config_help_channels: tuple[str, ...]
    suggested_contact: str
    phone_support: bool
    phone_consultations: bool
    development: bool
    priority_development: bool
    carrier_contact: bool
    account_manager: bool
    manager_mobile: bool
    products: tuple[str, ...]
    hourly_rate_net: Decimal | None
    rounding_units: tuple[tuple[str, int], ...]
    rounding_default_unit: int
    rounding_minutes_added: int
    rounding_per_intervention: bool
    after_hours_multiplier: Decimal
    after_hours_rate_net: Decimal | None
    update_included: bool
    update_fee_net: Decimal | None
    # Targets after the reaction (business minutes; None: no target).
    next_reply_minutes: int | None = None
    resolution_minutes: int | None = None
    # Set by add-ons: extended/night/non-stop hours bought on top of the plan.
    hours_addon: bool = False
    addons: tuple[str, ...] = field(default=())

    def covers_product(self, product_code: str | None) -> bool:
        return not product_code or not self.products or product_code in self.products

    def with_changes(self, **changes: Any) -> "Terms":
        return dataclasses.replace(self, **changes)


_TUPLE_FIELDS = {"included_kinds", "channels", "config_help_channels", "products"}


def terms_from_values(values: dict[str, Any]) -> Terms:
    """Build ``Terms`` from a dict of model values (lists become tuples, dicts sorted pairs)."""
    data = dict(values)
    for name in _TUPLE_FIELDS:
        if name in data:
            data[name] = tuple(data[name] or ())
    if "rounding_units" in data:
        data["rounding_units"] = tuple(sorted((data["rounding_units"] or {}).items()))
    known = {f.name for f in dataclasses.fields(Terms)}
    return Terms(**{k: v for k, v in data.items() if k in known})
