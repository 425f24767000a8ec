"""Paging long lists: counted while cheap, "of many" past the cap with filters, pages beyond the cap."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import Ticket


def _zefirs(customer, n: int) -> list:
    """``n`` tickets with the word "zefir", a minute apart, the newest first; even ones by e-mail,
    odd ones from the portal."""
    now = timezone.now()
    tickets = []
    for i in range(n):
        ticket = file_ticket(customer, f"Zefir {i}")
        Ticket.objects.filter(pk=ticket.pk).update(received_at=now - timedelta(minutes=i),
                                                   channel="email" if i % 2 == 0 else "portal")
        tickets.append(ticket)
    return tickets


@pytest.fixture
def zefirs(demo, monkeypatch):
    """Twelve tickets with the word "zefir", alternately by e-mail and from the portal, newest first by
    number; the count cap at 5 and five rows a page."""
    monkeypatch.setattr("tickets.views.agent.SEARCH_COUNT_CAP", 5)
    monkeypatch.setattr("tickets.views.common.PAGE_SIZES", (5, 10, 25, 50, 100))
    return {"tickets": _zefirs(contact("wysylki", "Paweł Nowicki"), 12),
            "agent": agent("wysylki", "agent@wysylki.example.com")}


def _rows(html: str) -> list[str]:
    return re.findall(r'<span class="ref">([^<]+)</span>', html)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_filtered_search_over_more_words_than_the_cap_pages_on_without_a_count(zefirs, client):
    # given a search with a filter whose word matches more tickets (12) than the count cap (5)
    client.force_login(zefirs["agent"].user)
    email = [t.reference for i, t in enumerate(zefirs["tickets"]) if i % 2 == 0]  # 6, newest first
    url = "/agent/?q=zefir&channel=email&per_page=5"

    # when the first page is shown, no count is read: the page reads one row more than it shows
    with CaptureQueriesContext(connection) as queries:
        html = _page(client, url)
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert _rows(html) == email[:5]
    assert "zgłoszenia 1–5 z wielu" in html and "page=2" in html and "Strona 1" in html

    # then the next page holds the rest, and ending short it knows the count
    html = _page(client, url + "&page=2")
    assert _rows(html) == email[5:]
    assert "6 zgłoszeń" in html and "Strona 2 z 2" in html and "page=3" not in html


def test_a_filtered_search_with_few_matches_is_counted_over_their_ids(zefirs, client, monkeypatch):
    # given a cap above the matches: their ids are known from the search
    monkeypatch.setattr("tickets.views.agent.SEARCH_COUNT_CAP", 50)
    client.force_login(zefirs["agent"].user)
    with CaptureQueriesContext(connection) as queries:
        html = _page(client, "/agent/?q=zefir&channel=portal&per_page=5")
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    # then the count names the tickets, never the text index
    assert len(counts) == 1 and "ticketsearch" not in counts[0] and "search_fts" not in counts[0]
    assert "6 zgłoszeń" in html and "Strona 1 z 2" in html


def test_a_search_alone_pages_past_the_cap(zefirs, client):
    client.force_login(zefirs["agent"].user)
    refs = [t.reference for t in zefirs["tickets"]]
    html = _page(client, "/agent/?q=zefir&per_page=5")
    assert "ponad 5 zgłoszeń" in html and _rows(html) == refs[:5]
    # pages beyond the cap are reachable; the last one shows the rest and no next page
    assert _rows(_page(client, "/agent/?q=zefir&per_page=5&page=2")) == refs[5:10]
    html = _page(client, "/agent/?q=zefir&per_page=5&page=3")
    assert _rows(html) == refs[10:] and "page=4" not in html and "page=2" in html


@pytest.mark.parametrize("page", ["9", "0", "-1", "x", "99999999999999999999"])
def test_a_page_past_the_end_or_not_a_page_shows_a_real_page(zefirs, client, page):
    client.force_login(zefirs["agent"].user)
    for query in ("q=zefir", "q=zefir&channel=email", "q=zefir+11"):
        html = _page(client, f"/agent/?{query}&per_page=5&page={page}")
        assert _rows(html), (query, page)


def test_the_portal_list_counts_to_its_cap_and_pages_on(demo, client, monkeypatch):
    # given an organization with seven tickets, counted up to three, three a page
    monkeypatch.setattr("tickets.views.portal.PORTAL_COUNT_CAP", 3)
    monkeypatch.setattr("tickets.views.common.PAGE_SIZES", (3, 10, 25, 50, 100))
    customer = contact("wysylki", "Paweł Nowicki")
    refs = [ticket.reference for ticket in _zefirs(customer, 7)]
    client.force_login(customer.user)
    # when the customer pages through the list, every ticket is reached once, newest first
    seen, page = [], 1
    while True:
        html = _page(client, f"/portal/?per_page=3&page={page}")
        seen += re.findall(r'<a href="/portal/tickets/\d+/">([^<]+)</a>', html)
        assert f"Strona {page}" in html
        if f"page={page + 1}" not in html:
            break
        page += 1
    assert seen == refs and page == 3
    # and a page past the end shows the last one
    assert re.findall(r'<a href="/portal/tickets/\d+/">([^<]+)</a>', _page(client, "/portal/?per_page=3&page=9"))
