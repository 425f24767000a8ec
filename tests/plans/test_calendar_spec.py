"""Calendars are imported from and exported to the JSON spec that ``sla.calendar`` reads."""
from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings, strategies as st

from core.models import AuditEvent
from plans.models import Calendar, CalendarDate, CalendarWindow
from plans.services import calendar_import_spec, calendar_validate
from sla.calendar import DAY_KEYS, BusinessCalendar
from tests import factories

SPEC = {
    "timezone": "Europe/Warsaw",
    "windows": {"mon": [["13:00", "17:00"], ["08:00", "12:00"]], "tue": [["08:00", "16:00"]],
                "wed": [["22:00", "06:00"]], "thu": [], "fri": [["00:00", "24:00"]]},
    "holidays": "PL",
    "closed_dates": ["2026-12-31", "2026-08-14"],
    "open_dates": ["2026-12-24"],
}


def normalized(spec: dict) -> dict:
    return BusinessCalendar.from_spec(spec).to_spec()


def test_import_then_export_gives_the_normalised_spec(db):
    # Given a tenant; when a spec with unsorted windows, an overnight window and extra dates is imported.
    tenant = factories.TenantFactory()
    calendar = calendar_import_spec(tenant=tenant, code="support", name="Wsparcie", spec=SPEC)
    # Then the export is the same calendar, normalised (every day, sorted windows and dates).
    exported = Calendar.objects.get(pk=calendar.pk).to_spec()
    assert exported == normalized(SPEC)
    assert exported["windows"]["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert exported["windows"]["wed"] == [["22:00", "06:00"]] and exported["windows"]["sun"] == []
    assert exported["closed_dates"] == ["2026-08-14", "2026-12-31"] and exported["open_dates"] == ["2026-12-24"]
    # And the export reads back as an equal business calendar.
    assert BusinessCalendar.from_spec(exported) == BusinessCalendar.from_spec(SPEC)
    assert AuditEvent.objects.for_tenant(tenant).filter(action="calendar.imported",
                                                        object_id=str(calendar.pk)).exists()


def test_reimport_replaces_the_calendar(db):
    # Given an imported calendar; when the same code is imported with other hours and no dates.
    tenant = factories.TenantFactory()
    first = calendar_import_spec(tenant=tenant, code="support", name="Wsparcie", spec=SPEC)
    spec = {"timezone": "Europe/Warsaw", "windows": {"sat": [["10:00", "14:00"]]}, "holidays": None}
    second = calendar_import_spec(tenant=tenant, code="support", name="Sobota", spec=spec)
    # Then it is the same row with only the new windows and dates.
    assert second.pk == first.pk and second.name == "Sobota"
    assert second.to_spec() == normalized(spec)
    assert CalendarWindow.objects.filter(calendar=second).count() == 1
    assert not CalendarDate.objects.filter(calendar=second).exists()


def test_same_code_in_two_tenants_is_two_calendars(db):
    a, b = factories.TenantFactory(), factories.TenantFactory()
    calendar_a = calendar_import_spec(tenant=a, code="support", name="A", spec=SPEC)
    calendar_b = calendar_import_spec(tenant=b, code="support", name="B", spec={**SPEC, "holidays": None})
    assert calendar_a.pk != calendar_b.pk
    assert Calendar.objects.get(pk=calendar_a.pk).to_spec()["holidays"] == "PL"


@pytest.mark.parametrize(("spec", "message"), [
    ({"windows": {}}, "missing the 'timezone' key"),
    ({"timezone": "Mars/Olympus", "windows": {}}, "not a known IANA zone name"),
    ({"timezone": "Europe/Warsaw", "windows": {"monday": [["09:00", "17:00"]]}}, "unknown day key 'monday'"),
    ({"timezone": "Europe/Warsaw", "windows": {"mon": [["09:00", "25:00"]]}}, "is not a valid time of day"),
    ({"timezone": "Europe/Warsaw", "windows": {"mon": [["9", "17:00"]]}}, "is not a time in HH:MM form"),
    ({"timezone": "Europe/Warsaw", "windows": {"mon": [["09:00", "09:00"]]}}, "is empty (start equals end)"),
    ({"timezone": "Europe/Warsaw", "windows": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "overlaps"),
    ({"timezone": "Europe/Warsaw", "windows": {}, "holidays": "XX"}, "not a country known to the holidays"),
    ({"timezone": "Europe/Warsaw", "windows": {}, "closed_dates": ["2026-02-30"]}, "not a date in YYYY-MM-DD"),
    ({"timezone": "Europe/Warsaw", "windows": {}, "closed_dates": ["2026-12-24"], "open_dates": ["2026-12-24"]},
     "listed in both closed_dates and open_dates"),
    ({"timezone": "Europe/Warsaw", "windows": {}, "colour": "red"}, "unknown key(s) 'colour'"),
    ({"timezone": "Europe/Warsaw", "windows": {"mon": [["09:00:30", "17:00"]]}}, "whole minutes (HH:MM)"),
])
def test_invalid_spec_is_refused_with_a_clear_message(db, english, spec, message):
    # Given a tenant; when a broken spec is imported.
    tenant = factories.TenantFactory()
    with pytest.raises(ValidationError) as error:
        calendar_import_spec(tenant=tenant, code="broken", name="Zepsuty", spec=spec)
    # Then the error is on the spec, says what is wrong, and nothing is stored.
    assert list(error.value.message_dict) == ["spec"]
    assert message in error.value.message_dict["spec"][0]
    assert not Calendar.objects.for_tenant(tenant).exists()


def test_stored_rows_that_break_the_spec_are_reported(db):
    # Given a calendar edited row by row into overlapping windows (as the admin's inlines could).
    calendar = factories.CalendarFactory()
    CalendarWindow.objects.create(calendar=calendar, weekday=0, start="16:00", end="18:00")
    # Then validating it names the overlap.
    with pytest.raises(ValidationError) as error:
        calendar_validate(calendar)
    assert "overlaps" in error.value.messages[0]


TIMES = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)]


@st.composite
def specs(draw):
    windows = {}
    for key in DAY_KEYS:
        # Disjoint same-day windows from sorted distinct boundaries.
        bounds = sorted(draw(st.sets(st.sampled_from(TIMES), max_size=4)))
        windows[key] = [[bounds[i], bounds[i + 1]] for i in range(0, len(bounds) - 1, 2)]
    dates = draw(st.sets(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), max_size=4))
    dates = sorted(d.isoformat() for d in dates)
    split = draw(st.integers(0, len(dates)))
    return {"timezone": draw(st.sampled_from(["Europe/Warsaw", "UTC", "America/New_York"])), "windows": windows,
            "holidays": draw(st.sampled_from([None, "PL"])), "closed_dates": dates[:split],
            "open_dates": dates[split:]}


@pytest.fixture
def tenant(db):
    return factories.TenantFactory()


# Every example writes to the database, so a tenth of the profile's examples (20 in "dev", 200 in
# "ci"); every example re-imports the same code into one tenant, so the fixture is shared on purpose.
@settings(max_examples=max(settings.default.max_examples // 10, 10), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=specs())
def test_any_valid_spec_survives_the_round_trip(tenant, spec):
    # Given any valid spec; when imported (replacing the last one) and exported, then it is the
    # normalised spec.
    calendar = calendar_import_spec(tenant=tenant, code="any", name="Dowolny", spec=spec)
    assert Calendar.objects.get(pk=calendar.pk).to_spec() == normalized(spec)
