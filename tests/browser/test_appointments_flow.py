"""In Chromium on the tenant's host: a START customer books a remote session from a ticket in the portal
(picks the kind, sees the free times and the cost before confirming, confirms); the agent sees it in
the agenda; the customer reschedules it; the agent logs the session held; the customer's usage
(on the ticket) shows the hours. The agenda also fits a 390 px wide phone screen."""
import os
import re

import pytest

from tests.browser.conftest import LOCALHOST_HOSTS

from helpdesk.management.commands.seed_demo import DEMO_PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXTRA_ARGS = LOCALHOST_HOSTS
CUSTOMER = "joanna@meblex.example.com"  # Meblex, plan START: 3 hours a month included
AGENT = "agent@wysylki.example.com"
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")  # set it to keep the agenda's screenshots



@pytest.fixture
def seeded(settings, tmp_path, monkeypatch):
    from helpdesk.management.commands.seed_demo import seed

    settings.MEDIA_ROOT = str(tmp_path)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The pages are under test here, not the mail: nothing is handed to the workers.
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    seed()


def login(page, base, email):
    page.goto(base + "/login/")
    page.get_by_label("Adres e-mail").fill(email)
    page.get_by_label("Hasło").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Zaloguj się").click()
    page.wait_for_load_state("networkidle")


def test_start_customer_books_a_remote_session_and_the_agent_sees_it(seeded, live_server, browser):
    from playwright.sync_api import expect

    from appointments.models import Appointment
    from core.models import Contact
    from tickets.services import ticket_create

    contact = Contact.objects.select_related("tenant").get(name="Joanna Stolarczyk")
    ticket = ticket_create(tenant=contact.tenant, channel="portal", contact=contact,
                           subject="Pomoc przy konfiguracji kuriera", body="Prosimy o połączenie zdalne.")
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://{contact.tenant.domain.split(':')[0]}:{port}"

    # the customer opens her ticket and books a session from it
    customer = browser.new_context(locale="pl-PL").new_page()
    login(customer, base, CUSTOMER)
    customer.goto(f"{base}/portal/tickets/{ticket.pk}/")
    customer.get_by_role("link", name="Umów sesję").click()
    expect(customer.get_by_role("heading", level=1)).to_have_text("Umów sesję")

    # she picks the kind (the form sends itself) and sees free times by day
    customer.get_by_label("Rodzaj", exact=True).select_option(label="Pomoc zdalna")
    customer.wait_for_load_state("networkidle")
    customer.get_by_label("Długość", exact=True).select_option(value="60")
    customer.wait_for_load_state("networkidle")
    assert "kind=remote" in customer.url and "length=60" in customer.url
    chips = customer.locator("#slots .chip")
    expect(chips.first).to_be_visible()
    assert chips.count() > 3

    # before confirming she sees what it will cost: it draws on START's hours this month
    cost = customer.locator("aside.side")
    expect(cost.get_by_role("heading", name="Koszt")).to_be_visible()
    expect(cost).to_contain_text("Pozostało godzin w tym miesiącu")
    expect(cost).to_contain_text("bez dopłat")

    # she picks the first free time and confirms
    first = chips.first
    when = first.inner_text().strip()
    first.click()
    customer.get_by_role("button", name="Potwierdź rezerwację").click()
    customer.wait_for_load_state("networkidle")
    appointment = Appointment.objects.get(ticket=ticket)
    assert appointment.status == "booked" and appointment.kind == "remote"
    assert customer.url.endswith(f"/portal/appointments/{appointment.pk}/")
    expect(customer.get_by_role("heading", level=1)).to_contain_text(when)

    # the agent sees it in the agenda (everyone's week), with the ticket and the organization
    agent = browser.new_context(locale="pl-PL").new_page()
    login(agent, base, AGENT)
    agent.goto(f"{base}/agent/agenda/?agent=all")
    row = agent.locator("tr", has_text=ticket.reference)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Meblex")
    expect(row).to_contain_text(re.compile(rf"{when}–"))

    # the customer moves it to another free time: same calendar UID, next SEQUENCE
    customer.get_by_role("link", name="Zmień termin").click()
    customer.wait_for_load_state("networkidle")
    other = customer.locator("#slots .chip").nth(2)
    later = other.inner_text().strip()
    other.click()
    customer.get_by_role("button", name="Przenieś sesję").click()
    customer.wait_for_load_state("networkidle")
    moved = Appointment.objects.get(pk=appointment.pk)
    assert moved.starts_at != appointment.starts_at and moved.sequence == appointment.sequence + 1
    assert moved.uid == appointment.uid
    expect(customer.get_by_role("heading", level=1)).to_contain_text(later)

    # the session is held (its time comes: moved to the past here), and the agent logs it
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    # three hours ago, but in this month (the usage below is this month's), whenever the test runs
    month_start = timezone.make_aware(datetime.combine(timezone.localdate().replace(day=1), time(0, 0)))
    start = max(timezone.now().replace(second=0, microsecond=0) - timedelta(hours=3), month_start)
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=start, ends_at=start + timedelta(minutes=60))
    agent.goto(f"{base}/agent/tickets/{ticket.pk}/#sessions")
    sessions = agent.locator("#sessions")
    sessions.get_by_label("Faktyczny czas, minuty").fill("50")
    sessions.get_by_role("button", name="Zapisz sesję").click()
    agent.wait_for_load_state("networkidle")
    held = Appointment.objects.select_related("time_entry").get(pk=appointment.pk)
    assert held.status == "done" and held.time_entry is not None and held.time_entry.minutes == 50

    # the ticket's usage shows the hours used this month and what is left of START's 3 hours
    from billing.selectors import organization_usage
    from billing.templatetags.billing import hours

    usage = organization_usage(tenant=contact.tenant, organization=ticket.organization,
                               month=timezone.localdate().replace(day=1))
    assert usage.used_minutes >= held.time_entry.billed_minutes > 0
    assert usage.remaining_minutes == usage.included_minutes - usage.used_minutes
    figures = agent.locator(".billing-usage__figures")
    expect(figures).to_contain_text("Wykorzystano")
    expect(figures).to_contain_text(hours(usage.used_minutes))
    expect(figures).to_contain_text(hours(usage.remaining_minutes))


def test_agenda_fits_a_phone_and_a_desktop_screen(seeded, live_server, browser):
    from appointments import selectors, services
    from core.models import Contact
    from tickets.services import ticket_create

    contact = Contact.objects.select_related("tenant", "organization").get(name="Joanna Stolarczyk")
    tenant = contact.tenant
    from django.utils import timezone

    # given two sessions this week with long subjects
    for subject in ("Konfiguracja integracji z przewoźnikiem i drukowania etykiet zbiorczych w formacie A6",
                    "Import zamówień ze sklepu internetowego kończy się błędem przy dużych plikach CSV"):
        ticket = ticket_create(tenant=tenant, channel="portal", contact=contact, subject=subject, body="Prośba.")
        start, _agents = selectors.find_slots(tenant=tenant, organization=contact.organization, kind="remote",
                                              length=60, now=timezone.now(), days=7).slots[0]
        services.appointment_book(tenant=tenant, ticket=ticket, kind="remote", starts_at=start, minutes=60,
                                  actor=contact.user, contact=contact)
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://{tenant.domain.split(':')[0]}:{port}"
    for width, height in ((390, 844), (1440, 900)):
        page = browser.new_context(locale="pl-PL", viewport={"width": width, "height": height}).new_page()
        login(page, base, AGENT)
        page.goto(f"{base}/agent/agenda/?agent=all")
        assert page.locator("table").count() >= 1
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, f"agenda-{width}.png"), full_page=True)
        # then nothing is wider than the screen: the page does not scroll sideways
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{width} px: the page is {scroll_width} px wide"
