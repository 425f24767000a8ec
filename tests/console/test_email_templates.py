"""E-mail templates: edit the wording per language with the placeholders listed and a preview, reset to
the default; an outgoing e-mail uses the tenant's wording; template syntax beyond placeholders is refused."""
from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from core.models import AuditEvent
from tests.tickets.ui_support import agent, contact, file_ticket
from tickets.email.outbound import reply_send
from tickets.models import EmailTemplate, Message
from tickets.services import message_add

pytestmark = pytest.mark.django_db

ADMIN = "admin@wysylki.example.com"
URL = reverse("console:email_template_edit") + "?kind=reply&language=pl"
OWN_BODY = "Szanowni Państwo,\n\n{{ message }}\n\nZ poważaniem\n{{ agent_name }} z firmy {{ company }}"


@pytest.fixture
def admin_client(demo, client):
    client.force_login(demo.user(ADMIN))
    return client


def test_the_list_and_the_editor_show_defaults_placeholders_and_a_preview(demo, admin_client):
    listing = admin_client.get(reverse("console:email_template_list")).content.decode()
    assert listing.count("?kind=") == 4 and "domyślna" in listing
    page = admin_client.get(URL)
    html = page.content.decode()
    assert page.status_code == 200 and "{{ message }}" in html and "{{ agent_name }}" in html
    assert "Re: [WYS-1024] Drukarka etykiet nie drukuje" in html  # preview with the sample ticket
    assert "<strong>5.2</strong>" in html  # the sample reply rendered as agents' Markdown


@pytest.mark.parametrize("body", [
    "{{ message }} {% load log %}{% get_admin_log 10 as log %}",
    "{{ message }} {{ ticket.tenant.support_email }}",
    "{{ message }} {{ message.author_user.password }}",
    "{{ message|safe }}",
    "{% include 'emails/pl/reply.html' %}{{ message }}",
    "Bez odpowiedzi",
])
def test_template_syntax_beyond_placeholders_is_refused(demo, admin_client, body):
    response = admin_client.post(URL, {"subject": "Re: [{{ ticket_number }}]", "body": body, "action": "save"})
    assert response.status_code == 200 and "body" in response.context["form"].errors
    assert not EmailTemplate.objects.filter(tenant=demo.wysylki).exists()


def test_bad_keys_are_404(admin_client):
    base = reverse("console:email_template_edit")
    assert admin_client.get(base).status_code == 200  # nothing named: the acknowledgement, tenant's language
    for query in ("?kind=reply", "?language=pl&kind=", "?kind=resolved&language=pl", "?kind=reply&language=de",
                  "?kind=%00&language=pl"):
        assert admin_client.get(base + query).status_code == 404


def test_an_outgoing_reply_uses_the_tenants_wording_until_it_is_reset(demo, admin_client, monkeypatch):
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    saved = admin_client.post(URL, {"subject": "Odp. {{ ticket_number }}: {{ ticket_subject }}", "body": OWN_BODY,
                                    "action": "save"})
    assert saved.status_code == 302
    template = EmailTemplate.objects.get(tenant=demo.wysylki, kind="reply", language="pl")
    assert AuditEvent.objects.filter(action="email_template.saved", object_id=str(template.pk)).exists()

    customer = contact("wysylki", "Paweł Nowicki")
    member = agent("wysylki", "agent@wysylki.example.com")
    ticket = file_ticket(customer, "Drukarka <b>nie</b> drukuje")
    reply = message_add(tenant=member.tenant, ticket=ticket, body="**Proszę** o logi.", author_user=member.user,
                        source=Message.Source.AGENT)
    mail.outbox.clear()
    reply_send(reply.pk)
    [sent] = mail.outbox
    assert sent.subject == f"Odp. {ticket.reference}: Drukarka <b>nie</b> drukuje"
    assert sent.body.startswith("Szanowni Państwo,\n\n**Proszę** o logi.\n\nZ poważaniem\n")
    assert "z firmy " + demo.wysylki.name in sent.body
    html = sent.alternatives[0][0]
    assert "<strong>Proszę</strong>" in html and "<p>Szanowni Państwo,</p>" in html
    assert "&lt;b&gt;nie&lt;/b&gt;" in html and "<b>nie</b>" not in html

    reset = admin_client.post(URL, {"action": "reset"})
    assert reset.status_code == 302 and not EmailTemplate.objects.filter(pk=template.pk).exists()
    assert AuditEvent.objects.filter(action="email_template.reset").exists()
    second = message_add(tenant=member.tenant, ticket=ticket, body="Drugie.", author_user=member.user,
                         source=Message.Source.AGENT)
    mail.outbox.clear()
    reply_send(second.pk)
    assert mail.outbox[0].subject.startswith(f"Re: [{ticket.reference}]")  # the default again


def test_another_role_or_tenant_cannot_edit(demo, client):
    client.force_login(demo.user("agent@wysylki.example.com"))
    assert client.get(URL).status_code == 404
    client.force_login(demo.user("admin@kjm.example.com"))
    client.post(URL, {"subject": "Re: [{{ ticket_number }}]", "body": "{{ message }}", "action": "save"})
    assert not EmailTemplate.objects.filter(tenant=demo.wysylki).exists()
