"""GDPR: a contact's data export and their anonymisation, with the accounting left intact."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.gdpr import contact_anonymise, contact_export
from core.models import AuditEvent, Contact, ContactEmail, ContactPhone
from core.services import contact_create

NAME = "Jadwiga Wiśniewska"
EMAIL = "jadwiga.wisniewska@klient-alpha.example.com"
PHONE = "+48601234567"


@dataclass
class Scene:
    alpha: object
    beta: object
    person: object
    colleague: object
    own_ticket: object
    colleague_ticket: object
    month: object


@pytest.fixture
def scene(two_tenants, settings, tmp_path, monkeypatch) -> Scene:
    from billing.services import local_date, month_start, time_entry_log
    from tests.tickets.ui_support import file_ticket
    from tickets.services import message_add

    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    alpha, beta = two_tenants
    person = contact_create(tenant=alpha.tenant, organization=alpha.organization, name=NAME, emails=[EMAIL],
                            phones=[PHONE], actor=alpha.admin.user)
    login = type(alpha.customer).objects.create_user(username=EMAIL, email=EMAIL, password="x" * 12,
                                                     first_name="Jadwiga", last_name="Wiśniewska")
    Contact.objects.filter(pk=person.pk).update(user=login)
    person.refresh_from_db()
    colleague = alpha.contact

    own = file_ticket(person, f"Faktura nie drukuje się — {NAME}", attachment=True)
    message_add(tenant=alpha.tenant, ticket=own, author_user=alpha.agent.user, body="Sprawdzimy to dziś.")
    message_add(tenant=alpha.tenant, ticket=own, author_user=alpha.agent.user, internal=True,
                body="NOTATKA-WEWNETRZNA klient dzwonił dwa razy")
    message_add(tenant=alpha.tenant, ticket=own, author_contact=person, source="portal", from_email=EMAIL,
                body=f"Dziękuję. Pozdrawiam, {NAME}, tel. {PHONE}, {EMAIL.upper()}")
    other = file_ticket(colleague, "Zgłoszenie kolegi OBCE-ZGLOSZENIE")
    message_add(tenant=alpha.tenant, ticket=other, author_contact=person, source="portal", from_email=EMAIL,
                body="U mnie też występuje ten błąd.")
    message_add(tenant=alpha.tenant, ticket=other, author_contact=colleague, source="portal",
                body="TEKST-KOLEGI tylko mój")
    # beta's customer has a ticket too: nothing of it may appear in alpha's export
    file_ticket(beta.contact, "Zgłoszenie beta BETA-ZGLOSZENIE")

    started = timezone.now() - timedelta(hours=3)
    for ticket, minutes in ((own, 95), (own, 40), (other, 30)):
        time_entry_log(tenant=alpha.tenant, ticket=ticket, agent=alpha.agent, kind="remote", started_at=started,
                       minutes=minutes, note="Zdalna pomoc")
    return Scene(alpha=alpha, beta=beta, person=person, colleague=colleague, own_ticket=own,
                 colleague_ticket=other, month=month_start(local_date(alpha.tenant, started)))


def test_export_contains_the_contacts_data_and_nothing_of_others(scene):
    data = contact_export(tenant=scene.alpha.tenant, contact=scene.person)
    text = json.dumps(data, ensure_ascii=False)  # the export is plain JSON

    assert data["contact"]["name"] == NAME
    assert data["emails"] == [EMAIL] and data["phones"] == [PHONE]
    assert data["portal_login"]["username"] == EMAIL and data["portal_login"]["last_name"] == "Wiśniewska"
    assert [t["reference"] for t in data["tickets"]] == [scene.own_ticket.reference]
    bodies = [m["body"] for m in data["tickets"][0]["messages"]]
    assert "Sprawdzimy to dziś." in bodies and any(NAME in b for b in bodies)
    assert data["tickets"][0]["messages"][0]["attachments"][0]["filename"] == "zrzut.png"
    assert [m["body"] for m in data["messages_on_other_tickets"]] == ["U mnie też występuje ten błąd."]
    assert sorted(e["minutes"] for e in data["time_entries"]) == [40, 95]
    assert all(e["ticket"] == scene.own_ticket.reference for e in data["time_entries"])
    assert [e["action"] for e in data["audit_events"]] == ["contact.created"]

    for foreign in ("NOTATKA-WEWNETRZNA", "OBCE-ZGLOSZENIE", "TEKST-KOLEGI", "BETA-ZGLOSZENIE",
                    scene.colleague.name, "beta"):
        assert foreign not in text, foreign


def test_export_of_another_tenants_contact_is_refused(scene):
    with pytest.raises(ValidationError):
        contact_export(tenant=scene.beta.tenant, contact=scene.person)
    with pytest.raises(ValidationError):
        contact_anonymise(tenant=scene.beta.tenant, contact=scene.person, actor=scene.beta.admin.user)


def statement_figures(scene):
    from billing.models import TimeEntry
    from billing.statements import statement_build

    data = statement_build(tenant=scene.alpha.tenant, organization=scene.alpha.organization, month=scene.month)
    entries = list(TimeEntry.objects.for_tenant(scene.alpha.tenant).order_by("pk").values_list(
        "ticket_id", "minutes", "billed_minutes", "deducted_minutes", "overage_minutes", "pool", "amount_net"))
    return data.totals, [(line.description, line.quantity, line.net) for line in data.lines], entries


def test_anonymising_keeps_the_accounting_and_removes_every_trace_of_the_person(scene):
    from billing.statements import statement_generate
    from tickets.models import Message, Ticket

    alpha = scene.alpha
    stored = statement_generate(tenant=alpha.tenant, organization=alpha.organization, month=scene.month)
    before = statement_figures(scene)
    tickets_before = Ticket.objects.for_tenant(alpha.tenant).count()
    messages_before = Message.objects.for_tenant(alpha.tenant).count()
    user_id = scene.person.user_id

    # when the tenant admin anonymises the contact
    contact_anonymise(tenant=alpha.tenant, contact=scene.person, actor=alpha.admin.user)

    # then the statement of the month gives the same totals, lines and time entries as before
    after = statement_figures(scene)
    assert after == before
    assert before[0].net > 0 and before[2]
    stored.refresh_from_db()
    assert (stored.net, stored.gross) == (before[0].net, before[0].gross)
    assert Ticket.objects.for_tenant(alpha.tenant).count() == tickets_before
    assert Message.objects.for_tenant(alpha.tenant).count() == messages_before

    # and no trace of the name, the address or the phone remains in contact, ticket and message rows
    person = Contact.objects.get(pk=scene.person.pk)
    assert person.name == f"Anonymised #{person.pk}" and person.user_id is None and not person.can_file_tickets
    assert list(ContactEmail.objects.filter(contact=person).values_list("email", flat=True)) == [
        f"contact-{person.pk}@anonymised.invalid"]
    assert not ContactPhone.objects.filter(contact=person).exists()
    rows = [repr(list(Contact.objects.filter(pk=person.pk).values()))]
    rows += [repr(list(Ticket.objects.for_tenant(alpha.tenant).values()))]
    rows += [repr(list(Message.objects.for_tenant(alpha.tenant).values()))]
    rows += [repr(list(ContactEmail.objects.for_tenant(alpha.tenant).values()))]
    rows += [repr(list(AuditEvent.objects.for_tenant(alpha.tenant).values("summary", "data")))]
    dump = " ".join(rows).lower()
    for trace in (NAME.lower(), "wiśniewska", EMAIL, PHONE):
        assert trace not in dump, trace
    # the content stays: what was asked and answered, minus who asked
    own = Ticket.objects.get(pk=scene.own_ticket.pk)
    assert own.subject == f"Faktura nie drukuje się — Anonymised #{person.pk}"
    assert own.contact_id == person.pk
    assert Message.objects.filter(ticket=own, body="Sprawdzimy to dziś.").exists()
    # the colleague's own text is untouched
    assert Message.objects.filter(body="TEKST-KOLEGI tylko mój", author_contact=scene.colleague).exists()

    # and the portal login is gone: inactive, scrubbed, cannot log in
    login = type(alpha.customer).objects.get(pk=user_id)
    assert not login.is_active and not login.has_usable_password()
    assert (login.username, login.email, login.first_name, login.last_name) == (f"anonymised-{user_id}", "", "", "")

    # and the audit log records who did it
    event = AuditEvent.objects.for_tenant(alpha.tenant).get(action="contact.anonymised")
    assert event.actor == alpha.admin.user and event.object_id == str(person.pk)


def test_anonymised_person_can_no_longer_log_in(scene, client):
    assert client.login(username=EMAIL, password="x" * 12)
    client.logout()
    contact_anonymise(tenant=scene.alpha.tenant, contact=scene.person, actor=None)
    assert not client.login(username=EMAIL, password="x" * 12)
    assert client.post(reverse("login"), {"username": EMAIL, "password": "x" * 12}).status_code == 200


def test_a_login_shared_with_another_tenant_is_detached_but_not_scrubbed(scene):
    from core.models import Membership

    login = scene.person.user
    Membership.objects.create(tenant=scene.beta.tenant, user=login, role="agent")
    contact_anonymise(tenant=scene.alpha.tenant, contact=scene.person, actor=scene.alpha.admin.user)
    login.refresh_from_db()
    assert login.is_active and login.username == EMAIL
    assert Contact.objects.get(pk=scene.person.pk).user_id is None


# --- the admin actions ------------------------------------------------------------------------


def test_admin_export_action_downloads_json_of_own_contacts_only(scene, client):
    client.force_login(scene.alpha.admin.user)
    response = client.post(reverse("admin:helpdesk_contact_changelist"),
                           {"action": "export_data", "_selected_action": [scene.person.pk]})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert [c["contact"]["name"] for c in data["contacts"]] == [NAME]

    # a contact of another tenant cannot be selected: it is not in the admin's queryset
    response = client.post(reverse("admin:helpdesk_contact_changelist"),
                           {"action": "export_data", "_selected_action": [scene.beta.contact.pk]})
    assert json.loads(response.content)["contacts"] == []
    assert "beta" not in response.content.decode()


def test_admin_anonymise_action_asks_first_then_anonymises(scene, client):
    client.force_login(scene.alpha.admin.user)
    url = reverse("admin:helpdesk_contact_changelist")
    page = client.post(url, {"action": "anonymise", "_selected_action": [scene.person.pk]})
    assert page.status_code == 200
    assert NAME in page.content.decode()
    assert Contact.objects.get(pk=scene.person.pk).name == NAME  # nothing changed yet

    response = client.post(url, {"action": "anonymise", "_selected_action": [scene.person.pk], "confirm": "yes"})
    assert response.status_code == 302
    assert Contact.objects.get(pk=scene.person.pk).name.startswith("Anonymised #")
    assert AuditEvent.objects.filter(Q(action="contact.anonymised"), actor=scene.alpha.admin.user).count() == 1
