"""Fixtures of the API tests: tokens of two tenants, a JSON client, a local webhook receiver."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from core.services import api_token_create
from core.models import Role


@pytest.fixture(autouse=True)
def _api_defaults(settings):
    """A generous rate limit (tests that check throttling set their own) and a clean cache."""
    settings.API_RATE = "100000/min"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def eager_celery():
    """Run Celery tasks inline, as a worker would after the commit."""
    from helpdesk.celery import app

    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


@dataclass
class Api:
    """A tenant's token and a client that sends it."""

    world: object
    token: str
    row: object
    client: APIClient
    ticket: object = None

    def get(self, path, **params):
        return self.client.get(path, params or None)

    def post(self, path, data=None, **headers):
        return self.client.post(path, data if data is not None else {}, format="json", headers=headers or None)

    def patch(self, path, data, **headers):
        return self.client.patch(path, data, format="json", headers=headers or None)

    def delete(self, path):
        return self.client.delete(path)


def make_api(world, role=Role.ADMIN, user=None) -> Api:
    row, token = api_token_create(tenant=world.tenant, name=f"CRM {role}", role=role,
                                  created_by=user or (world.admin.user if role == Role.ADMIN else world.agent.user))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return Api(world=world, token=token, row=row, client=client, ticket=world_ticket(world))


def world_ticket(world):
    """The tenant's sample ticket from its contact (created once)."""
    from tickets.models import Ticket
    from tickets.services import ticket_create

    existing = Ticket.objects.for_tenant(world.tenant).order_by("id").first()
    if existing is not None:
        return existing
    label = world.tenant.name.split()[0]
    return ticket_create(tenant=world.tenant, channel=Ticket.Channel.PORTAL, subject=f"{label} ticket",
                         body="Pomocy", contact=world.contact)


@pytest.fixture
def alpha(two_tenants) -> Api:
    return make_api(two_tenants[0])


@pytest.fixture
def alpha_agent(two_tenants) -> Api:
    return make_api(two_tenants[0], Role.AGENT)


@pytest.fixture
def beta(two_tenants) -> Api:
    return make_api(two_tenants[1])


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records requests and answers with queued status codes."""

    url: str
    requests: list = field(default_factory=list)
    statuses: list = field(default_factory=list)

    def events(self, event_type=None):
        bodies = [json.loads(r["body"]) for r in self.requests]
        return [b for b in bodies if event_type is None or b["type"] == event_type]


@pytest.fixture
def receiver(settings):
    """A local receiver: 127.0.0.1 is refused by the outbound policy unless explicitly allowed."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            state.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                   "body": body})
            code = state.statuses.pop(0) if state.statuses else 200
            self.send_response(code)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if code < 300 else b"receiver says no")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()
