"""In Chromium on the tenant's host: a visitor reads the manual; a customer searches, asks on the forum;
staff approve and answer; the customer marks the answer as the solution."""
import os
import re

import pytest

from helpdesk.management.commands.seed_demo import DEMO_PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
# *.localhost is the tenants' host names in the demo; Chromium resolves it to the loopback anyway.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--host-resolver-rules=MAP *.localhost 127.0.0.1"]
CUSTOMER = "ewa@bukiet.example.com"
AGENT = "agent@wysylki.example.com"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def seeded(settings, tmp_path, monkeypatch):
    from helpcenter.demo import seed_helpcenter
    from helpdesk.management.commands.seed_demo import seed

    settings.MEDIA_ROOT = str(tmp_path)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    monkeypatch.setattr("helpcenter.services.common.notify", lambda kind, pk: None)
    monkeypatch.setattr("helpcenter.services.forum.notify", lambda kind, pk: None)
    seed()
    seed_helpcenter()


def login(page, base, email):
    page.goto(base + "/login/")
    page.get_by_label("Adres e-mail").fill(email)
    page.get_by_label("Hasło").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Zaloguj się").click()
    page.wait_for_load_state("networkidle")


def test_visitor_reads_customer_asks_staff_answers_customer_accepts(seeded, live_server, browser):
    from playwright.sync_api import expect

    from helpcenter.models import Topic

    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://wysylki.localhost:{port}"

    # an anonymous visitor reads the manual, chapter by chapter
    visitor = browser.new_context().new_page()
    visitor.goto(base + "/help/")
    visitor.get_by_role("link", name="Program do wysyłek — instrukcja").first.click()
    visitor.get_by_role("link", name="2.2. DPD: etykiety i protokoły").first.click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("DPD: etykiety i protokoły")
    visitor.get_by_role("link", name=re.compile("Następny")).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Zamknięcie dnia")

    # a customer searches with an inflected, mistyped word
    customer = browser.new_context().new_page()
    login(customer, base, CUSTOMER)
    customer.goto(base + "/help/")
    customer.locator("#hero-q").fill("etykiete drukarkka")
    customer.locator("#hero-q").press("Enter")
    expect(customer.get_by_role("link", name="Etykieta drukuje się pusta")).to_be_visible()

    # …and asks on the forum (already a member: the demo's posts are hers, so no moderation)
    customer.goto(base + "/help/forum/new/")
    customer.get_by_label("Kategoria").select_option(label="Konfiguracja programu")
    customer.get_by_label("Tytuł").fill("Jak drukować etykiety A6 na Zebrze?")
    customer.get_by_label("Twoje pytanie").fill("Mamy drukarkę **Zebra** i etykiety A6. <script>alert(1)</script>")
    customer.get_by_role("button", name="Opublikuj pytanie").click()
    expect(customer.get_by_role("heading", level=1)).to_have_text("Jak drukować etykiety A6 na Zebrze?")
    topic = Topic.objects.get(title="Jak drukować etykiety A6 na Zebrze?")
    assert customer.locator("script:has-text('alert(1)')").count() == 0

    # a staff member answers
    staff = browser.new_context().new_page()
    login(staff, base, AGENT)
    staff.goto(f"{base}/help/forum/t/{topic.pk}/")
    staff.get_by_label("Twoja odpowiedź").fill("Ustaw w sterowniku format 10×15 i język **ZPL**.")
    staff.get_by_role("button", name="Odpowiedz").click()
    expect(staff.locator(".msg--staff").last).to_contain_text("zespół Wysyłki Pro")

    # the customer marks it as the solution
    customer.goto(f"{base}/help/forum/t/{topic.pk}/")
    customer.locator(".msg--staff").last.get_by_role("button", name="Oznacz jako rozwiązanie").click()
    expect(customer.locator(".solution-box")).to_contain_text("ZPL")
    topic.refresh_from_db()
    assert topic.is_solved and topic.solution.from_staff
