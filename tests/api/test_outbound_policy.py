"""Server-side requests: webhooks and IMAP mailboxes reach only public hosts (core/netpolicy.py).

The local receiver listens on 127.0.0.1, so the tests that deliver to it allow that network
explicitly, as an on-premises install would; the others prove that without it it is refused.
"""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation

from core import netpolicy, webhooks
from core.models import WebhookDelivery, WebhookEndpoint

INTERNAL_URLS = [
    "http://127.0.0.1:8000/",
    "http://127.1/",
    "http://2130706433/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://localhost:6379/",
    "http://api.localhost/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[64:ff9b::a00:1]/",
    "http://[2002:7f00:1::1]/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "ftp://files.example.com/in/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "https://user:pass@crm.example.com/hook",
]


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_an_internal_or_non_http_webhook_url_is_refused(alpha, url):
    from core.api import WEBHOOK_URL_VALIDATOR

    response = alpha.post("/api/v1/webhooks/", {"url": url, "events": ["ticket.created"]})

    # Not an http(s) URL of the schema's form: 400; of that form but reaching an internal network: the
    # outbound policy's rule, 422.
    expected = 422 if WEBHOOK_URL_VALIDATOR.regex.fullmatch(url) else 400
    assert response.status_code == expected, (url, response.content)
    assert response["content-type"] == "application/problem+json"
    assert "url" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_changing_a_webhook_to_an_internal_url_is_refused(alpha):
    created = alpha.post("/api/v1/webhooks/", {"url": "https://crm.example.invalid/hook",
                                               "events": ["ticket.created"]})
    assert created.status_code == 201, created.content

    response = alpha.patch(f"/api/v1/webhooks/{created.json()['id']}/", {"url": "http://169.254.169.254/x"})

    assert response.status_code == 422
    assert "url" in response.json()["errors"]
    assert WebhookEndpoint.objects.get().url == "https://crm.example.invalid/hook"


def test_a_public_address_is_allowed_and_the_allow_list_opens_a_private_network(settings):
    assert netpolicy.address_allowed("93.184.215.14")
    assert netpolicy.address_allowed("2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert not netpolicy.address_allowed("10.1.2.3")
    assert not netpolicy.address_allowed("::ffff:10.1.2.3")

    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/8", "fd00::/8"]

    assert netpolicy.address_allowed("10.1.2.3")
    assert netpolicy.address_allowed("::ffff:10.1.2.3")
    assert netpolicy.address_allowed("fd12::1")
    assert not netpolicy.address_allowed("127.0.0.1")
    assert not netpolicy.address_allowed("169.254.169.254")


class _Server:
    """A local HTTP server with a scripted answer."""

    def __init__(self, status=200, body=b"ok", headers=None):
        self.requests = []
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length", 0)))
                state.requests.append({"path": self.path, "host": self.headers.get("host")})
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    servers = []

    def start(**kwargs):
        servers.append(_Server(**kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _deliver_to(alpha, django_capture_on_commit_callbacks) -> WebhookDelivery:
    with django_capture_on_commit_callbacks(execute=True):
        event_id = webhooks.emit(alpha.world.tenant.pk, "ticket.created", {"ticket": 1})
    return WebhookDelivery.objects.get(event_id=event_id)


def _fake_dns(monkeypatch, answers: dict[str, str]):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(netpolicy.socket, "getaddrinfo", getaddrinfo)


def test_without_the_allow_list_a_delivery_to_127_0_0_1_is_refused_at_connect_time(
        alpha, server, settings, eager_celery, django_capture_on_commit_callbacks):
    receiver = server()
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    created = alpha.post("/api/v1/webhooks/", {"url": f"http://127.0.0.1:{receiver.port}/hook",
                                               "events": ["ticket.created"]})
    assert created.status_code == 201
    settings.OUTBOUND_ALLOWED_NETWORKS = []

    delivery = _deliver_to(alpha, django_capture_on_commit_callbacks)

    assert receiver.requests == []
    assert delivery.last_status_code is None and delivery.status == "pending"
    assert delivery.last_error.startswith("refused")


def test_dns_rebinding_connects_only_to_the_checked_address(
        alpha, server, monkeypatch, eager_celery, django_capture_on_commit_callbacks):
    receiver = server()
    # given a name that resolved to a public address when the endpoint was saved
    _fake_dns(monkeypatch, {"crm.rebind.example": "93.184.215.14"})
    created = alpha.post("/api/v1/webhooks/", {"url": f"http://crm.rebind.example:{receiver.port}/hook",
                                               "events": ["ticket.created"]})
    assert created.status_code == 201, created.content

    # when it resolves to the loopback at delivery time
    _fake_dns(monkeypatch, {"crm.rebind.example": "127.0.0.1"})
    delivery = _deliver_to(alpha, django_capture_on_commit_callbacks)

    # then nothing is sent there
    assert receiver.requests == []
    assert delivery.last_error.startswith("refused")


def test_allowed_receiver_gets_the_host_name_and_redirects_are_not_followed(
        alpha, server, settings, monkeypatch, eager_celery, django_capture_on_commit_callbacks):
    target = server()
    redirector = server(status=302, body=b"moved", headers={"location": f"http://127.0.0.1:{target.port}/x"})
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    _fake_dns(monkeypatch, {"crm.onprem.example": "127.0.0.1"})
    alpha.post("/api/v1/webhooks/", {"url": f"http://crm.onprem.example:{redirector.port}/hook",
                                     "events": ["ticket.created"]})

    delivery = _deliver_to(alpha, django_capture_on_commit_callbacks)

    assert redirector.requests == [{"path": "/hook", "host": f"crm.onprem.example:{redirector.port}"}]
    assert target.requests == []
    assert delivery.last_status_code == 302 and delivery.status == "pending"


def test_the_reply_is_cut_short_and_shown_only_to_admins(
        alpha, alpha_agent, server, settings, eager_celery, django_capture_on_commit_callbacks):
    receiver = server(status=500, body=b"SECRET-INTERNAL-PAGE " * 200)
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    hook = alpha.post("/api/v1/webhooks/", {"url": f"http://127.0.0.1:{receiver.port}/hook",
                                            "events": ["ticket.created"]}).json()

    delivery = _deliver_to(alpha, django_capture_on_commit_callbacks)

    assert 0 < len(delivery.response_excerpt) <= netpolicy.RESPONSE_EXCERPT_BYTES
    [as_admin] = alpha.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    [as_agent] = alpha_agent.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    assert as_admin["response_excerpt"].startswith("SECRET-INTERNAL-PAGE")
    assert as_agent["response_excerpt"] == ""


# --- IMAP mailboxes ---------------------------------------------------------------------------


@pytest.fixture
def banner_server():
    """Something that is not a mail server, listening on 127.0.0.1 with a banner."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted = []

    def serve():
        while True:
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            accepted.append(1)
            conn.sendall(b"+OK internal-redis-or-whatever v9.9 ready\r\n")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], accepted
    listener.close()


def test_a_mailbox_on_an_internal_host_is_a_form_error(two_tenants):
    from tickets.admin import MailboxForm

    for host in ("127.0.0.1", "localhost", "10.0.0.1", "169.254.169.254", "::1", "0.0.0.0"):
        form = MailboxForm(data={"name": "Pomoc", "host": host, "port": 143, "security": "none",
                                 "username": "u", "new_password": "p", "folder": "INBOX"})
        assert not form.is_valid(), host
        assert "host" in form.errors, host
    form = MailboxForm(data={"name": "Pomoc", "host": "imap.example.com", "port": 70000, "security": "none",
                             "username": "u", "new_password": "p", "folder": "INBOX"})
    assert "port" in form.errors


def test_testing_a_mailbox_does_not_scan_internal_ports(two_tenants, banner_server):
    from tickets.email.imap import mailbox_test
    from tickets.models import Mailbox

    port, accepted = banner_server
    mailbox = Mailbox(tenant=two_tenants[0].tenant, name="Pomoc", host="127.0.0.1", port=port,
                      security=Mailbox.Security.NONE, username="u")
    mailbox.password = "p"
    mailbox.save()

    with translation.override("en"):
        error = mailbox_test(mailbox)

    assert "internal-redis" not in error and "ConnectionRefused" not in error
    assert error.startswith("OutboundRefused:") and "not allowed" in error
    assert accepted == []
