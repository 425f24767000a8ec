"""Mailboxes in the settings: add, edit, stop polling, test the connection (only where the outbound
policy allows), the password write-only, the sender of outgoing mail; each change audited."""
from __future__ import annotations

import select
import socket

import pytest
from django.urls import reverse

from core import netpolicy
from core.models import AuditEvent
from tickets.models import Mailbox

pytestmark = pytest.mark.django_db

ADMIN = "admin@wysylki.example.com"
SECRET = "Tajne-Hasło-ąę 123"


@pytest.fixture
def admin_client(demo, client):
    client.force_login(demo.user(ADMIN))
    return client


def _fake_dns(monkeypatch, answers: dict[str, str]):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(netpolicy.socket, "getaddrinfo", getaddrinfo)


def _form(**changes):
    data = {"name": "Pomoc", "username": "pomoc@wysylki.example.com", "password": SECRET, "host": "imap.mail.example",
            "port": "993", "security": "tls", "folder": "INBOX", "processed_folder": "", "robot_addresses": "",
            "active": "on"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_add_then_edit_keeps_the_password_write_only_and_audits(demo, admin_client, monkeypatch):
    _fake_dns(monkeypatch, {"imap.mail.example": "93.184.215.14"})
    response = admin_client.post(reverse("console:mailbox_new"), _form())
    mailbox = Mailbox.objects.get(tenant=demo.wysylki, name="Pomoc")
    assert response.status_code == 302 and response["Location"] == reverse("console:mailbox_edit", args=[mailbox.pk])
    assert mailbox.password == SECRET and SECRET not in mailbox.password_encrypted
    page = admin_client.get(reverse("console:mailbox_edit", args=[mailbox.pk])).content.decode()
    assert SECRET not in page and mailbox.password_encrypted not in page
    assert "Hasło jest zapisane" in page  # the page says one is stored, never what it is

    # an edit with an empty password keeps the stored one
    admin_client.post(reverse("console:mailbox_edit", args=[mailbox.pk]), _form(password="", folder="Zgłoszenia"))
    mailbox.refresh_from_db()
    assert mailbox.folder == "Zgłoszenia" and mailbox.password == SECRET
    events = list(AuditEvent.objects.filter(tenant=demo.wysylki, action="mailbox.saved").order_by("id"))
    assert [e.data["password_changed"] for e in events] == [True, False]
    assert events[1].data["before"]["folder"] == "INBOX" and events[1].data["after"]["folder"] == "Zgłoszenia"
    assert all(SECRET not in str(e.data) for e in events)
    listing = admin_client.get(reverse("console:mailbox_list")).content.decode()
    assert "pomoc@wysylki.example.com" in listing and SECRET not in listing


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "[::1]", "localhost", "intranet.lan"])
def test_an_internal_server_is_refused_on_save(demo, admin_client, monkeypatch, host):
    _fake_dns(monkeypatch, {"intranet.lan": "192.168.1.10"})
    response = admin_client.post(reverse("console:mailbox_new"), _form(host=host))
    assert response.status_code == 200 and "host" in response.context["form"].errors
    assert not Mailbox.objects.filter(tenant=demo.wysylki, name="Pomoc").exists()


@pytest.mark.parametrize("changes", [{"port": "70000"}, {"port": "x"}, {"password": ""}, {"name": ""},
                                     {"security": "ssl3"}, {"host": ""}])
def test_bad_input_is_a_form_error(demo, admin_client, monkeypatch, changes):
    _fake_dns(monkeypatch, {"imap.mail.example": "93.184.215.14"})
    response = admin_client.post(reverse("console:mailbox_new"), _form(**changes))
    assert response.status_code == 200 and response.context["form"].errors
    assert not Mailbox.objects.filter(tenant=demo.wysylki, name="Pomoc").exists()


def test_connection_test_to_an_internal_address_never_connects(demo, admin_client, monkeypatch):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        # a mailbox saved before the policy (or through a name that now points inside)
        mailbox = Mailbox(tenant=demo.wysylki, name="Stara", host="imap.rebind.example", port=listener.getsockname()[1],
                          security="none", username="stara@wysylki.example.com")
        mailbox.password = "x"
        mailbox.save()
        _fake_dns(monkeypatch, {"imap.rebind.example": "127.0.0.1"})
        response = admin_client.post(reverse("console:mailbox_test", args=[mailbox.pk]), follow=True)
        text = response.content.decode()
        assert "Połączenie nie działa" in text and "sieci wewnętrznej" in text
        assert select.select([listener], [], [], 0.2)[0] == []  # nobody knocked
    finally:
        listener.close()


def test_connection_test_reports_what_the_server_said(demo, admin_client, monkeypatch):
    mailbox = Mailbox(tenant=demo.wysylki, name="Pomoc", host="93.184.215.14", port=993, username="p@x.example")
    mailbox.password = "x"
    mailbox.save()
    calls = []
    monkeypatch.setattr("tickets.email.imap.mailbox_test", lambda m: calls.append(m.pk) or "")
    ok = admin_client.post(reverse("console:mailbox_test", args=[mailbox.pk]), follow=True).content.decode()
    assert calls == [mailbox.pk] and "Połączenie działa" in ok
    monkeypatch.setattr("tickets.email.imap.mailbox_test", lambda m: "error: b'[AUTHENTICATIONFAILED] Invalid'")
    bad = admin_client.post(reverse("console:mailbox_test", args=[mailbox.pk]), follow=True).content.decode()
    assert "AUTHENTICATIONFAILED" in bad


def test_stop_and_resume_polling(demo, admin_client):
    mailbox = Mailbox(tenant=demo.wysylki, name="Pomoc", host="127.0.0.1", port=993, username="p@x.example")
    mailbox.password = "x"
    mailbox.save()
    admin_client.post(reverse("console:mailbox_active", args=[mailbox.pk]))
    mailbox.refresh_from_db()
    assert not mailbox.active  # stopping works even for a server the policy now refuses
    resumed = admin_client.post(reverse("console:mailbox_active", args=[mailbox.pk]), follow=True)
    mailbox.refresh_from_db()
    assert not mailbox.active and "sieci wewnętrznej" in resumed.content.decode()
    audited = AuditEvent.objects.filter(tenant=demo.wysylki, action="mailbox.saved", object_id=str(mailbox.pk))
    assert audited.count() == 1


def test_sender_address_is_saved_and_audited(demo, admin_client):
    admin_client.post(reverse("console:mailbox_list"), {"support_email": "Kontakt@Wysylki.example.com"})
    demo.wysylki.refresh_from_db()
    assert demo.wysylki.support_email == "kontakt@wysylki.example.com"
    assert AuditEvent.objects.filter(tenant=demo.wysylki, action="tenant.support_email").exists()
    bad = admin_client.post(reverse("console:mailbox_list"), {"support_email": "nie adres"})
    assert bad.status_code == 200 and bad.context["sender"].errors


def test_another_tenants_mailbox_and_other_roles_get_404(demo, admin_client, client):
    foreign = Mailbox(tenant=demo.kjm, name="KJM", host="93.184.215.14", port=993, username="k@kjm.example.com")
    foreign.password = "x"
    foreign.save()
    for name in ("mailbox_edit", "mailbox_test", "mailbox_active"):
        assert admin_client.post(reverse(f"console:{name}", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.active
    client.force_login(demo.user("agent@wysylki.example.com"))
    assert client.get(reverse("console:mailbox_list")).status_code == 404
