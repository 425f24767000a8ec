"""In Chromium on the tenant's host: a visitor reads the manual; a customer searches, asks on the forum;
staff approve and answer; the customer marks the answer as the solution."""
import os
import re

import pytest

from tests.browser.conftest import LOCALHOST_HOSTS

from helpdesk.management.commands.seed_demo import DEMO_PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# *.localhost is the tenants' host names in the demo; Chromium resolves it to the loopback anyway.
EXTRA_ARGS = LOCALHOST_HOSTS
CUSTOMER = "ewa@bukiet.example.com"
AGENT = "agent@wysylki.example.com"



@pytest.fixture
def seeded(settings, tmp_path, monkeypatch):
    from helpcenter.demo import seed_helpcenter
    from helpdesk.management.commands.seed_demo import seed

    settings.MEDIA_ROOT = str(tmp_path)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Forum e-mails wait in the delivery outbox (no worker is woken); a test dispatches them itself.
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
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

    # the answer reaches the customer by e-mail, through the delivery outbox
    from django.core import mail

    from core import outbox

    outbox.dispatch()
    to_her = [m for m in mail.outbox if m.to == [CUSTOMER] and "Jak drukować etykiety A6 na Zebrze?" in m.subject]
    assert len(to_her) == 1 and "ZPL" in to_her[0].body
    assert to_her[0].extra_headers["List-Unsubscribe"].startswith("<http://wysylki.localhost")

    # the customer marks it as the solution
    customer.goto(f"{base}/help/forum/t/{topic.pk}/")
    customer.locator(".msg--staff").last.get_by_role("button", name="Oznacz jako rozwiązanie").click()
    expect(customer.locator(".solution-box")).to_contain_text("ZPL")
    topic.refresh_from_db()
    assert topic.is_solved and topic.solution.from_staff


def test_customer_filing_a_ticket_is_shown_a_matching_article_and_is_deflected(seeded, live_server, browser):
    from playwright.sync_api import expect

    from helpcenter.models import DeflectionEvent, SearchQuery
    from tickets.models import Ticket

    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://wysylki.localhost:{port}"
    tickets_before = Ticket.objects.count()

    # a customer starts a new ticket and describes the problem
    customer = browser.new_context().new_page()
    login(customer, base, CUSTOMER)
    customer.goto(base + "/portal/new/")
    customer.get_by_label("Temat").fill("Etykieta drukuje się pusta")
    # matching articles appear while she types (HTMX, debounced)
    box = customer.locator("#deflect-results")
    expect(box.get_by_role("link", name="Etykieta drukuje się pusta")).to_be_visible(timeout=10_000)

    # the article answers her question: she says so instead of filing the ticket
    box.locator("li", has_text="Etykieta drukuje się pusta").get_by_role(
        "button", name="To rozwiązało mój problem").click()
    expect(box).to_contain_text("Świetnie, cieszymy się, że pomogło!")
    assert Ticket.objects.count() == tickets_before
    assert DeflectionEvent.objects.filter(kind="solved").count() == 1
    logged = SearchQuery.objects.get(source="deflection")
    assert logged.deflected and logged.results >= 1 and "pusta" in logged.text

    # staff see it in the help center's reports
    staff = browser.new_context().new_page()
    login(staff, base, AGENT)
    staff.goto(base + "/help/staff/reports/")
    expect(staff.locator("#tps-h").locator("xpath=..")).to_contain_text("Etykieta drukuje się pusta")


def test_suggestion_is_voted_on_and_planned(seeded, live_server, browser):
    from playwright.sync_api import expect

    from core.models import Tenant
    from helpcenter.demo import _viewer_of
    from helpcenter.services.suggestions import suggestion_create

    tenant = Tenant.objects.get(slug="wysylki")
    suggestion = suggestion_create(tenant=tenant, viewer=_viewer_of(tenant, "staff"),
                                   title="Eksport etykiet do PDF w jednym pliku",
                                   body="Wszystkie etykiety dnia w jednym PDF-ie.")
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://wysylki.localhost:{port}"

    # a customer votes for it
    customer = browser.new_context().new_page()
    login(customer, base, CUSTOMER)
    customer.goto(f"{base}/help/suggestions/{suggestion.pk}/")
    count = customer.locator(".vote__count").first
    expect(count).to_have_text("1")  # the author's own vote
    customer.get_by_role("button", name="Głosuj").first.click()
    expect(count).to_have_text("2")
    expect(customer.get_by_role("button", name="Oddano głos ✓").first).to_be_visible()
    suggestion.refresh_from_db()
    assert suggestion.vote_count == 2

    # staff plan it and answer officially
    staff = browser.new_context().new_page()
    login(staff, base, AGENT)
    staff.goto(f"{base}/help/suggestions/{suggestion.pk}/")
    staff.locator("select[name=status]").select_option(value="planned")
    staff.get_by_label("Oficjalna odpowiedź").fill("Dodamy to w wersji 8.2.")
    staff.get_by_role("button", name="Zapisz", exact=True).click()
    staff.wait_for_load_state("networkidle")
    suggestion.refresh_from_db()
    assert suggestion.status == "planned"

    # the customer sees the new status and the answer
    customer.goto(f"{base}/help/suggestions/{suggestion.pk}/")
    expect(customer.locator("main")).to_contain_text("zaplanowana")
    expect(customer.locator(".official")).to_contain_text("Dodamy to w wersji 8.2.")
