"""A CRM's round trip over real HTTP (urllib against the live server), webhooks to a local receiver."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request



class Http:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def __call__(self, method: str, path: str, body=None, **headers):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
            "Accept": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")


def test_crm_round_trip(live_server, alpha, receiver, eager_celery):
    from tickets.models import Ticket
    from tickets.services import message_add

    http = Http(live_server.url + "/api/v1/", alpha.token)
    status, hook = http("POST", "webhooks/", {"url": receiver.url,
                                              "events": ["ticket.created", "ticket.message_added"]})
    assert status == 201
    secret = hook["secret"]

    status, org = http("POST", "organizations/", {"name": "Round Trip sp. z o.o.", "external_id": "CRM-RT-1"},
                       **{"Idempotency-Key": "rt-org"})
    assert status == 201, org
    assert http("POST", "organizations/", {"name": "Round Trip sp. z o.o.", "external_id": "CRM-RT-1"},
                **{"Idempotency-Key": "rt-org"}) == (201, org)
    status, contact = http("POST", "contacts/", {"organization": org["id"], "name": "Kasia Kowalska",
                                                 "emails": ["kasia@roundtrip.example.com"]})
    assert status == 201, contact
    status, subscription = http("POST", "subscriptions/", {"organization": org["id"], "plan": "basic"})
    assert status == 201, subscription
    status, ticket = http("POST", "tickets/", {"subject": "Invoice export fails", "body": "Error 17 on export",
                                               "contact": contact["id"], "external_id": "CASE-RT-1"})
    assert status == 201, ticket
    assert ticket["organization"] == org["id"] and ticket["status"] == "new"

    # An agent replies in the helpdesk (service call, as the UI does).
    row = Ticket.objects.get(pk=ticket["id"])
    message_add(tenant=alpha.world.tenant, ticket=row, body="Please send the export log.",
                author_user=alpha.world.agent.user)
    deadline = time.monotonic() + 10
    while not receiver.events("ticket.message_added") and time.monotonic() < deadline:
        time.sleep(0.05)
    [created] = receiver.events("ticket.created")
    [added] = receiver.events("ticket.message_added")
    assert created["data"]["ticket"]["external_id"] == "CASE-RT-1"
    assert added["data"]["message"]["body"] == "Please send the export log."
    assert added["data"]["ticket"]["id"] == ticket["id"]
    from tests.api.test_webhooks import verify

    assert all(verify(secret, r["headers"], r["body"]) for r in receiver.requests)

    status, read = http("GET", f"tickets/{ticket['id']}/")
    assert status == 200 and read["status"] == "open" and read["sla"]["reacted_at"] is not None
    status, messages = http("GET", f"tickets/{ticket['id']}/messages/")
    assert [m["body"] for m in messages["results"]] == ["Error 17 on export", "Please send the export log."]
    status, found = http("GET", "tickets/?external_id=CASE-RT-1")
    assert [t["id"] for t in found["results"]] == [ticket["id"]]
