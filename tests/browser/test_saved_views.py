"""In Chromium: an agent filters the queue, saves the filters as a view, finds it in the sidebar with its
count, opens it, renames and deletes it; the bell shows a notification and its list marks it read.

Screenshots at 1440 and 390 px go to ``BROWSER_SHOTS`` (a folder) when it is set.
"""

import os
import re

import pytest

from tests.browser.test_agent_workspace import shot
from tests.browser.test_ticket_flow import login, seeded  # noqa: F401  (fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_saved_view(seeded, live_server, browser):  # noqa: F811
    from django.core.cache import cache
    from playwright.sync_api import expect

    from core.models import Contact
    from tests.tickets.ui_support import agent, file_ticket
    from tickets.models import Ticket
    from tickets.services import ticket_assign

    cache.clear()
    customer = Contact.objects.get(name="Paweł Nowicki")
    urgent = file_ticket(customer, "Magazyn stoi: nie drukuje etykiet", critical=True)
    file_ticket(customer, "Pytanie o fakturę")
    me = agent("wysylki", "agent@wysylki.example.com")
    boss = agent("wysylki", "admin@wysylki.example.com")
    ticket_assign(tenant=urgent.tenant, ticket=urgent, assignee=me, actor=boss.user)
    critical = Ticket.objects.filter(tenant=urgent.tenant, critical=True, status__in=Ticket.ACTIVE_STATUSES).count()

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    login(page, live_server.url, "agent@wysylki.example.com")
    expect(page).to_have_url(re.compile(r"/agent/$"))
    expect(page.locator(".bell__count")).to_have_text("1")  # the assignment, polled in by the header
    expect(page.locator("[data-unread] .ref", has_text=urgent.reference)).to_have_count(1)

    page.get_by_label("Krytyczne").check()
    page.get_by_role("button", name="Filtruj").click()
    expect(page).to_have_url(re.compile(r"critical=1"))
    page.get_by_text("Zapisz te filtry jako widok").click()
    page.get_by_label("Nazwa widoku").fill("Pilne krytyczne")
    page.get_by_role("button", name="Zapisz widok").click()
    expect(page.locator(".flash")).to_contain_text("Zapisano widok „Pilne krytyczne”")
    view = page.locator("[data-view]", has_text="Pilne krytyczne")
    expect(view).to_have_attribute("aria-current", "page")
    expect(view.locator("[data-view-count]")).to_have_text(str(critical))
    shot(page, "saved-view-desktop")

    page.get_by_role("link", name="Cała kolejka").click()
    expect(page.locator("[data-row]")).not_to_have_count(critical)
    page.locator("[data-view]", has_text="Pilne krytyczne").click()
    expect(page.locator("[data-row]")).to_have_count(critical)
    expect(page.locator("[data-row] .ref", has_text=urgent.reference)).to_have_count(1)

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    login(phone, live_server.url, "agent@wysylki.example.com")
    expect(phone.locator("[data-view]", has_text="Pilne krytyczne")).to_be_visible()
    shot(phone, "saved-view-phone")
    phone.goto(live_server.url + "/agent/notifications/")
    expect(phone.locator("[data-notification][data-unread]")).to_have_count(1)
    shot(phone, "notifications-phone")
    phone.close()

    page.get_by_role("link", name="Zarządzaj").click()
    page.get_by_label("Nowa nazwa widoku „Pilne krytyczne”").fill("Krytyczne — magazyn")
    page.get_by_role("button", name="Zmień nazwę").click()
    expect(page.locator("[data-view-row]")).to_contain_text("Krytyczne — magazyn")
    shot(page, "views-manage-desktop")
    page.locator("a.bell").click()
    expect(page.locator("[data-notification]")).to_contain_text(urgent.reference)
    shot(page, "notifications-desktop")
    page.get_by_role("button", name="Oznacz jako przeczytane").click()
    expect(page.locator("[data-notification][data-unread]")).to_have_count(0)
    expect(page.locator(".bell__count")).to_have_count(0)
    page.goto(live_server.url + "/agent/views/")
    page.get_by_role("button", name="Usuń").click()
    expect(page.locator("[data-view-row]")).to_have_count(0)
    page.close()
