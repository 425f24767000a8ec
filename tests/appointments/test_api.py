"""The API: free slots, booking, rescheduling and cancelling, with webhooks; staff only."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.appointments.conftest import NOW


@pytest.fixture
def staff_client(demo):
    client = APIClient()
    client.force_login(demo.user("agent@wysylki.example.com"))
    return client


def test_slots_book_reschedule_cancel(start_ticket, staff_client, sent, time_machine, monkeypatch):
    from appointments.models import Appointment

    events = []
    monkeypatch.setattr("core.webhooks.emit", lambda tenant_id, event, payload, event_id=None: events.append(event))
    time_machine.move_to(NOW, tick=False)
    response = staff_client.get("/api/v1/appointments/slots/", {"ticket": start_ticket.pk, "kind": "remote",
                                                                "minutes": 60, "days": 3})
    assert response.status_code == 200, response.content
    slots = response.json()
    assert slots and slots[0]["starts_at"].startswith("2026-05-04T10:00:00+02:00")
    created = staff_client.post("/api/v1/appointments/", {
        "ticket": start_ticket.pk, "kind": "remote", "minutes": 60, "starts_at": slots[0]["starts_at"]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "booked" and body["sequence"] == 0 and body["agent"] in slots[0]["agents"]
    twice = staff_client.post("/api/v1/appointments/", {
        "ticket": start_ticket.pk, "kind": "remote", "minutes": 60, "starts_at": slots[0]["starts_at"],
        "agent": body["agent"]}, format="json")
    assert twice.status_code == 422 and "starts_at" in twice.json()["errors"]
    moved = staff_client.patch(f"/api/v1/appointments/{body['id']}/", {"starts_at": slots[-1]["starts_at"]},
                               format="json")
    assert moved.status_code == 200 and moved.json()["sequence"] == 1
    assert staff_client.delete(f"/api/v1/appointments/{body['id']}/").status_code == 204
    assert Appointment.objects.get(pk=body["id"]).status == "cancelled"
    assert events[-3:] == ["appointment.booked", "appointment.rescheduled", "appointment.cancelled"]


def test_customers_and_strangers_get_no_api(start_ticket, demo):
    client = APIClient()
    assert client.get("/api/v1/appointments/").status_code == 401
    client.force_login(demo.user("joanna@meblex.example.com"))
    assert client.get("/api/v1/appointments/").status_code == 403
