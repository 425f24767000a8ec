"""In Chromium: the agent's search finds a closed ticket by a word of a message; the ticket page shows
the customer's other tickets, and on a phone the ticket's state and actions come first.

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


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_search_finds_a_closed_ticket_by_a_word_from_a_message(seeded, live_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    from core.models import Contact
    from tests.tickets.ui_support import file_ticket
    from tickets.models import Message, Ticket
    from tickets.services import message_add

    customer = Contact.objects.get(name="Paweł Nowicki")
    ticket = file_ticket(customer, "Import zamówień się zatrzymuje")
    message_add(tenant=ticket.tenant, ticket=ticket, body="W logu widzę kod 0x12 i komunikat o zablokowanej bazie.",
                author_contact=customer, source=Message.Source.PORTAL)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)

    for width, height, name in ((1440, 900, "desktop"), (390, 844, "phone")):
        page = browser.new_page(viewport={"width": width, "height": height})
        login(page, live_server.url, "agent@wysylki.example.com")
        expect(page).to_have_url(re.compile(r"/agent/$"))
        expect(page.locator("[data-row] .ref", has_text=ticket.reference)).to_have_count(0)  # closed: not queued

        page.get_by_label("Szukaj").fill("zablokowana baza")
        page.get_by_role("button", name="Filtruj").click()
        expect(page.locator("[data-row] .ref", has_text=ticket.reference)).to_have_count(1)
        page.get_by_label("Szukaj").fill("0x12")
        page.get_by_role("button", name="Filtruj").click()
        expect(page.locator("[data-row]")).to_have_count(1)
        page.locator("#f-status summary").click()
        page.get_by_label("Zamknięte", exact=True).check()
        page.get_by_text("Więcej filtrów").click()
        page.get_by_label("Sortowanie").select_option("newest")
        shot(page, f"search-{name}")
        page.get_by_role("button", name="Filtruj").click()
        expect(page.locator("[data-row] .ref", has_text=ticket.reference)).to_have_count(1)
        expect(page).to_have_url(re.compile(r"status=closed"))
        page.close()


def test_ticket_page_customer_context_and_phone_layout(seeded, live_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    from core.models import Contact
    from tests.tickets.ui_support import file_ticket
    from tickets.models import Ticket

    customer = Contact.objects.get(name="Paweł Nowicki")
    older = file_ticket(customer, "Wcześniejsza sprawa z etykietami")
    Ticket.objects.filter(pk=older.pk).update(status=Ticket.Status.CLOSED)
    ticket = file_ticket(customer, "Drukarka znowu nie drukuje")

    desktop = browser.new_page(viewport={"width": 1440, "height": 900})
    login(desktop, live_server.url, "agent@wysylki.example.com")
    desktop.goto(f"{live_server.url}/agent/tickets/{ticket.pk}/")
    expect(desktop.locator("[data-requester-tickets]")).to_contain_text(older.reference)
    shot(desktop, "ticket-desktop")
    desktop.get_by_role("link", name=re.compile(older.reference)).first.click()
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Wcześniejsza sprawa z etykietami")

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    login(phone, live_server.url, "agent@wysylki.example.com")
    phone.goto(f"{live_server.url}/agent/tickets/{ticket.pk}/")
    status_button = phone.get_by_role("button", name="Zmień status")
    thread = phone.locator("#thread-title").locator("xpath=..")
    expect(status_button).to_be_visible()
    status_top = status_button.bounding_box()["y"]
    assert status_top < thread.bounding_box()["y"]
    assert status_top < 900, f"the status actions start {status_top:.0f} px down the page"
    shot(phone, "ticket-phone")


def test_bulk_assign_from_the_queue(seeded, live_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    from core.models import Contact
    from tests.tickets.ui_support import agent as agent_of, file_ticket
    from tickets.models import Ticket

    customer = Contact.objects.get(name="Paweł Nowicki")
    picked = [file_ticket(customer, f"Seria etykiet {n}") for n in range(2)]
    other = file_ticket(customer, "Seria etykiet pominięta")
    colleague = agent_of("wysylki", "agent2@wysylki.example.com")
    name = colleague.user.get_full_name()

    for width, height, label in ((1440, 900, "desktop"), (390, 844, "phone")):
        page = browser.new_page(viewport={"width": width, "height": height})
        login(page, live_server.url, "agent@wysylki.example.com")
        page.goto(f"{live_server.url}/agent/?q=seria")
        for ticket in picked:
            page.get_by_label(f"Zaznacz {ticket.reference}").check()
        page.locator("#bulk-action").select_option("assign")
        page.locator("#bulk-assignee").select_option(label=name)
        shot(page, f"bulk-{label}")
        page.get_by_role("button", name="Wykonaj dla zaznaczonych").click()
        expect(page.locator(".flash").first).to_contain_text("Wykonano dla 2 zgłoszeń")
        expect(page).to_have_url(re.compile(r"q=seria"))
        page.close()
        assert set(Ticket.objects.filter(pk__in=[t.pk for t in picked]).values_list("assignee_id", flat=True)) == {
            colleague.pk}
        assert Ticket.objects.get(pk=other.pk).assignee_id is None
        Ticket.objects.filter(pk__in=[t.pk for t in picked]).update(assignee=None)


def test_quote_reply_markdown_and_image_preview(seeded, live_server, browser, tmp_path):  # noqa: F811
    import io

    from PIL import Image
    from playwright.sync_api import expect

    from core.models import Contact
    from tickets.attachments import attachment_check
    from tickets.models import Category
    from tickets.services import ticket_create

    out = io.BytesIO()
    Image.new("RGB", (900, 600), (30, 90, 200)).save(out, format="PNG")
    customer = Contact.objects.get(name="Paweł Nowicki")
    ticket = ticket_create(tenant=customer.tenant, channel="portal", contact=customer, subject="Zrzut błędu",
                           body="Od rana drukarka zwraca błąd.",
                           category=Category.objects.for_tenant(customer.tenant).order_by("position").first(),
                           attachments=[attachment_check("blad.png", out.getvalue())])

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    login(page, live_server.url, "agent@wysylki.example.com")
    page.goto(f"{live_server.url}/agent/tickets/{ticket.pk}/")
    preview = page.locator("img[data-thumbnail]")
    expect(preview).to_be_visible()
    # a lazy image: visible before its bytes have arrived and been decoded
    preview.element_handle().wait_for_element_state("stable")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=preview.element_handle(), timeout=15000)
    assert page.evaluate("img => img.naturalWidth", preview.element_handle()) == 320
    page.get_by_role("button", name="Cytuj w odpowiedzi").first.click()
    box = page.get_by_label("Wiadomość")
    assert "> Od rana drukarka zwraca błąd." in box.input_value()
    box.press("End")
    box.type("**Proszę** zrestartować drukarkę.")
    page.get_by_role("button", name="Wyślij", exact=True).click()
    expect(page.locator(".msg__body--md strong", has_text="Proszę")).to_be_visible()
    expect(page.locator(".msg__body--md blockquote")).to_contain_text("Od rana drukarka zwraca błąd.")
    shot(page, "markdown-desktop")


def test_two_agents_on_one_ticket_see_each_other(seeded, live_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    from core.models import Contact
    from tests.tickets.ui_support import file_ticket

    ticket = file_ticket(Contact.objects.get(name="Paweł Nowicki"), "Wspólna sprawa")
    url = f"{live_server.url}/agent/tickets/{ticket.pk}/"
    first = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    second = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    login(first, live_server.url, "agent@wysylki.example.com")
    login(second, live_server.url, "agent2@wysylki.example.com")
    first.goto(url)
    second.goto(url)
    expect(first.locator("[data-presence-agent]")).to_contain_text("Marta Wiśniewska przegląda", timeout=15000)
    expect(second.locator("[data-presence-agent]")).to_contain_text("Piotr Zieliński przegląda", timeout=15000)
    second.get_by_label("Wiadomość").type("Już się tym zajmuję")
    expect(first.locator("[data-presence-agent]")).to_contain_text("Marta Wiśniewska pisze odpowiedź",
                                                                   timeout=15000)
    shot(first, "presence-desktop")
    shot(second, "presence-phone")
