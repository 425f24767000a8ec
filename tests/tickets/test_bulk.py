"""Bulk actions on the queue: one service call and one transaction per ticket, a summary of failures."""
import pytest

from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.models import CannedReply, Category, Message, Ticket, TicketEvent


def _set(ticket, **fields):
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def scene(demo, client, monkeypatch):
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    member = agent("wysylki", "agent@wysylki.example.com")
    client.force_login(member.user)
    customer = contact("wysylki", "Paweł Nowicki")
    tickets = [file_ticket(customer, f"Sprawa {n}") for n in range(3)]
    return {"agent": member, "agent2": agent("wysylki", "agent2@wysylki.example.com"), "tickets": tickets,
            "kjm": file_ticket(contact("kjm", "Barbara Księgowa"), "Obca sprawa")}


def _post(client, **data):
    return client.post("/agent/bulk/", data, follow=True)


def test_bulk_assign_assigns_each_ticket_with_its_own_event(scene, client):
    ids = [t.pk for t in scene["tickets"]]
    response = _post(client, ids=ids, action="assign", assignee=scene["agent2"].pk, next="/agent/?q=sprawa")
    assert response.redirect_chain[-1][0] == "/agent/?q=sprawa"
    assert "Wykonano dla 3 zgłoszeń." in response.content.decode()
    assert set(Ticket.objects.filter(pk__in=ids).values_list("assignee_id", flat=True)) == {scene["agent2"].pk}
    assert TicketEvent.objects.filter(ticket_id__in=ids, kind="assigned").count() == 3


def test_a_refused_ticket_is_reported_and_the_others_are_done(scene, client):
    first, second, third = scene["tickets"]
    _set(second, status=Ticket.Status.CLOSED)  # closed → resolved is not a transition
    response = _post(client, ids=[first.pk, second.pk, third.pk, scene["kjm"].pk], action="status",
                     status="resolved")
    html = response.content.decode()
    assert "Wykonano dla 2 zgłoszeń." in html
    assert f"{second.reference} bez zmian" in html
    assert f"#{scene['kjm'].pk} bez zmian: Nie ma takiego zgłoszenia." in html  # another helpdesk's: not found
    statuses = dict(Ticket.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list("pk", "status"))
    assert statuses == {first.pk: "resolved", second.pk: "closed", third.pk: "resolved"}
    assert Ticket.objects.get(pk=scene["kjm"].pk).status != "resolved"


def test_bulk_close_sends_the_canned_reply_to_each_and_closes(scene, client):
    canned = CannedReply.objects.for_tenant(scene["agent"].tenant).first() or CannedReply.objects.create(
        tenant=scene["agent"].tenant, title="Zamykamy", body="Dziękujemy, zamykamy zgłoszenie.")
    first, second, _third = scene["tickets"]
    _set(second, status=Ticket.Status.CLOSED)
    html = _post(client, ids=[first.pk, second.pk], action="close", canned=canned.pk).content.decode()
    assert "Wykonano dla 1 zgłoszenia." in html and "Zgłoszenie jest już zamknięte." in html
    first.refresh_from_db()
    assert first.status == Ticket.Status.CLOSED
    reply = Message.objects.filter(ticket=first, from_staff=True, internal=False).latest("id")
    assert reply.body == canned.body
    assert not Message.objects.filter(ticket=second, body=canned.body).exists()


def test_bulk_category(scene, client):
    category = Category.objects.for_tenant(scene["agent"].tenant).filter(active=True).order_by("-position").first()
    ids = [t.pk for t in scene["tickets"]]
    _post(client, ids=ids, action="category", category=category.pk)
    assert set(Ticket.objects.filter(pk__in=ids).values_list("category_id", flat=True)) == {category.pk}


@pytest.mark.parametrize("data, field", [
    ({"action": "status"}, "status"),
    ({"action": "category"}, "category"),
    ({"action": "close"}, "canned"),
    ({"action": "explode"}, "action"),
    ({"action": "assign", "ids": ["abc"]}, "ids"),
    ({"action": "assign", "ids": []}, "ids"),
    ({"action": "assign", "assignee": "999999"}, "assignee"),
])
def test_bad_input_is_a_400_naming_the_field(scene, client, data, field):
    payload = {"ids": [scene["tickets"][0].pk], **data}
    response = client.post("/agent/bulk/", payload)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert Ticket.objects.get(pk=scene["tickets"][0].pk).assignee_id is None


def test_an_outside_next_address_is_not_followed(scene, client):
    response = client.post("/agent/bulk/", {"ids": [scene["tickets"][0].pk], "action": "assign",
                                            "assignee": scene["agent"].pk, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/agent/"


def test_bulk_merge_moves_each_selected_ticket_into_the_one_named(scene, client):
    first, second, third = scene["tickets"]
    Message.objects.create(tenant=second.tenant, ticket=second, body="Druga wiadomość 0x12", from_staff=False)
    response = _post(client, ids=[first.pk, second.pk, third.pk], action="merge", target=third.reference.lower())
    html = response.content.decode()
    assert "Wykonano dla 2 zgłoszeń." in html
    assert f"{third.reference} bez zmian" in html  # the target itself is not merged into itself
    for source in (first, second):
        source.refresh_from_db()
        assert source.merged_into_id == third.pk
    assert Message.objects.filter(ticket=third, body__contains="0x12").exists()
    assert TicketEvent.objects.filter(ticket=third, kind="merged_from").count() == 2
    assert TicketEvent.objects.filter(ticket_id__in=[first.pk, second.pk], kind="merged_into").count() == 2


@pytest.mark.parametrize("target", ["", "WYS-999999", "KJM-1", "abc"])
def test_bulk_merge_without_a_known_target_is_a_form_error_and_changes_nothing(scene, client, target):
    first, second, _third = scene["tickets"]
    if target == "KJM-1":
        target = scene["kjm"].reference  # another helpdesk's ticket: not found here
    response = client.post("/agent/bulk/", {"ids": [first.pk, second.pk], "action": "merge", "target": target})
    assert response.status_code == 400
    assert Ticket.objects.filter(pk__in=[first.pk, second.pk], merged_into__isnull=False).count() == 0


def test_bulk_merge_reports_a_ticket_of_another_customer(scene, client):
    first, _second, third = scene["tickets"]
    stranger = file_ticket(contact("wysylki", "Joanna Stolarczyk"), "Cudza sprawa")
    html = _post(client, ids=[first.pk, stranger.pk], action="merge", target=third.reference).content.decode()
    assert "Wykonano dla 1 zgłoszenia." in html
    assert f"{stranger.reference} bez zmian" in html
    stranger.refresh_from_db()
    assert stranger.merged_into_id is None
