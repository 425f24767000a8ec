"""In Chromium: a critical ticket filed now is the agent's first row, above a critical ticket already
in progress (RULES 4.5), and its badge counts down to its reaction deadline."""
import os
import re
from datetime import datetime
from datetime import timedelta

import pytest

from tests.browser.test_ticket_flow import login

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def seeded(settings, tmp_path, monkeypatch):
    from helpdesk.management.commands.seed_demo import seed

    settings.MEDIA_ROOT = str(tmp_path)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    seed()


def test_a_new_critical_ticket_is_the_first_row_above_one_in_progress(seeded, live_server, browser):
    from django.utils import timezone
    from playwright.sync_api import expect

    from tests.tickets.ui_support import agent as agent_of, contact, file_ticket
    from tickets.models import Ticket
    from tickets.services import ticket_set_status

    base = live_server.url
    # given a critical ticket of an OPIEKA customer, filed an hour ago and already in progress
    staff = agent_of("kjm", "opiekun@kjm.example.com")
    older = file_ticket(contact("kjm", "Barbara Księgowa"), "Serwer nie wstaje", critical=True,
                        received_at=timezone.now() - timedelta(hours=1))
    ticket_set_status(tenant=staff.tenant, ticket=older, status=Ticket.Status.OPEN, actor=staff.user)

    # when the customer files a new critical ticket in the portal
    customer = browser.new_page()
    login(customer, base, "ksiegowosc@wodociagi.example.com")
    customer.get_by_role("link", name="Nowe zgłoszenie").first.click()
    customer.get_by_label("Kategoria").select_option(index=1)
    customer.get_by_label("Temat").fill("Nie da się wystawić faktur")
    customer.get_by_label("Opis").fill("Program zamyka się przy wystawianiu faktury.")
    customer.get_by_role("checkbox", name="Awaria krytyczna").check()
    customer.get_by_label("Dlaczego to awaria krytyczna?").fill("Stoi cała sprzedaż.")
    customer.get_by_role("button", name="Wyślij zgłoszenie").click()
    expect(customer.locator(".flash")).to_contain_text("zostało wysłane")
    newer = Ticket.objects.get(subject="Nie da się wystawić faktur")
    assert newer.critical

    # then it is the first row of the agent's default queue, the one in progress below it
    agent = browser.new_page()
    login(agent, base, "opiekun@kjm.example.com")
    expect(agent).to_have_url(re.compile(r"/agent/$"))
    refs = [re.sub(r"\s+", " ", r) for r in agent.locator("[data-row] .ref").all_inner_texts()]
    assert refs[0] == newer.reference
    assert refs.index(older.reference) > 0
    # and its badge counts down (local script, no CDN) to the ticket's own critical reaction deadline
    # (2 h of the critical calendar: the next morning when the ticket comes after the evening close)
    badge = agent.locator("[data-row]").first.locator("[data-countdown]")
    newer.refresh_from_db()
    assert datetime.fromisoformat(badge.get_attribute("data-countdown")) == newer.due_at
    expect(badge).to_have_text(re.compile(r"^zostało (\d+ d )?(\d+ h )?\d+ min$|^zostało \d+ h$"))
