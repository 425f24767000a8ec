"""Parallel API writes on the default set-up (an SQLite file) never answer 5xx.

Several CRM clients import tickets, log time and buy hour packages at once while webhook deliveries
(run eagerly, as a worker would, in the server's threads) write their attempts to the same database.
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from datetime import date
from decimal import Decimal

CLIENTS = 6
REQUESTS_PER_CLIENT = 8


def _post(base: str, token: str, path: str, body: dict, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_parallel_writes_while_webhooks_are_delivered(live_server, alpha, receiver, eager_celery):
    from billing.models import Package, TimeEntry
    from core.models import IdempotencyKey
    from core.services import organization_create
    from plans.services import subscription_create
    from tests.factories import PlanFactory
    from tickets.models import Ticket

    tenant = alpha.world.tenant
    package_plan = PlanFactory(tenant=tenant, code="pakiet", terms={
        "service_calendar": alpha.world.calendar, "billing_mode": "package", "price_net": Decimal("450.00"),
        "package_minutes": 180, "package_validity_months": 3})
    buyer = organization_create(tenant=tenant, name="Buyer")
    subscription = subscription_create(tenant=tenant, organization=buyer, plan=package_plan,
                                       accepted_on=date.today())
    base = live_server.url + "/api/v1/"
    status, _hook = _post(base, alpha.token, "webhooks/", {
        "url": receiver.url, "events": ["ticket.created", "time_entry.created"]}, "hook")
    assert status == 201

    results: list[tuple[str, int, dict]] = []
    start = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        start.wait()
        for i in range(REQUESTS_PER_CLIENT):
            key = f"c{number}-{i}"
            status, body = _post(base, alpha.token, "tickets/", {
                "subject": f"Import {key}", "body": "Imported from the CRM", "contact": alpha.world.contact.pk,
                "external_id": f"IMPORT-{key}"}, f"t-{key}")
            results.append(("ticket", status, body))
            if status == 201:
                status, body = _post(base, alpha.token, "time-entries/", {
                    "ticket": body["id"], "kind": "phone", "started_at": "2026-01-05T10:00:00+01:00",
                    "minutes": 5}, f"e-{key}")
                results.append(("time entry", status, body))
            if i % 4 == 0:
                status, body = _post(base, alpha.token, "packages/", {
                    "organization": buyer.pk, "purchased_on": str(subscription.starts_on), "minutes": 60}, f"p-{key}")
                results.append(("package", status, body))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    failures = [(kind, status, body) for kind, status, body in results if status != 201]
    assert not failures, (Counter((kind, status) for kind, status, _ in failures), failures[:3])
    tickets = CLIENTS * REQUESTS_PER_CLIENT
    assert Ticket.objects.for_tenant(tenant).filter(external_id__startswith="IMPORT-").count() == tickets
    assert TimeEntry.objects.for_tenant(tenant).count() == tickets
    assert Package.objects.for_tenant(tenant).filter(organization=buyer).count() == CLIENTS * 2
    # Every key completed: none is left "in progress".
    assert not IdempotencyKey.objects.for_tenant(tenant).filter(response_status__isnull=True).exists()
    assert len(receiver.events("ticket.created")) == tickets
