"""End to end in Chromium: a tenant admin renegotiates a subscription from a month and sells an hour package."""

import os
from pathlib import Path

import pytest

from tests.browser.test_settings_flow import seeded  # noqa: F401 (a fixture)
from tests.browser.test_ticket_flow import login

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@kjm.example.com"
WIDTHS = {"desktop": 1440, "phone": 390}
SHOTS = Path(os.environ.get("SETTINGS_SCREENSHOTS", "/tmp/settings-screenshots"))


# The first elements that reach past the viewport: what to fix when the page overflows.
WIDE_ELEMENTS = """Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _shoot(page, name):
    """The page at desktop and phone widths; nothing may overflow the phone's width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        wide = page.evaluate(WIDE_ELEMENTS)
        assert overflow <= 0, (name, label, overflow, wide)
    page.set_viewport_size({"width": 1440, "height": 900})


def test_admin_changes_a_price_from_a_month_and_sells_a_package(seeded, live_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    from billing.models import Package
    from plans.models import SubscriptionChange

    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="pl-PL")
    login(page, live_server.url, ADMIN)
    page.goto(live_server.url + "/settings/subscriptions/")
    expect(page.get_by_role("heading", name="Subskrypcje", level=1)).to_be_visible()
    _shoot(page, "subscriptions")
    page.locator("#subscriptions tr", has_text="Zorza").get_by_role("link", name="Zmień").click()
    page.get_by_label("Obowiązuje od miesiąca").fill("2027-03")
    page.get_by_label("Miesięczna cena dla tego klienta, netto").fill("2500.00")
    page.get_by_label("Stanowiska", exact=True).fill("12")
    page.get_by_label("Powód zmiany").fill("Nowe stanowiska")
    page.get_by_role("button", name="Zapisz zmianę").click()
    expect(page.get_by_text("Zmiana została zapisana")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("2\xa0200,00 → 2\xa0500,00")
    _shoot(page, "subscription-edit")
    assert SubscriptionChange.objects.get().overrides["price_net"] == "2500.00"

    page.goto(live_server.url + "/settings/packages/")
    page.get_by_label("Organizacja").select_option(label="Biuro Rachunkowe Bilans")
    page.get_by_label("Godziny").fill("3")
    page.get_by_role("button", name="Zapisz zakup").click()
    expect(page.get_by_text("Zapisano pakiet dla: Biuro Rachunkowe Bilans")).to_be_visible()
    expect(page.locator("#balances")).to_contain_text("Biuro Rachunkowe Bilans")
    _shoot(page, "packages")
    assert Package.objects.filter(organization__name="Biuro Rachunkowe Bilans", minutes=180).exists()
