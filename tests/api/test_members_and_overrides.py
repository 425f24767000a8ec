"""Staff IDs resolvable through ``/members/``; ``overrides`` PATCHed as a JSON Merge Patch."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def test_members_resolve_every_staff_id_the_api_hands_out(alpha, beta):
    world = alpha.world
    members = alpha.get("/api/v1/members/").json()["results"]
    by_id = {m["id"]: m for m in members}
    assert set(by_id) == {world.admin.pk, world.agent.pk}
    agent = by_id[world.agent.pk]
    assert agent == {"id": world.agent.pk, "user": world.agent.user_id, "name": agent["name"],
                     "email": world.agent.user.email, "role": "agent", "active": True, "on_call": False}
    assert agent["name"]

    # A ticket's assignee and a time entry's agent are membership IDs; a message's author is a user ID.
    ticket = alpha.patch(f"/api/v1/tickets/{alpha.ticket.pk}/", {"assignee": world.agent.pk}).json()
    assert by_id[ticket["assignee"]]["user"] == world.agent.user_id
    entry = alpha.post("/api/v1/time-entries/", {"ticket": alpha.ticket.pk, "kind": "phone", "minutes": 5,
                                                  "started_at": (timezone.now() - timedelta(hours=1)).isoformat()})
    assert entry.json()["agent"] == world.admin.pk  # the token's creator
    message = alpha.post(f"/api/v1/tickets/{alpha.ticket.pk}/messages/", {"body": "On it."}).json()
    [author] = alpha.get("/api/v1/members/", user=message["author"]["user"]).json()["results"]
    assert author["id"] == world.admin.pk

    assert alpha.get("/api/v1/members/", role="admin").json()["results"][0]["id"] == world.admin.pk
    assert alpha.get(f"/api/v1/members/{world.agent.pk}/").json()["email"] == world.agent.user.email
    assert beta.get(f"/api/v1/members/{world.agent.pk}/").status_code == 404
    assert alpha.get("/api/v1/members/", role="owner").status_code == 400
    assert alpha.post("/api/v1/members/", {}).status_code == 405


def test_overrides_patch_is_a_json_merge_patch(alpha):
    url = f"/api/v1/subscriptions/{alpha.world.subscription.pk}/"
    first = alpha.patch(url, {"overrides": {"price_net": "80.00"}})
    assert first.status_code == 200, first.json()
    assert first.json()["overrides"] == {"price_net": "80.00"}
    # Another key is added; the earlier price override stays.
    second = alpha.patch(url, {"overrides": {"reaction_minutes": 120}}).json()
    assert second["overrides"] == {"price_net": "80.00", "reaction_minutes": 120}
    # null removes one override; {} changes nothing.
    third = alpha.patch(url, {"overrides": {"price_net": None}}).json()
    assert third["overrides"] == {"reaction_minutes": 120}
    assert alpha.patch(url, {"overrides": {}}).json()["overrides"] == {"reaction_minutes": 120}
    bad = alpha.patch(url, {"overrides": {"no_such_term": 1}})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["overrides.no_such_term"]
    # every error is keyed by the path of its value in the request
    bad = alpha.patch(url, {"overrides": {"price_net": "cheap", "reaction_minutes": -5, "channels": ["fax"]}})
    assert bad.status_code == 400
    assert sorted(bad.json()["errors"]) == ["overrides.channels[0]", "overrides.price_net",
                                           "overrides.reaction_minutes"]
    assert alpha.get(url).json()["overrides"] == {"reaction_minutes": 120}
