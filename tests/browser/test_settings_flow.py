"""End to end in Chromium: a tenant admin changes a plan's reaction time and a calendar's hours."""
import os
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.test_ticket_flow import login

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@wysylki.example.com"
WIDTHS = {"desktop": 1440, "phone": 390}
SHOTS = Path(os.environ.get("SETTINGS_SCREENSHOTS", "/tmp/settings-screenshots"))



@pytest.fixture
def seeded(settings, tmp_path, monkeypatch):
    from helpdesk.management.commands.seed_demo import seed

    settings.MEDIA_ROOT = str(tmp_path)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    seed()


def _shoot(page, name):
    """The page at desktop and phone widths; nothing may overflow the phone's width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (name, label, overflow)
    page.set_viewport_size({"width": 1440, "height": 900})


def _ticket(received):
    from core.models import Contact
    from tickets.models import Ticket
    from tickets.services import ticket_create

    contact = Contact.objects.get(name="Paweł Nowicki")  # Nova Hurt, on EMAIL
    return ticket_create(tenant=contact.tenant, channel=Ticket.Channel.PORTAL, subject="Termin", body="Termin",
                         contact=contact, received_at=received)


def test_admin_changes_reaction_time_from_a_date(seeded, live_server, browser):
    from playwright.sync_api import expect

    from plans.models import Plan, PlanTerms

    zone = ZoneInfo("Europe/Warsaw")
    today = datetime.now(zone).date()
    effective = today + timedelta(days=14)
    # Tuesdays: one before the new terms, one after (EMAIL: working days 9:00–15:00)
    before_day = effective - timedelta(days=7 + (effective.weekday() - 1) % 7)
    after_day = effective + timedelta(days=(1 - effective.weekday()) % 7)
    received_before = datetime.combine(before_day, time(10, 0), zone)
    received_after = datetime.combine(after_day, time(10, 0), zone)

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    login(page, live_server.url, ADMIN)
    page.get_by_role("link", name="Ustawienia").first.click()
    _shoot(page, "settings-index")
    page.locator(".settings__nav").get_by_role("link", name="Plany i warunki").click()
    page.get_by_role("row", name=re.compile(r"^EMAIL")).get_by_role("link", name="Zmień warunki").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Warunki planu EMAIL")
    page.locator("[name=effective_from]").fill(effective.isoformat())
    page.locator("[name=reaction_minutes]").fill("240")
    page.locator("[name=change_note]").fill("Szybsza reakcja")
    page.get_by_role("button", name="Pokaż skutki zmiany").click()

    preview = page.locator("#terms-preview")
    expect(preview).to_contain_text("Podgląd wersji 2")
    diff = preview.locator("table.diff tbody tr")
    expect(diff).to_have_count(1)
    expect(diff.first.locator("del")).to_have_text("720")
    expect(diff.first.locator("ins")).to_have_text("240")
    expect(preview).to_contain_text("Nova Hurt sp. z o.o.")
    expect(preview.locator("table.examples tbody tr.is-changed").first).to_be_visible()
    _shoot(page, "plan-terms-preview")
    assert PlanTerms.objects.filter(plan__code="email", plan__tenant__slug="wysylki").count() == 1

    page.get_by_role("button", name="Zapisz wersję 2").click()
    expect(page.locator(".flash")).to_contain_text("Wersja 2 planu EMAIL została zapisana")
    version = page.locator("#version-2")
    expect(version).to_contain_text("Anna Nowak")
    expect(version).to_contain_text("Szybsza reakcja")
    expect(version.locator("del")).to_have_text("720")
    expect(version.locator("ins")).to_have_text("240")
    _shoot(page, "plan-history")

    plan = Plan.objects.get(tenant__slug="wysylki", code="email")
    assert list(plan.terms_versions.order_by("version").values_list("reaction_minutes", "effective_from")) == [
        (720, plan.terms_versions.get(version=1).effective_from), (240, effective)]
    # a ticket received before the date keeps 12 business hours (two days of 6 h); one after gets 4 h
    before = _ticket(received_before)
    after = _ticket(received_after)
    assert before.due_at.astimezone(zone) == datetime.combine(before_day + timedelta(days=2), time(10, 0), zone)
    assert after.due_at.astimezone(zone) == datetime.combine(after_day, time(14, 0), zone)


def test_admin_edits_saturday_hours_and_sees_the_preview_change(seeded, live_server, browser):
    from playwright.sync_api import expect

    from core.models import AuditEvent
    from plans.models import Calendar

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    login(page, live_server.url, ADMIN)
    page.goto(live_server.url + "/settings/calendars/")
    page.get_by_role("row", name=re.compile(r"^EMAIL")).get_by_role("link", name="Edytuj").click()
    page.locator("[name=preview-received]").fill("2026-12-04T15:00")  # a Friday
    page.locator("[name=preview-hours]").fill("4")
    page.get_by_role("button", name="Podgląd", exact=True).click()
    saved = page.locator("#deadline-saved")
    expect(saved).to_contain_text("poniedziałek, 7 grudnia 2026, 13:00")
    expect(page.locator("#deadline-edited")).to_contain_text("poniedziałek, 7 grudnia 2026, 13:00")

    rows = page.locator("#windows tbody tr")
    rows.nth(5).locator("select").select_option(label="sobota")
    rows.nth(5).locator("[name$=-start]").fill("10:00")
    rows.nth(5).locator("[name$=-end]").fill("14:00")
    page.get_by_role("button", name="Podgląd", exact=True).click()
    expect(page.locator("#deadline-edited")).to_contain_text("sobota, 5 grudnia 2026, 14:00")
    expect(page.locator("#deadline-saved")).to_contain_text("poniedziałek, 7 grudnia 2026, 13:00")
    calendar = Calendar.objects.get(tenant__slug="wysylki", code="email")
    assert not calendar.windows.filter(weekday=5).exists()
    _shoot(page, "calendar-preview")

    page.get_by_role("button", name="Zapisz kalendarz").click()
    expect(page.locator(".flash")).to_contain_text("został zapisany")
    assert list(calendar.windows.filter(weekday=5).values_list("start", "end")) == [("10:00", "14:00")]
    assert AuditEvent.objects.filter(action="calendar.changed", object_id=str(calendar.pk)).exists()
    page.locator(".settings__nav").get_by_role("link", name="Dziennik zmian").click()
    expect(page.locator(".audit").first).to_contain_text("calendar.changed")
    _shoot(page, "audit-log")


def test_team_and_second_factor_pages_fit_desktop_and_phone(seeded, live_server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    login(page, live_server.url, ADMIN)
    page.goto(live_server.url + "/settings/team/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zespół")
    _shoot(page, "team")
    page.goto(live_server.url + "/account/second-factor/")
    expect(page.locator("#otp-secret")).to_be_visible()
    _shoot(page, "second-factor")
    page.goto(live_server.url + "/settings/webhooks/")
    _shoot(page, "webhooks")
    page.goto(live_server.url + "/settings/api-tokens/")
    _shoot(page, "api-tokens")


def test_every_settings_page_fits_desktop_and_phone(seeded, live_server, browser):
    """Each section of the settings, its list and one object's page, at 1440 and 390 px (``_shoot``)."""
    from django.urls import reverse

    from core.models import Tenant
    from plans.models import Calendar, Plan, Subscription

    tenant = Tenant.objects.get(slug="wysylki")
    pages = [reverse(f"console:{name}") for name in (
        "index", "plan_list", "calendar_list", "catalogue", "team", "security", "api_tokens", "webhook_list",
        "audit_log", "mailbox_list", "mailbox_new", "canned_list", "canned_new", "email_template_list",
        "email_template_edit", "help_center", "subscription_list", "package_list")]
    pages += [reverse("console:plan_terms_edit", args=[Plan.objects.for_tenant(tenant).first().pk]),
              reverse("console:plan_history", args=[Plan.objects.for_tenant(tenant).first().pk]),
              reverse("console:calendar_edit", args=[Calendar.objects.for_tenant(tenant).first().pk]),
              reverse("console:subscription_edit", args=[Subscription.objects.for_tenant(tenant).first().pk])]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    login(page, live_server.url, ADMIN)
    too_wide = []
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        try:
            _shoot(page, "fit" + path.strip("/").replace("/", "-"))
        except AssertionError as error:
            too_wide.append(error.args[0])
    assert not too_wide, " | ".join(w.splitlines()[0] for w in too_wide)
