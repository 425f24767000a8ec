"""In Chromium: an agent merges two tickets of one customer and the customer sees one thread; an agent
splits a customer's message off into a new ticket.

Screenshots at 1440 and 390 px go to ``BROWSER_SHOTS`` (a folder) when it is set.
"""

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_ticket_flow import login, seeded  # noqa: F401  (fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("BROWSER_SHOTS")
CUSTOMER = "joanna@meblex.example.com"
WIDTHS = ((1440, 900, "desktop"), (390, 844, "phone"))


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _two_tickets():
    from core.models import Contact
    from tests.tickets.ui_support import file_ticket
    from tickets.models import Message
    from tickets.services import message_add

    joanna = Contact.objects.get(emails__email=CUSTOMER)
    source = file_ticket(joanna, "Faktura korygująca nie drukuje się")
    message_add(
        tenant=source.tenant,
        ticket=source,
        body="Dodam, że podgląd wydruku też jest pusty.",
        author_contact=joanna,
        source=Message.Source.PORTAL,
    )
    target = file_ticket(joanna, "Wydruki z modułu faktur są puste")
    return joanna, source, target


def test_merge_two_tickets_and_the_customer_sees_one_thread(seeded, live_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    from tickets.models import Ticket

    _joanna, source, target = _two_tickets()
    base = live_server.url

    for width, height, name in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": height})
        login(page, base, "agent@wysylki.example.com")
        expect(page).to_have_url(re.compile(r"/agent/$"))
        page.goto(f"{base}/agent/tickets/{source.pk}/")
        page.get_by_role("link", name="Scal…").click()
        page.get_by_label("Numer zgłoszenia albo słowa z tematu lub wiadomości").fill(target.reference)
        page.get_by_role("button", name="Szukaj").click()
        expect(page.locator("[data-merge-candidates] li")).to_have_count(1)
        shot(page, f"merge-pick-{name}")
        page.locator("[data-merge-candidates] a", has_text=target.reference).click()
        expect(page.locator(".merge-side")).to_have_count(2)
        expect(page.get_by_text(target.subject).first).to_be_visible()
        shot(page, f"merge-confirm-{name}")
        if name == "desktop":
            page.close()  # the phone run is the one that merges
            continue
        page.get_by_role("button", name=f"Scal {source.reference} z {target.reference}").click()
        expect(page).to_have_url(re.compile(rf"/agent/tickets/{target.pk}/$"))
        expect(page.locator(".flash")).to_contain_text(f"Zgłoszenie {source.reference} scalono")
        expect(page.locator(".msg--internal", has_text=source.reference)).to_have_count(1)
        page.close()

    assert Ticket.objects.get(pk=source.pk).merged_into_id == target.pk

    customer = browser.new_page(viewport={"width": 1440, "height": 900})
    login(customer, base, CUSTOMER)
    customer.goto(f"{base}/portal/")
    expect(customer.get_by_text(target.reference)).to_have_count(1)
    expect(customer.get_by_text(source.reference, exact=True)).to_have_count(0)
    customer.goto(f"{base}/portal/tickets/{source.pk}/")  # the old address (an old e-mail's link)
    expect(customer).to_have_url(re.compile(rf"/portal/tickets/{target.pk}/$"))
    thread = customer.locator(".thread")
    expect(thread).to_contain_text("Dodam, że podgląd wydruku też jest pusty.")
    expect(thread.locator(".msg--internal")).to_have_count(0)  # the merge notes are the agents'
    shot(customer, "merge-portal-desktop")


def test_split_a_customer_message_off_into_a_new_ticket(seeded, live_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    from tickets.models import Message

    _joanna, source, _target = _two_tickets()
    later = Message.objects.filter(ticket=source).order_by("-id").first()
    base = live_server.url

    for width, height, name in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": height})
        login(page, base, "agent@wysylki.example.com")
        expect(page).to_have_url(re.compile(r"/agent/$"))
        page.goto(f"{base}/agent/tickets/{source.pk}/")
        page.locator(f'[data-split="{later.pk}"]').click()
        expect(page.locator(f'input[name="message"][value="{later.pk}"]')).to_be_checked()
        shot(page, f"split-{name}")
        if name == "desktop":
            page.close()
            continue
        page.get_by_label("Temat nowego zgłoszenia").fill("Podgląd wydruku jest pusty")
        page.get_by_role("button", name="Utwórz nowe zgłoszenie").click()
        expect(page.locator("h1")).to_have_text("Podgląd wydruku jest pusty")
        expect(page.locator(".thread")).to_contain_text("Dodam, że podgląd wydruku też jest pusty.")
        page.close()

    later.refresh_from_db()
    assert later.ticket_id != source.pk
