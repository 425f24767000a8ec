"""Honest SLA status on the pages (RULES 4.1, 4.7): accepted is not answered, missed is said to be missed,
and the pages count down to what is due."""
from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.tickets.test_sla_targets import standard  # noqa: F401  (fixture)
from tests.tickets.ui_support import file_ticket
from tickets.models import Ticket
from tickets.services import message_add, ticket_set_status


def _page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200
    return response.content.decode()


def test_a_reaction_by_status_change_is_accepted_not_answered_until_an_agent_replies(client, standard):  # noqa: F811
    customer, staff = standard["customer"], standard["agent"]
    ticket = file_ticket(customer, "Nie drukuje")
    ticket_set_status(tenant=staff.tenant, ticket=ticket, status=Ticket.Status.OPEN, actor=staff.user)

    detail = _page(client, customer.user, reverse("portal:ticket_detail", args=[ticket.pk]))
    listing = _page(client, customer.user, reverse("portal:ticket_list"))
    assert "przyjęte do realizacji" in detail and "odpowiedziano" not in detail
    assert "przyjęte do realizacji" in listing and "odpowiedziano" not in listing
    # the next reply is owed from the reaction on: the customer sees it counting down
    assert "Kolejna odpowiedź" in detail and "data-countdown=" in detail

    message_add(tenant=staff.tenant, ticket=ticket, body="Sprawdzamy.", author_user=staff.user)
    detail = _page(client, customer.user, reverse("portal:ticket_detail", args=[ticket.pk]))
    listing = _page(client, customer.user, reverse("portal:ticket_list"))
    assert "odpowiedziano" in detail and "przyjęte do realizacji" not in detail
    assert "odpowiedziano" in listing


def test_a_missed_reaction_is_shown_as_missed_to_the_customer_and_to_the_agent(client, standard):  # noqa: F811
    customer, staff = standard["customer"], standard["agent"]
    ticket = file_ticket(customer, "Stoi wysyłka", received_at=timezone.now() - timedelta(days=6))
    assert ticket.due_at < timezone.now()

    detail = _page(client, customer.user, reverse("portal:ticket_detail", args=[ticket.pk]))
    listing = _page(client, customer.user, reverse("portal:ticket_list"))
    agent_page = _page(client, staff.user, reverse("agent:ticket_detail", args=[ticket.pk]))
    assert "po terminie: termin minął" in detail and "po terminie" in listing
    assert "po terminie: termin minął" in agent_page

    # reacted late: when, and by how much
    ticket_set_status(tenant=staff.tenant, ticket=ticket, status=Ticket.Status.OPEN, actor=staff.user)
    detail = _page(client, customer.user, reverse("portal:ticket_detail", args=[ticket.pk]))
    assert "przyjęte do realizacji" in detail and "spóźnienie" in detail


def test_the_queue_row_counts_down_to_the_next_due_target(client, standard):  # noqa: F811
    customer, staff = standard["customer"], standard["agent"]
    ticket = file_ticket(customer, "Pilne", received_at=timezone.now())
    body = _page(client, staff.user, reverse("agent:queue"))
    due = timezone.localtime(ticket.next_due_at).isoformat()
    assert f'data-countdown="{due}"' in body
    assert 'data-left="zostało {t}"' in body and 'data-over="po terminie {t}"' in body


def test_the_customers_plan_page_states_the_targets_of_their_terms(client, standard):  # noqa: F811
    body = _page(client, standard["customer"].user, reverse("portal:plan"))
    assert "Kolejna odpowiedź na Twoją wiadomość" in body and "2 godziny w godzinach obsługi" in body
    assert "Czas rozwiązania" in body and "10 godzin w godzinach obsługi, bez czasu oczekiwania" in body


def test_a_missed_next_reply_and_resolution_are_shown_to_the_customer_with_when_and_by_how_much(
        client, standard):  # noqa: F811
    import re

    from tests.tickets.test_sla_targets import local

    customer, staff = standard["customer"], standard["agent"]
    tenant = staff.tenant
    # given a reply due Monday 12:00 given at 13:30, and a resolution due Tuesday 8:00 given Wednesday 9:00
    ticket = file_ticket(customer, "Wolno działa", received_at=local(7, 8))
    message_add(tenant=tenant, ticket=ticket, body="Sprawdzamy.", author_user=staff.user, at=local(7, 9))
    message_add(tenant=tenant, ticket=ticket, body="Nadal wolno.", author_contact=customer, source="portal",
                at=local(7, 10))
    message_add(tenant=tenant, ticket=ticket, body="Już poprawione.", author_user=staff.user, at=local(7, 13, 30))
    ticket_set_status(tenant=tenant, ticket=ticket, status=Ticket.Status.RESOLVED, actor=staff.user,
                      at=local(9, 9))

    # when the customer opens the ticket
    detail = _page(client, customer.user, reverse("portal:ticket_detail", args=[ticket.pk]))
    block = detail[detail.index('class="facts sla-targets"'):]
    block = block[:block.index("</dl>")]

    # then both targets say they were missed, when they were due and by how much
    reply = block[block.index("Kolejna odpowiedź"):block.index("Rozwiązanie")]
    resolution = block[block.index("Rozwiązanie"):]
    assert re.search(r"po terminie: termin 07\.12\.2026, 12:00, spóźnienie 1 h 30 min", reply), reply
    assert re.search(r"po terminie: termin 08\.12\.2026, 08:00, spóźnienie 1 d 1 h", resolution), resolution
