"""End to end in Chromium: a customer files a ticket, an agent works it, the customer sees the answer."""
import os
import re

import pytest

from helpdesk.management.commands.seed_demo import DEMO_PASSWORD

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run under it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64



@pytest.fixture
def seeded(settings, tmp_path, monkeypatch):
    from helpdesk.management.commands.seed_demo import seed

    settings.MEDIA_ROOT = str(tmp_path)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Notifications go to the workers; this test is about the pages, so nothing is enqueued.
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    seed()


def login(page, base, email):
    page.goto(base + "/login/")
    page.get_by_label("Adres e-mail").fill(email)
    page.get_by_label("Hasło").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Zaloguj się").click()


def test_customer_files_agent_answers_customer_reopens(seeded, live_server, browser, tmp_path):
    from playwright.sync_api import expect

    from core.models import Contact
    from tests.tickets.ui_support import agent as agent_of, file_ticket
    from tickets.models import Ticket
    from tickets.selectors import queue

    base = live_server.url
    # given other work in the queue: a critical ticket (must stay above) and a phone ticket without deadline
    critical = file_ticket(Contact.objects.get(name="Krzysztof Prądzyński"), "Magazyn stoi", critical=True)
    Ticket.objects.filter(pk=critical.pk).update(critical=True)

    # when the customer files a ticket with an attachment
    shot = tmp_path / "ekran.png"
    shot.write_bytes(PNG)
    customer = browser.new_page()
    login(customer, base, "pawel@novahurt.example.com")
    customer.get_by_role("link", name="Nowe zgłoszenie").first.click()
    customer.get_by_label("Kategoria").select_option(index=1)
    customer.get_by_label("Temat").fill("Etykiety drukują się puste")
    customer.get_by_label("Opis").fill("Od rana każda etykieta wychodzi pusta.")
    customer.get_by_label("Załączniki").set_input_files(str(shot))
    customer.get_by_role("button", name="Wyślij zgłoszenie").click()
    expect(customer.locator(".flash")).to_contain_text("zostało wysłane")
    ticket = Ticket.objects.get(subject="Etykiety drukują się puste")
    expect(customer.get_by_role("link", name="ekran.png")).to_be_visible()

    # then the agent finds it at its place in the queue, and opens it from the keyboard
    agent = browser.new_page()
    login(agent, base, "agent@wysylki.example.com")
    expect(agent).to_have_url(re.compile(r"/agent/$"))
    membership = agent_of("wysylki", "agent@wysylki.example.com")
    expected = [t.reference for t in queue(tenant=ticket.tenant, membership=membership)][:50]
    shown = [re.sub(r"\s+", " ", r) for r in agent.locator("[data-row] .ref").all_inner_texts()]
    assert shown == expected
    position = shown.index(ticket.reference)
    assert shown.index(critical.reference) < position
    agent.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(position + 1):
        agent.keyboard.press("j")
    agent.keyboard.press("Enter")
    expect(agent.get_by_role("heading", level=1)).to_have_text("Etykiety drukują się puste")

    # the agent replies (r focuses the reply box), then adds an internal note
    agent.keyboard.press("r")
    agent.keyboard.type("Dzień dobry, prosimy o zaktualizowanie sterownika drukarki.")
    agent.get_by_role("button", name="Wyślij", exact=True).click()
    expect(agent.locator(".flash")).to_contain_text("Wysłano odpowiedź")
    agent.get_by_label("Notatka wewnętrzna").check()
    agent.get_by_label("Wiadomość").fill("Klient ma starą wersję sterownika.")
    agent.get_by_role("button", name="Wyślij", exact=True).click()
    expect(agent.locator(".flash")).to_contain_text("Dodano notatkę")
    agent.get_by_label(re.compile(r"^Status")).select_option("resolved")
    agent.get_by_role("button", name="Zmień status").click()
    expect(agent.locator(".meta .badge").first).to_have_text("rozwiązane")

    # the customer sees the reply and not the note, replies, and the ticket re-opens
    customer.reload()
    expect(customer.locator(".thread")).to_contain_text("zaktualizowanie sterownika")
    expect(customer.locator(".thread")).not_to_contain_text("starą wersję")
    customer.get_by_label("Twoja odpowiedź").fill("Nadal drukuje puste etykiety.")
    customer.get_by_role("button", name="Wyślij odpowiedź").click()
    expect(customer.locator(".meta .badge").first).to_have_text("w toku")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    agent.reload()
    expect(agent.locator(".thread")).to_contain_text("Nadal drukuje puste etykiety.")
