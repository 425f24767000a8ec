"""Webhook payloads: one event per change with the state of that change, the API's representation,
one id format, every attempt logged, and every payload valid against the published JSON Schema."""
from __future__ import annotations

import re
from datetime import timedelta

import jsonschema
import pytest
from django.db import transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from billing.api import PackageSerializer
from billing.models import Package
from billing.services import package_notice_send, package_purchase, time_entry_log
from core import webhooks
from core.models import Contact, Membership, Organization, WebhookAttempt, WebhookDelivery
from core.services import webhook_create
from monitor import services as monitor
from tickets.merge import ticket_merge
from tickets.models import Ticket
from tickets.services import message_add, ticket_create, ticket_set_status


@pytest.fixture
def schema_document():
    return SchemaGenerator().get_schema(request=None, public=True)


def validate(document: dict, body: dict) -> None:
    """Validate an event body against its schema in the OpenAPI document's ``webhooks``."""
    ref = document["webhooks"][body["type"]]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    root = {"$ref": ref, "components": document["components"]}
    jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker()).validate(body)


APPOINTMENT_EVENTS = {"appointment.booked", "appointment.rescheduled", "appointment.cancelled"}


@pytest.fixture
def kjm_world(demo, receiver):
    kjm = demo.kjm
    endpoint, _secret = webhook_create(tenant=kjm, url=receiver.url, events=list(webhooks.EVENTS), actor=None)
    bilans = Organization.objects.get(tenant=kjm, name__startswith="Biuro Rachunkowe")
    contact = Contact.objects.filter(tenant=kjm, organization=bilans, can_file_tickets=True).first()
    agent = Membership.objects.filter(tenant=kjm, role="agent").order_by("id").first()
    return kjm, bilans, contact, agent, endpoint


def test_every_event_type_carries_the_state_of_its_change_and_matches_the_published_schema(
        kjm_world, receiver, schema_document, django_capture_on_commit_callbacks):
    kjm, bilans, contact, agent, endpoint = kjm_world
    # given changes made one after the other while no delivery has happened yet
    with django_capture_on_commit_callbacks(execute=False):
        worked_at = timezone.now() - timedelta(hours=1)
        # bought on the day of the work (an hour before midnight's run, that is yesterday)
        package = package_purchase(tenant=kjm, organization=bilans, purchased_on=timezone.localdate(worked_at))
        ticket = ticket_create(tenant=kjm, channel="portal", contact=contact, subject="Program nie drukuje",
                               body="Od rana.")
        message_add(tenant=kjm, ticket=ticket, body="Jeszcze zrzut ekranu.", author_contact=contact,
                    source="portal")
        for status in ("open", "waiting_customer", "resolved"):
            ticket = ticket_set_status(tenant=kjm, ticket=ticket, status=status, actor=agent.user)
        entry = time_entry_log(tenant=kjm, ticket=ticket, agent=agent, kind="phone",
                               started_at=worked_at, minutes=170, note="Instalacja")
        package.refresh_from_db()
        package_notice_send(kind="expiring", package_id=package.pk, send=lambda p, k: None)
        package_notice_send(kind="expired", package_id=package.pk, send=lambda p, k: None)
        overdue = ticket_create(tenant=kjm, channel="portal", contact=contact, subject="Awaria", body="Pilne")
        Ticket.objects.filter(pk=overdue.pk).update(sla_state="running", due_at=timezone.now() - timedelta(minutes=1),
                                                    warn_at=timezone.now() - timedelta(hours=1), warned_at=None)
        with transaction.atomic():
            monitor.sla_scan()
        duplicate = ticket_create(tenant=kjm, channel="portal", contact=contact, subject="Awaria raz jeszcze",
                                  body="To samo")
        ticket_merge(tenant=kjm, source=duplicate, target=overdue, actor=agent.user)
    # when the deliveries go out afterwards
    webhooks.dispatch()
    events = receiver.events()
    # then every event type was sent, each with one id format, and each body matches the schema
    assert {e["type"] for e in events} == set(webhooks.EVENTS) - APPOINTMENT_EVENTS  # below
    assert len({e["id"] for e in events}) == len(events)
    for event in events:
        assert re.fullmatch(r"msg_[0-9a-f]{32}", event["id"]), event["id"]
        validate(schema_document, event)
    # and three quick status changes are three events, each with its own state and the one before
    updates = [e["data"] for e in events if e["type"] == "ticket.updated" and e["data"]["ticket"]["id"] == ticket.pk
               and e["data"]["changes"] == ["status"]]
    assert [(u["previous_status"], u["ticket"]["status"]) for u in updates] == [
        ("new", "open"), ("open", "waiting_customer"), ("waiting_customer", "resolved")]
    # and the message posted while the ticket was new says "new", not the later "resolved"
    [added] = [e["data"] for e in events if e["type"] == "ticket.message_added"]
    assert added["ticket"]["status"] == "new" and added["message"]["body"] == "Jeszcze zrzut ekranu."
    # and SLA events carry the API's ticket: integer number and string reference
    breached = next(e["data"] for e in events if e["type"] == "sla.breached")
    assert breached["ticket"]["number"] == overdue.number and breached["ticket"]["reference"] == overdue.reference
    # and a merge carries the merged ticket (closed, pointing at the other) and the ticket merged into
    [merged] = [e["data"] for e in events if e["type"] == "ticket.merged"]
    assert merged["ticket"]["id"] == duplicate.pk and merged["ticket"]["status"] == "closed"
    assert merged["ticket"]["merged_into"] == overdue.pk and merged["into"]["id"] == overdue.pk
    # and the time entry is the API's, with the API's datetime format
    [logged] = [e["data"]["time_entry"] for e in events if e["type"] == "time_entry.created"]
    assert logged["id"] == entry.pk and logged["agent"] == agent.pk and logged["package"] == package.pk
    assert logged["note"] == "Instalacja" and logged["emergency"] is False
    assert logged["started_at"] == webhooks.timestamp_text(entry.started_at) and not logged["started_at"].endswith("Z")
    # and the package ran out in the logging transaction, with hours_left and debt_minutes
    [exhausted] = [e["data"]["package"] for e in events if e["type"] == "package.exhausted"]
    assert exhausted["status"] == "exhausted" and exhausted["minutes_left"] == 0
    assert {"hours_left", "debt_minutes"} <= set(exhausted)
    assert Package.objects.get(pk=package.pk).notified_exhausted_at is None  # the e-mail notice is the daily job's
    assert set(PackageSerializer.Meta.fields) == set(exhausted)


def test_every_attempt_is_logged_and_listed(alpha, receiver, eager_celery, django_capture_on_commit_callbacks):
    endpoint = alpha.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["ticket.created"]}).json()
    receiver.statuses = [500, 502, 200]
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.emit(alpha.world.tenant.pk, "ticket.created", {"ticket": {"id": 1}})
    delivery = WebhookDelivery.objects.get()
    for _ in range(2):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        webhooks.dispatch()
    listed = alpha.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/").json()["results"]
    [row] = listed
    assert row["status"] == "succeeded" and row["attempts"] == 3
    assert [(a["number"], a["status_code"]) for a in row["attempt_log"]] == [(1, 500), (2, 502), (3, 200)]
    assert all(a["duration_ms"] >= 0 and "webhook-id" in a["request_excerpt"] for a in row["attempt_log"])


def test_a_2xx_is_delivered_even_when_the_attempt_cannot_be_logged(alpha, receiver, monkeypatch):
    # given a receiver that answers 200, and an attempt log that fails to write
    alpha.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["ticket.created"]})
    webhooks.emit(alpha.world.tenant.pk, "ticket.created", {"ticket": {"id": 1}})

    def broken(*args, **kwargs):
        raise RuntimeError("the database refused the attempt row")

    monkeypatch.setattr(WebhookAttempt.objects, "create", broken)
    # when the dispatcher delivers it, and runs again later
    webhooks.dispatch()
    webhooks.dispatch()
    # then it was sent once and is marked delivered: never sent a second time
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and delivery.last_status_code == 200
    assert len(receiver.requests) == 1


def test_signatures_verify_with_the_standard_webhooks_library(alpha, receiver):
    from standardwebhooks.webhooks import Webhook

    secret = alpha.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["ticket.created"]}).json()["secret"]
    assert secret.startswith("whsec_")
    webhooks.emit(alpha.world.tenant.pk, "ticket.created", {"ticket": {"id": 1}})
    webhooks.dispatch()
    [request] = receiver.requests
    assert Webhook(secret).verify(request["body"], request["headers"])["type"] == "ticket.created"


def test_the_dead_letter_admin_lists_failed_messages_and_requeues_them(demo, client):
    from core.models import OutboxMessage, User

    # given a message that failed for good
    row = OutboxMessage.objects.create(tenant=demo.kjm, handler="tickets.page", recipient="x@example.com",
                                       dedupe_key="k", message_id="<k@example.com>", status="dead",
                                       attempts=8, last_error="SMTPDataError: 550 mailbox unavailable")
    client.force_login(User.objects.create_superuser("root-outbox", "root@example.com", "Tajne-haslo-123"))
    # when an operator opens the dead letters in the admin
    response = client.get("/admin/helpdesk/outboxmessage/?status__exact=dead")
    # then it is listed with its error, and the "send again" action puts it back in the queue
    assert response.status_code == 200 and "550 mailbox unavailable" in response.content.decode()
    response = client.post("/admin/helpdesk/outboxmessage/", {"action": "requeue", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")


def test_appointment_events_carry_the_appointment_as_the_api_shows_it(demo, receiver, schema_document, time_machine):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from appointments.services import appointment_book, appointment_cancel, appointment_reschedule
    from tests.tickets.ui_support import file_ticket

    monday = datetime(2026, 5, 4, 8, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    time_machine.move_to(monday, tick=False)
    tenant = demo.wysylki
    webhook_create(tenant=tenant, url=receiver.url, events=sorted(APPOINTMENT_EVENTS), actor=None)
    contact = Contact.objects.get(tenant=tenant, name="Joanna Stolarczyk")
    ticket = file_ticket(contact, "Pomoc przy konfiguracji kuriera", received_at=monday)
    # given a START customer's remote session booked, moved and cancelled
    booked = appointment_book(tenant=tenant, ticket=ticket, kind="remote", minutes=60, contact=contact,
                              starts_at=monday + timedelta(days=1, hours=3), actor=contact.user)
    moved = appointment_reschedule(tenant=tenant, appointment=booked, actor=contact.user,
                                   starts_at=monday + timedelta(days=1, hours=5))
    appointment_cancel(tenant=tenant, appointment=moved, actor=contact.user, by_customer=True)
    # when the deliveries go out
    webhooks.dispatch()
    events = receiver.events()
    # then each change is its own event, with the state of that change, valid against the schema
    assert [e["type"] for e in events] == ["appointment.booked", "appointment.rescheduled", "appointment.cancelled"]
    assert [e["data"]["appointment"]["sequence"] for e in events] == [0, 1, 2]
    assert events[-1]["data"]["appointment"]["status"] == "cancelled"
    for event in events:
        validate(schema_document, event)
