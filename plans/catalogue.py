"""The demo catalogue: the two vendors' plans exactly as RULES.md section 2 restates them.

Figures here are data loaded by ``seed_demo``; tenant admins edit them as plan terms afterwards.
Values the documents leave to a price list or a quote are marked ``# price list`` and are demo values.
"""
from __future__ import annotations

from decimal import Decimal

H = 60  # minutes per hour

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def weekly(start: str, end: str, days=WEEKDAYS) -> dict:
    return {day: ([[start, end]] if day in days else []) for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}


ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

CALENDARS = {
    "wysylki": {
        "community": ("COMMUNITY: dni robocze 10:00–13:00", {"timezone": "Europe/Warsaw", "holidays": "PL",
                                                             "windows": weekly("10:00", "13:00")}),
        "email": ("EMAIL: dni robocze 9:00–15:00", {"timezone": "Europe/Warsaw", "holidays": "PL",
                                                    "windows": weekly("09:00", "15:00")}),
        "start": ("START: dni robocze 8:00–16:00", {"timezone": "Europe/Warsaw", "holidays": "PL",
                                                    "windows": weekly("08:00", "16:00")}),
        "standard": ("STANDARD: dni robocze 7:00–17:00", {"timezone": "Europe/Warsaw", "holidays": "PL",
                                                          "windows": weekly("07:00", "17:00")}),
        "nonstop": ("Całodobowo 24/7", {"timezone": "Europe/Warsaw", "holidays": None,
                                        "windows": weekly("00:00", "24:00", ALL_DAYS)}),
    },
    "kjm": {
        "working": ("KJM: godziny pracy pn–pt 7:00–16:00", {"timezone": "Europe/Warsaw", "holidays": "PL",
                                                           "windows": weekly("07:00", "16:00")}),
        "critical": ("KJM: awarie krytyczne 7:00–22:00 codziennie",
                     {"timezone": "Europe/Warsaw", "holidays": None, "windows": weekly("07:00", "22:00", ALL_DAYS)}),
        "extended": ("KJM: godziny wydłużone pn–sob 7:00–22:00",
                     {"timezone": "Europe/Warsaw", "holidays": "PL",
                      "windows": weekly("07:00", "22:00", WEEKDAYS + ["sat"])}),
        "nonstop": ("KJM: obsługa non-stop 24/7", {"timezone": "Europe/Warsaw", "holidays": None,
                                                  "windows": weekly("00:00", "24:00", ALL_DAYS)}),
    },
}

WYSYLKI_ROUNDING = {"rounding_units": {"phone": 15, "remote": 30}, "rounding_default_unit": 30,
                    "rounding_minutes_added": 5, "rounding_per_intervention": True}
KJM_ROUNDING = {"rounding_units": {}, "rounding_default_unit": 30, "rounding_minutes_added": 0,
                "rounding_per_intervention": True}
KJM_PRODUCTS = ["soot", "fk", "kadry-place"]

# (code, name, description, terms). Calendars are referenced by code.
PLANS = {
    "wysylki": [
        ("community", "COMMUNITY", "Wsparcie społeczności na forum; błędy zgłaszane e-mailem.", {
            "billing_mode": "free", "price_net": Decimal("0.00"), "minimum_term_months": 0,
            "included_minutes": 0, "included_kinds": [],
            "service_calendar": "community", "days_off_support": False, "reaction_minutes": None,
            "email_limit_minutes": None, "email_scope": "bugs",
            "channels": ["forum", "email", "portal"], "config_help_channels": ["forum"],
            "phone_support": False, "phone_consultations": False, "development": False, "carrier_contact": False,
            "hourly_rate_net": Decimal("200.00"), **WYSYLKI_ROUNDING}),
        ("email", "EMAIL", "Wsparcie e-mail z gwarantowanym czasem reakcji.", {
            "billing_mode": "monthly", "price_net": Decimal("129.00"), "minimum_term_months": 3,
            "included_minutes": 0, "included_kinds": [],
            "service_calendar": "email", "days_off_support": False, "reaction_minutes": 12 * H,
            "email_limit_minutes": 3 * H, "email_scope": "all",
            "channels": ["forum", "email", "portal"], "config_help_channels": ["forum", "email"],
            "phone_support": False, "phone_consultations": False, "development": False, "carrier_contact": False,
            "hourly_rate_net": Decimal("180.00"), **WYSYLKI_ROUNDING}),
        ("start", "START", "Pakiet godzin na pomoc telefoniczną lub zdalną.", {
            "billing_mode": "monthly", "price_net": Decimal("399.00"), "minimum_term_months": 3,
            "included_minutes": 3 * H, "included_kinds": ["phone", "remote"],
            "service_calendar": "start", "days_off_support": False, "reaction_minutes": 8 * H,
            "email_limit_minutes": 8 * H, "email_scope": "all",
            "channels": ["forum", "email", "portal", "phone", "remote"],
            "config_help_channels": ["forum", "email", "phone", "remote"],
            "phone_support": True, "phone_consultations": True, "development": False, "carrier_contact": True,
            "hourly_rate_net": Decimal("165.00"), **WYSYLKI_ROUNDING}),
        ("standard", "STANDARD", "Szybsza reakcja, większy pakiet godzin, prace programistyczne.", {
            "billing_mode": "monthly", "price_net": Decimal("799.00"), "minimum_term_months": 6,
            "included_minutes": 7 * H, "included_kinds": ["phone", "remote", "development"],
            "service_calendar": "standard", "days_off_support": False, "reaction_minutes": 4 * H,
            "critical_on_days_off": True,
            "email_limit_minutes": 15 * H, "email_scope": "all",
            "channels": ["forum", "email", "portal", "phone", "remote"],
            "config_help_channels": ["forum", "email", "phone", "remote"],
            "phone_support": True, "phone_consultations": True, "development": True, "carrier_contact": True,
            "hourly_rate_net": Decimal("140.00"), **WYSYLKI_ROUNDING}),
        ("premium", "PREMIUM", "Warunki ustalane indywidualnie w umowie, do 24/7.", {
            "billing_mode": "contract", "price_net": None, "minimum_term_months": 0,
            "included_minutes": 0, "included_kinds": ["phone", "remote", "development"],
            "service_calendar": "standard", "days_off_support": False, "reaction_minutes": None,
            "email_limit_minutes": None, "email_scope": "all", "priority_development": True,
            "channels": ["forum", "email", "portal", "phone", "remote"],
            "config_help_channels": ["forum", "email", "phone", "remote"],
            "phone_support": True, "phone_consultations": True, "development": True, "carrier_contact": True,
            "hourly_rate_net": None, **WYSYLKI_ROUNDING}),
    ],
    "kjm": [
        ("opieka", "OPIEKA", "Opieka autorska: stały ryczałt miesięczny, nielimitowana obsługa w godzinach pracy.", {
            "billing_mode": "monthly", "price_net": None, "minimum_term_months": 0, "notice_days": 30,
            "starts_next_month": True, "included_minutes": 0, "included_unlimited": True,
            "included_kinds": ["phone", "remote", "email", "development", "onsite"],
            "service_calendar": "working", "days_off_support": False, "reaction_minutes": None,
            "critical_calendar": "critical", "critical_reaction_minutes": 2 * H, "queue_priority": 10,
            "email_limit_minutes": None, "email_scope": "all",
            "channels": ["manager_mobile", "email", "landline"], "config_help_channels": [],
            "suggested_contact": "manager_phone", "account_manager": True, "manager_mobile": True,
            "phone_consultations": True, "products": KJM_PRODUCTS,
            "hourly_rate_net": None, "after_hours_rate_net": Decimal("180.00"),  # price list
            "update_included": True, "update_fee_net": Decimal("1200.00"),  # price list
            **KJM_ROUNDING}),
        ("pakiet", "PAKIET", "Pakiet 3 godzin ważny 3 miesiące, płatny z góry.", {
            "billing_mode": "package", "price_net": Decimal("540.00"),  # price list
            "minimum_term_months": 0, "notice_days": 0,
            "included_minutes": 0, "included_kinds": ["phone", "remote", "email", "development", "onsite"],
            "package_minutes": 3 * H, "package_validity_months": 3,
            "service_calendar": "working", "days_off_support": False, "reaction_minutes": None,
            "queue_priority": 0, "email_limit_minutes": None, "email_scope": "all",
            "channels": ["email", "landline"], "config_help_channels": [], "suggested_contact": "email",
            "phone_consultations": True, "products": KJM_PRODUCTS,
            "hourly_rate_net": Decimal("180.00"),  # price list
            "after_hours_multiplier": Decimal("2.00"),
            "update_included": False, "update_fee_net": Decimal("1200.00"),  # price list
            **KJM_ROUNDING}),
    ],
}

CATEGORIES = {
    "wysylki": [("bug", "Błąd programu", True, True), ("configuration", "Konfiguracja", False, True),
                ("consultation", "Konsultacja", False, True), ("development", "Prace programistyczne", False, True),
                ("carrier", "Kontakt z przewoźnikiem", False, True), ("other", "Inne", False, True)],
    "kjm": [("consultation", "Konsultacja obsługi programu", False, True),
            ("document_correction", "Korekta dokumentów i raportów", False, True),
            ("database_repair", "Naprawa bazy danych", False, True),
            ("year_split", "Rozdzielenie lat", False, True),
            ("custom_programming", "Modyfikacja programistyczna (wycena)", False, False),
            ("infrastructure", "Sprzęt i sieć (poza zakresem)", False, False),
            ("other", "Inne", False, True)],
}

PRODUCTS = {
    "wysylki": [("wysylki", "Program do wysyłek")],
    "kjm": [("soot", "SOOT"), ("fk", "F-K"), ("kadry-place", "Kadry-Płace"), ("hurtownia", "Hurtownia Danych")],
}
