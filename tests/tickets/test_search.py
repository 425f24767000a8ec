"""The agents' ticket search: every status, message bodies, references, Polish words, filters, tenancy."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import text
from tests.tickets.ui_support import agent, contact, file_ticket
from tickets import search
from tickets.models import Message, Ticket, TicketSearch
from tickets.selectors import QueueFilters, queue
from tickets.services import message_add


def _set(ticket, **fields):
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def people(demo):
    return {
        "email": contact("wysylki", "Paweł Nowicki"),
        "standard": contact("wysylki", "Krzysztof Prądzyński"),
        "agent": agent("wysylki", "agent@wysylki.example.com"),
        "agent2": agent("wysylki", "agent2@wysylki.example.com"),
        "kjm": contact("kjm", "Barbara Księgowa"),
        "kjm_agent": agent("kjm", "opiekun@kjm.example.com"),
    }


def ids(membership, **filters):
    return {t.pk for t in queue(tenant=membership.tenant, membership=membership, filters=QueueFilters(**filters))}


def test_a_closed_ticket_is_found_by_a_word_from_a_customer_message(people):
    ticket = file_ticket(people["email"], "Import nie działa")
    message_add(tenant=people["agent"].tenant, ticket=ticket, body="Po imporcie widzę kod błędu 0x12.",
                author_contact=people["email"], source=Message.Source.PORTAL)
    _set(ticket, status=Ticket.Status.CLOSED)

    assert ticket.pk not in ids(people["agent"])  # the default queue shows active tickets
    assert ids(people["agent"], search="0x12") == {ticket.pk}
    assert ids(people["agent"], search="KOD BŁĘDU 0x12") == {ticket.pk}


def test_polish_inflection_and_diacritics_meet(people):
    ticket = file_ticket(people["email"], "Drukarką nie da się wydrukować faktury")
    assert ticket.pk in ids(people["agent"], search="drukarka")
    assert ticket.pk in ids(people["agent"], search="faktura drukarki")
    assert ticket.pk in ids(people["agent"], search="Drukarka")
    assert ticket.pk in ids(people["agent"], search="druk")  # the word being typed
    assert ticket.pk not in ids(people["agent"], search="faktura skaner")  # every word must occur
    # adjectival participles in every case meet ("zablokowana" / "zablokowanej")
    blocked = file_ticket(people["email"], "Import przy zablokowanej bazie")
    assert blocked.pk in ids(people["agent"], search="zablokowana baza")


def test_internal_notes_requester_organization_and_reference_are_searched(people):
    noted = file_ticket(people["email"], "Zwykły temat")
    message_add(tenant=people["agent"].tenant, ticket=noted, body="Wewnętrzna uwaga: klient ma serwer Zefir.",
                author_user=people["agent"].user, internal=True, source=Message.Source.AGENT)
    other = file_ticket(people["standard"], "Inny temat")
    _set(other, status=Ticket.Status.RESOLVED)

    assert ids(people["agent"], search="zefir") == {noted.pk}
    assert other.pk in ids(people["agent"], search="Prądzyński")
    assert other.pk in ids(people["agent"], search=people["standard"].organization.name)
    assert ids(people["agent"], search=other.reference) == {other.pk}
    assert ids(people["agent"], search=other.reference.lower()) == {other.pk}
    assert other.pk in ids(people["agent"], search=f"#{other.number}")


def test_another_tenants_tickets_are_never_found(people):
    theirs = file_ticket(people["kjm"], "Zefir w księgowości")
    ours = file_ticket(people["email"], "Zefir w magazynie")
    assert ids(people["agent"], search="zefir") == {ours.pk}
    assert ids(people["kjm_agent"], search="zefir") == {theirs.pk}
    # a reference with the other helpdesk's prefix names nothing here
    assert theirs.pk not in ids(people["agent"], search=theirs.reference)


def test_the_index_follows_changes_to_subject_messages_and_deletions(people):
    ticket = file_ticket(people["email"], "Stary temat")
    ticket.subject = "Nowy temat o skanerze"
    ticket.save(update_fields=["subject", "updated_at"])
    assert ticket.pk in ids(people["agent"], search="skaner")
    assert ticket.pk not in ids(people["agent"], search="stary")

    message = message_add(tenant=people["agent"].tenant, ticket=ticket, body="Termometr pokazuje błąd",
                          author_user=people["agent"].user, internal=True, source=Message.Source.AGENT)
    assert ticket.pk in ids(people["agent"], search="termometr")
    Message.objects.filter(ticket=ticket, body__contains="Termometr").get().delete()
    assert ticket.pk not in ids(people["agent"], search="termometr")
    assert message is not None


def test_gdpr_erasure_takes_the_words_out_of_the_index(people):
    from core.gdpr import contact_anonymise

    # given a ticket of another requester where the erased contact wrote a message signed with their name
    ticket = file_ticket(people["standard"], "Zgłoszenie")
    message_add(tenant=people["agent"].tenant, ticket=ticket, body="Tu Paweł Nowicki z działu IT, proszę o pomoc.",
                author_contact=people["email"], source=Message.Source.PORTAL)
    assert ticket.pk in ids(people["agent"], search="Nowicki")

    # when the contact is erased
    contact_anonymise(tenant=people["agent"].tenant, contact=people["email"], actor=None)

    # then the name is no longer found, though the ticket is
    assert ticket.pk not in ids(people["agent"], search="Nowicki")
    assert ticket.pk in ids(people["agent"], search="pomoc")


def test_filters_combine_with_the_search_and_each_other(people):
    tenant = people["agent"].tenant
    now = timezone.now()
    a = _set(file_ticket(people["email"], "Zefir pierwszy"), status=Ticket.Status.CLOSED, assignee=people["agent2"],
             sla_state=Ticket.SlaState.MET, received_at=now - timedelta(days=10))
    b = _set(file_ticket(people["standard"], "Zefir drugi", critical=False), status=Ticket.Status.OPEN,
             channel=Ticket.Channel.EMAIL, received_at=now - timedelta(days=1))
    c = _set(file_ticket(people["standard"], "Zefir trzeci"), status=Ticket.Status.WAITING_CUSTOMER,
             critical=True, received_at=now)
    member = people["agent"]

    assert ids(member, search="zefir") == {a.pk, b.pk, c.pk}
    assert ids(member, search="zefir", statuses=["closed", "open"]) == {a.pk, b.pk}
    assert ids(member, all_statuses=True) >= {a.pk, b.pk, c.pk}
    assert a.pk not in ids(member)
    assert ids(member, search="zefir", assignee=people["agent2"].pk) == {a.pk}
    assert ids(member, search="zefir", channel="email") == {b.pk}
    assert ids(member, search="zefir", critical=True) == {c.pk}
    assert ids(member, search="zefir", sla_state="met") == {a.pk}
    assert ids(member, search="zefir", organization=people["standard"].organization_id) == {b.pk, c.pk}
    assert ids(member, search="zefir", category=b.category_id) >= {b.pk}
    assert ids(member, search="zefir", received_from=(now - timedelta(days=2)).date()) == {b.pk, c.pk}
    assert ids(member, search="zefir", received_to=(now - timedelta(days=5)).date()) == {a.pk}
    newest = [t.pk for t in queue(tenant=tenant, membership=member,
                                  filters=QueueFilters(search="zefir", sort="newest"))]
    assert newest == [c.pk, b.pk, a.pk]
    oldest = [t.pk for t in queue(tenant=tenant, membership=member,
                                  filters=QueueFilters(search="zefir", sort="oldest"))]
    assert oldest == [a.pk, b.pk, c.pk]


def test_queue_page_search_and_filters_from_the_query_string(people, client):
    closed = _set(file_ticket(people["email"], "Awaria modułu Zefir"), status=Ticket.Status.CLOSED)
    client.force_login(people["agent"].user)
    response = client.get("/agent/", {"q": "zefir"})
    assert response.status_code == 200 and closed.reference in response.content.decode()
    response = client.get("/agent/?status=all&status=closed&sort=newest&channel=portal"
                          "&from=2000-01-01&to=2999-12-31&q=zefir")
    assert response.status_code == 200 and closed.reference in response.content.decode()
    # nonsense filters are ignored, never a server error
    for query in ("from=31-31-2020", "to=9999-12-31", "sort=drop", "status=x", "assignee=abc", "product=-1",
                  "category=99999999999999999999999", "channel=pigeon", "sla=%00", "q=%22%27*%3A%26|!()"):
        assert client.get(f"/agent/?{query}").status_code == 200, query


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_a_search_page_costs_the_same_queries_for_10_and_50_rows(people, client):
    for n in range(55):
        file_ticket([people["email"], people["standard"]][n % 2], f"Zefir numer {n}")
    client.force_login(people["agent"].user)
    client.get("/agent/")  # the login's tenant and session are cached from here on
    small, r10 = _count(client, "/agent/?q=zefir&per_page=10")
    large, r50 = _count(client, "/agent/?q=zefir&per_page=50&status=all&sort=newest")
    assert r10.content.count(b"data-row>") == 10 and r50.content.count(b"data-row>") == 50
    assert small == large


WORDS = ["drukarka", "drukarki", "faktura", "fakturze", "skaner", "zefir", "import", "importu", "łódź", "lodz",
         "0x12", "serwer", "serwera"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(st.lists(st.sampled_from(WORDS), max_size=6), min_size=4, max_size=4),
       query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
def test_the_engine_agrees_with_a_brute_force_reference(people, docs, query):
    # given four tickets whose only searchable words are ``docs`` (the heads are emptied)
    tickets = getattr(test_the_engine_agrees_with_a_brute_force_reference, "_tickets", None)
    if tickets is None or not Ticket.objects.filter(pk=tickets[0]).exists():
        tickets = [file_ticket(people["email"], "x").pk for _ in range(4)]
        test_the_engine_agrees_with_a_brute_force_reference._tickets = tickets
    for pk, words in zip(tickets, docs, strict=True):
        TicketSearch.objects.filter(ticket_id=pk).update(head_terms="", body_terms=text.index_text(" ".join(words)))

    # when the agent searches
    found = ids(people["agent"], search=" ".join(query)) & set(tickets)

    # then a ticket is found exactly when each query stem is one of its stems (the last as a prefix)
    stems = search.query_terms(" ".join(query))
    expected = set()
    for pk, words in zip(tickets, docs, strict=True):
        have = set(text.terms(" ".join(words)))
        if all(s in have for s in stems[:-1]) and any(h.startswith(stems[-1]) for h in have):
            expected.add(pk)
    assert found == expected


def test_reference_number_parsing():
    assert search.reference_number("KJM-1005", "KJM") == 1005
    assert search.reference_number("kjm-1005", "KJM") == 1005
    assert search.reference_number("#1005", "KJM") == 1005
    assert search.reference_number("1005", "KJM") == 1005
    assert search.reference_number("ABC-1005", "KJM") is None
    assert search.reference_number("1005 drukarka", "KJM") is None


def test_a_search_counts_at_most_the_cap(people, client, monkeypatch):
    monkeypatch.setattr("tickets.views.agent.SEARCH_COUNT_CAP", 5)
    for n in range(8):
        file_ticket(people["email"], f"Zefir {n}")
    client.force_login(people["agent"].user)
    html = client.get("/agent/?q=zefir&per_page=10").content.decode()
    assert "ponad 5 zgłoszeń" in html and html.count("data-row>") == 8  # counted to the cap, all rows shown
    html = client.get("/agent/?q=zefir+7").content.decode()
    assert "1 zgłoszenie" in html


def test_a_search_lists_newest_first_unless_asked_and_both_match_paths_agree(people, monkeypatch):
    now = timezone.now()
    tickets = [_set(file_ticket(people["email"], f"Zefir {n}"), received_at=now - timedelta(hours=n),
                    critical=(n == 2)) for n in range(4)]
    member = people["agent"]
    rows = [t.pk for t in queue(tenant=member.tenant, membership=member, filters=QueueFilters(search="zefir"))]
    assert rows == [t.pk for t in tickets]  # newest first, the critical one not lifted
    queued = [t.pk for t in queue(tenant=member.tenant, membership=member,
                                  filters=QueueFilters(search="zefir", sort="queue"))]
    assert queued[0] == tickets[2].pk
    # many matches go to the database as a subquery, few as a list of ids: the same tickets either way
    monkeypatch.setattr(search, "FEW_MATCHES", 1)
    assert ids(member, search="zefir") == {t.pk for t in tickets}
    assert ids(member, search="zefir 3") == {tickets[3].pk}
    # a reference, its text match kept as a subquery beside the ticket its number names
    monkeypatch.setattr(search, "FEW_MATCHES", 0)
    assert ids(member, search=tickets[1].reference) == {tickets[1].pk}
    assert tickets[1].pk in ids(member, search=f"#{tickets[1].number}")


@pytest.mark.parametrize("few", [0, 1, 3, 500])
@pytest.mark.parametrize("cap", [1, 3, 4, 1000])
def test_the_count_read_with_the_matches_is_the_tickets_count(people, monkeypatch, few, cap):
    # given tickets found by words, by a reference, by both, and a merged ticket's reference
    tickets = [file_ticket(people["email"], f"Zefir {n}") for n in range(4)]
    other = file_ticket(people["standard"], "Drukarka")
    _set(tickets[3], merged_into=other)
    file_ticket(people["kjm"], "Zefir w innej firmie")  # another tenant's
    monkeypatch.setattr(search, "FEW_MATCHES", few)
    member = people["agent"]
    tenant = member.tenant
    for query in ("zefir", "zefir 2", tickets[0].reference, f"#{tickets[3].number}", "Zefir 1 drukarka", "nic",
                  str(other.number)):
        # when a search alone runs, its number comes with its matches
        match = search.search_match(tenant_id=tenant.pk, prefix=tenant.ticket_prefix, query=query, count_cap=cap)
        # then it is the number of tickets the page lists, up to the cap + 1
        listed = {t.pk for t in queue(tenant=tenant, membership=member, filters=QueueFilters(search=query))}
        assert match.count == min(len(listed), cap + 1), query
        # and up to the cap it names them all (a count with other filters reads those)
        assert (set(match.ids) == listed) if len(listed) <= cap else match.ids is None, query
