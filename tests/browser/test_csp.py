"""In Chromium, the pages of every role run under the strict Content-Security-Policy without a violation."""
import os

import pytest

from helpdesk.management.commands.seed_demo import DEMO_PASSWORD

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run under it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "pawel@novahurt.example.com"
AGENT = "agent@wysylki.example.com"
ADMIN = "admin@wysylki.example.com"

# Collects every violation the browser reports, from the first byte of each document.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""



@pytest.fixture
def seeded(settings, tmp_path, monkeypatch):
    from helpdesk.management.commands.seed_demo import seed

    settings.MEDIA_ROOT = str(tmp_path)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    seed()


class Watched:
    """A page whose CSP violations and CSP console errors are collected."""

    def __init__(self, browser):
        self.page = browser.new_context().new_page()
        self.page.add_init_script(WATCH)
        self.console = []
        self.page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)

    def visit(self, url: str) -> dict:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        self.page.wait_for_load_state("networkidle")
        return response.headers

    def problems(self) -> list[str]:
        reported = self.page.evaluate("window.__csp || []")
        console = [text for text in self.console if "Content Security Policy" in text or "Refused to" in text]
        return reported + console

    def login(self, base: str, email: str) -> None:
        self.visit(base + "/login/")
        self.page.get_by_label("Adres e-mail").fill(email)
        self.page.get_by_label("Hasło").fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="Zaloguj się").click()
        self.page.wait_for_load_state("networkidle")


def assert_clean(watched: Watched, base: str, path: str) -> None:
    headers = watched.visit(base + path)
    policy = headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, (path, policy)
    assert watched.problems() == [], path


def test_every_role_s_pages_run_without_a_csp_violation(seeded, live_server, browser):
    from core.models import Contact
    from tests.tickets.ui_support import file_ticket

    base = live_server.url
    ticket = file_ticket(Contact.objects.get(user__username=CUSTOMER), "Sprawdzenie polityki CSP", attachment=True)

    anonymous = Watched(browser)
    assert_clean(anonymous, base, "/login/")

    customer = Watched(browser)
    customer.login(base, CUSTOMER)
    assert customer.problems() == []
    for path in ("/portal/", f"/portal/tickets/{ticket.pk}/", "/portal/new/"):
        assert_clean(customer, base, path)

    agent = Watched(browser)
    agent.login(base, AGENT)
    for path in ("/agent/", f"/agent/tickets/{ticket.pk}/"):
        assert_clean(agent, base, path)
    # the keyboard help overlay and the reply box work (the scripts are external files)
    agent.page.keyboard.press("?")
    assert agent.page.locator("#help-overlay").is_visible()
    assert agent.problems() == []

    admin = Watched(browser)
    admin.login(base, ADMIN)
    for path in ("/admin/", "/admin/helpdesk/contact/", "/admin/helpdesk/auditevent/"):
        assert_clean(admin, base, path)


def test_the_watch_does_see_a_violation(seeded, live_server, browser):
    # given a page under the policy; when a script adds an inline style attribute, then it is reported
    watched = Watched(browser)
    watched.visit(live_server.url + "/login/")
    watched.page.evaluate("document.body.setAttribute('style', 'background: red')")
    watched.page.wait_for_timeout(200)
    assert any("style-src" in problem for problem in watched.problems())


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_api_docs_run_under_their_own_policy(seeded, live_server, browser, path):
    watched = Watched(browser)
    watched.login(live_server.url, ADMIN)
    headers = watched.visit(live_server.url + path)
    assert "object-src 'none'" in headers.get("content-security-policy", "")
    # the docs really render: the schema was fetched and shown
    watched.page.get_by_text("Helpdesk API").first.wait_for(state="visible", timeout=15000)
    # Redoc's bundle shows the Redocly logo from its CDN; the policy blocks that third-party image
    # on purpose (the visitor's address is not sent anywhere). Nothing else may be blocked.
    third_party_logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [p for p in watched.problems() if third_party_logo not in p] == []
