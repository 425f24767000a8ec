"""Idempotency-Key on POST and the per-token rate limit."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.models import IdempotencyKey, Organization


def test_same_key_same_body_replays_the_first_response(alpha):
    first = alpha.post("/api/v1/organizations/", {"name": "Once Ltd"}, **{"Idempotency-Key": "k-1"})
    again = alpha.post("/api/v1/organizations/", {"name": "Once Ltd"}, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Organization.objects.filter(name="Once Ltd").count() == 1


def test_same_key_different_body_is_422(alpha):
    alpha.post("/api/v1/organizations/", {"name": "One"}, **{"Idempotency-Key": "k-2"})
    response = alpha.post("/api/v1/organizations/", {"name": "Two"}, **{"Idempotency-Key": "k-2"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert not Organization.objects.filter(name="Two").exists()


def test_a_duplicate_while_the_first_runs_is_409(alpha):
    first = alpha.post("/api/v1/organizations/", {"name": "Slow"}, **{"Idempotency-Key": "k-3"})
    record = IdempotencyKey.objects.get(key="k-3")
    # The first request is still running: its row has no response yet.
    IdempotencyKey.objects.filter(pk=record.pk).update(response_status=None, response_body=None)
    response = alpha.post("/api/v1/organizations/", {"name": "Slow"}, **{"Idempotency-Key": "k-3"})
    assert first.status_code == 201 and response.status_code == 409


def test_keys_are_per_tenant_and_expire_after_a_day(alpha, beta):
    assert alpha.post("/api/v1/organizations/", {"name": "A"}, **{"Idempotency-Key": "shared"}).status_code == 201
    assert beta.post("/api/v1/organizations/", {"name": "B"}, **{"Idempotency-Key": "shared"}).status_code == 201
    IdempotencyKey.objects.filter(key="shared").update(created_at=timezone.now() - timedelta(hours=25))
    again = alpha.post("/api/v1/organizations/", {"name": "A2"}, **{"Idempotency-Key": "shared"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again


def test_validation_errors_are_replayed_too(alpha):
    first = alpha.post("/api/v1/organizations/", {"name": ""}, **{"Idempotency-Key": "bad"})
    again = alpha.post("/api/v1/organizations/", {"name": ""}, **{"Idempotency-Key": "bad"})
    assert first.status_code == again.status_code == 400
    assert again["Content-Type"] == "application/problem+json" and again.json() == first.json()


def test_throttled_requests_get_429_with_retry_after(alpha, beta, settings):
    settings.API_RATE = "3/min"
    responses = [alpha.get("/api/v1/organizations/") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r["RateLimit-Remaining"] for r in responses[:3]] == ["2", "1", "0"]
    assert responses[0]["RateLimit-Limit"] == responses[0]["X-RateLimit-Limit"] == "3"
    limited = responses[3]
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited["Content-Type"] == "application/problem+json" and limited.json()["status"] == 429
    # Per token: another tenant's token still has its own budget.
    assert beta.get("/api/v1/organizations/").status_code == 200


def _flaky_ticket_create(monkeypatch, error):
    """``ticket_create`` that fails once with ``error``, then works."""
    import tickets.api

    real, calls = tickets.api.ticket_create, []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(tickets.api, "ticket_create", flaky)
    return calls


def test_a_request_that_crashed_releases_its_key(alpha, monkeypatch):
    calls = _flaky_ticket_create(monkeypatch, RuntimeError("a bug"))
    alpha.client.raise_request_exception = False
    body = {"subject": "Retry me", "body": "x", "contact": alpha.world.contact.pk}
    first = alpha.post("/api/v1/tickets/", body, **{"Idempotency-Key": "k-crash"})
    assert first.status_code == 500 and not IdempotencyKey.objects.filter(key="k-crash").exists()
    retry = alpha.post("/api/v1/tickets/", body, **{"Idempotency-Key": "k-crash"})
    assert retry.status_code == 201, retry.content
    replay = alpha.post("/api/v1/tickets/", body, **{"Idempotency-Key": "k-crash"})
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == retry.json()["id"] and len(calls) == 2


def test_a_locked_database_is_a_503_to_retry_and_releases_the_key(alpha, monkeypatch):
    from django.db import OperationalError

    _flaky_ticket_create(monkeypatch, OperationalError("database is locked"))
    body = {"subject": "Busy", "body": "x", "contact": alpha.world.contact.pk}
    first = alpha.post("/api/v1/tickets/", body, **{"Idempotency-Key": "k-busy"})
    assert first.status_code == 503 and first["Retry-After"] == "1"
    assert first["Content-Type"] == "application/problem+json" and first.json()["status"] == 503
    assert alpha.post("/api/v1/tickets/", body, **{"Idempotency-Key": "k-busy"}).status_code == 201


def test_a_key_abandoned_by_a_dead_request_is_taken_over(alpha):
    first = alpha.post("/api/v1/organizations/", {"name": "Orphan"}, **{"Idempotency-Key": "k-dead"})
    assert first.status_code == 201
    Organization.objects.filter(name="Orphan").delete()
    # As if the process had been killed mid-request, six minutes ago: no response was stored.
    IdempotencyKey.objects.filter(key="k-dead").update(response_status=None, response_body=None,
                                                       created_at=timezone.now() - timedelta(minutes=6))
    again = alpha.post("/api/v1/organizations/", {"name": "Orphan"}, **{"Idempotency-Key": "k-dead"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Organization.objects.filter(name="Orphan").count() == 1
