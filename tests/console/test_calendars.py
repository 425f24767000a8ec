"""The calendar editor: weekly windows, holidays, extra dates, the month view and the deadline preview."""
from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from console.calendar_forms import month_view
from core.models import AuditEvent
from plans.models import Calendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(demo, client):
    client.force_login(demo.user("admin@wysylki.example.com"))
    return client


def _post_data(calendar, windows, dates=(), **extra):
    data = {"name": calendar.name, "timezone": calendar.timezone, "holidays_country": calendar.holidays_country,
            "windows-TOTAL_FORMS": str(len(windows)), "windows-INITIAL_FORMS": "0",
            "dates-TOTAL_FORMS": str(len(dates)), "dates-INITIAL_FORMS": "0",
            "preview-received": "2026-12-04T15:00", "preview-hours": "4", "month": "2026-12"}
    for i, (weekday, start, end) in enumerate(windows):
        data.update({f"windows-{i}-weekday": str(weekday), f"windows-{i}-start": start, f"windows-{i}-end": end})
    for i, (day, kind, note) in enumerate(dates):
        data.update({f"dates-{i}-date": day, f"dates-{i}-kind": kind, f"dates-{i}-note": note})
    data.update(extra)
    return data


WEEKDAYS_9_15 = [(d, "09:00", "15:00") for d in range(5)]


def test_preview_of_saturday_hours_changes_the_deadline_and_saves_nothing(demo, admin_client):
    calendar = demo.calendar("wysylki", "email")
    url = reverse("console:calendar_edit", args=[calendar.pk])
    response = admin_client.post(url, _post_data(calendar, [*WEEKDAYS_9_15, (5, "10:00", "14:00")], action="preview"))
    assert response.status_code == 200
    deadlines = response.context["deadlines"]
    # Friday 4 Dec 2026 15:00, 4 business hours: Monday 13:00 as saved, Saturday 14:00 with the new hours
    assert deadlines["saved"].due.strftime("%Y-%m-%d %H:%M") == "2026-12-07 13:00"
    assert deadlines["edited"].due.strftime("%Y-%m-%d %H:%M") == "2026-12-05 14:00"
    assert not calendar.windows.filter(weekday=5).exists()
    days = {day.day: day for week in response.context["weeks"] for day in week}
    assert days[date(2026, 12, 5)].hours == 4 and days[date(2026, 12, 4)].hours == 6
    # the edited rows come back with blank ones to add more
    windows = response.context["windows"]
    assert not windows.is_bound and windows.total_form_count() == 6 + 2
    assert windows.forms[5].initial["weekday"] == 5


def test_save_replaces_windows_and_dates_and_audits_before_and_after(demo, admin_client):
    calendar = demo.calendar("wysylki", "email")
    admin = demo.user("admin@wysylki.example.com")
    url = reverse("console:calendar_edit", args=[calendar.pk])
    windows = [(0, "08:00", "12:00"), (0, "13:00", "17:00"), (4, "22:00", "06:00")]
    dates = [("2026-12-24", "closed", "Wigilia"), ("2026-12-27", "open", "")]
    response = admin_client.post(url, _post_data(calendar, windows, dates, name="Biuro", action="save"))
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert calendar.name == "Biuro"
    assert [(w.weekday, w.start, w.end) for w in calendar.windows.order_by("weekday", "start")] == windows
    assert [(d.date.isoformat(), d.kind, d.note) for d in calendar.dates.order_by("date")] == list(dates)
    event = AuditEvent.objects.filter(action="calendar.changed").latest("id")
    assert event.actor == admin and event.tenant == demo.wysylki
    assert event.data["before"]["windows"]["mon"] == [["09:00", "15:00"]]
    assert event.data["after"]["windows"]["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert event.data["after"]["closed_dates"] == ["2026-12-24"] and event.data["after"]["name"] == "Biuro"


@pytest.mark.parametrize("windows, dates", [
    ([(0, "25:00", "26:00")], []),
    ([(0, "9", "10:00")], []),
    ([(9, "09:00", "10:00")], []),
    (WEEKDAYS_9_15, [("2026-12-24", "closed", ""), ("2026-12-24", "open", "")]),
    (WEEKDAYS_9_15, [("24.12", "closed", "")]),
])
def test_bad_rows_are_shown_on_the_page_not_a_500(demo, admin_client, windows, dates):
    calendar = demo.calendar("wysylki", "email")
    before = calendar.to_spec()
    response = admin_client.post(reverse("console:calendar_edit", args=[calendar.pk]),
                                 _post_data(calendar, windows, dates, action="save"))
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    calendar.refresh_from_db()
    assert calendar.to_spec() == before


def test_month_view_shows_holidays_and_extra_dates():
    spec = {"timezone": "Europe/Warsaw", "holidays": "PL",
            "windows": {"mon": [["09:00", "15:00"]], "tue": [["09:00", "15:00"]], "wed": [["09:00", "15:00"]],
                        "thu": [["09:00", "15:00"]], "fri": [["22:00", "06:00"]], "sat": [], "sun": []},
            "closed_dates": ["2026-11-10"], "open_dates": ["2026-11-14"]}
    days = {day.day: day for week in month_view(spec, date(2026, 11, 1)) for day in week}
    assert days[date(2026, 11, 11)].holiday and not days[date(2026, 11, 11)].stretches  # Independence Day
    assert days[date(2026, 11, 10)].extra == "closed" and not days[date(2026, 11, 10)].stretches
    assert days[date(2026, 11, 9)].hours == 6
    # overnight: Friday 22:00 to Saturday 06:00, split at midnight
    assert days[date(2026, 11, 6)].hours == 2 and days[date(2026, 11, 7)].hours == 6
    assert days[date(2026, 11, 14)].extra == "open"
    assert len(days) % 7 == 0 and min(days).weekday() == 0


def test_another_tenants_calendar_is_a_404(demo, client):
    calendar = Calendar.objects.filter(tenant=demo.kjm).first()
    client.force_login(demo.user("admin@wysylki.example.com"))
    url = reverse("console:calendar_edit", args=[calendar.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "save"}).status_code == 404


def test_audit_log_shows_own_tenant_only(demo, admin_client):
    calendar = demo.calendar("wysylki", "email")
    admin_client.post(reverse("console:calendar_edit", args=[calendar.pk]),
                      _post_data(calendar, WEEKDAYS_9_15, name="Godziny e-mail", action="save"))
    AuditEvent.objects.create(tenant=demo.kjm, action="calendar.changed", object_type="plans.calendar",
                              object_id="1", summary="KJM-SECRET-CHANGE")
    html = admin_client.get(reverse("console:audit_log")).content.decode()
    assert "Godziny e-mail" in html and "calendar.changed" in html and "KJM-SECRET-CHANGE" not in html
    # only what changed is in the table: the name, not the unchanged windows
    assert re.search(r"<code>name</code></th><td><del>EMAIL: dni robocze 9:00–15:00</del></td><td><ins>Godziny e-mail"
                     r"</ins>", html)
    assert "<code>windows</code>" not in html


def test_audit_log_filter_with_a_nul_character_is_not_an_error(demo, admin_client):
    # PostgreSQL cannot compare text with NUL in it: the filter drops the character instead of failing
    response = admin_client.get(reverse("console:audit_log"), {"action": "calendar\x00"})
    assert response.status_code == 200
