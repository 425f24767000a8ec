"""The ticket resource shows every SLA target and its state (RULES 4.7); the terms take them per plan and
per subscription like the reaction time."""
from __future__ import annotations

from django.utils import timezone

from plans.models import Subscription


def test_targets_set_per_subscription_show_on_the_ticket_with_their_state(alpha):
    world = alpha.world
    subscription = Subscription.objects.for_tenant(world.tenant).filter(organization=world.organization).get()
    # a tenant admin sets the new targets for this customer through the API, like the reaction time,
    # from this month on (a dated change; without a date it would apply from next month)
    this_month = timezone.localdate().replace(day=1).isoformat()
    response = alpha.patch(f"/api/v1/subscriptions/{subscription.pk}/",
                           {"overrides": {"next_reply_minutes": 60, "resolution_minutes": 480},
                            "effective_from": this_month})
    assert response.status_code == 200, response.json()
    bad = alpha.patch(f"/api/v1/subscriptions/{subscription.pk}/", {"overrides": {"resolution_minutes": -5}})
    assert bad.status_code == 400 and "overrides.resolution_minutes" in bad.json()["errors"]

    created = alpha.post("/api/v1/tickets/", {"subject": "Printer", "body": "Does not print",
                                               "contact": world.contact.pk})
    assert created.status_code == 201, created.json()
    sla = created.json()["sla"]
    targets = {t["target"]: t for t in sla["targets"]}
    assert set(targets) >= {"next_reply", "resolution"}
    assert targets["resolution"]["due_at"] is not None and targets["resolution"]["paused"] is False
    assert targets["next_reply"]["due_at"] is None  # nothing to reply to before the reaction
    assert sla["next_due_target"] in {"reaction", "resolution"} and sla["next_due_at"] is not None

    # waiting on the customer pauses the resolution clock
    waiting = alpha.patch(f"/api/v1/tickets/{created.json()['id']}/", {"status": "waiting_customer"})
    assert waiting.status_code == 200, waiting.json()
    targets = {t["target"]: t for t in waiting.json()["sla"]["targets"]}
    assert targets["resolution"] == {"target": "resolution", "due_at": None, "paused": True, "met_at": None,
                                     "breached_at": None}


def test_the_schema_documents_the_targets(alpha):
    schema = alpha.client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    sla = schema["components"]["schemas"]["Sla"]["properties"]
    assert {"targets", "next_due_at", "next_due_target"} <= set(sla)
    target = schema["components"]["schemas"]["SlaTarget"]["properties"]
    assert set(target) == {"target", "due_at", "paused", "met_at", "breached_at"}
