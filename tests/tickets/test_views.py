"""Portal and agent pages: roles, ownership (404 across organizations and tenants), actions, files."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.tickets.ui_support import PNG, agent, contact, file_ticket
from tickets.models import Attachment, Message, Ticket
from tickets.services import message_add


@pytest.fixture
def world(demo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = {
        "customer": contact("wysylki", "Paweł Nowicki"),
        "other_org": contact("wysylki", "Krzysztof Prądzyński"),
        "other_tenant": contact("kjm", "Barbara Księgowa"),
        "agent": agent("wysylki", "agent@wysylki.example.com"),
        "kjm_agent": agent("kjm", "dyzurny@kjm.example.com"),
    }
    w["ticket"] = file_ticket(w["customer"], attachment=True)
    return w


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


# --- roles and ownership --------------------------------------------------------------------------

@pytest.mark.parametrize("url_name", ["portal:ticket_list", "portal:ticket_new", "portal:plan", "agent:queue"])
def test_anonymous_users_are_sent_to_the_login_page(client, world, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_anonymous_users_get_the_login_page_for_a_ticket(client, world):
    response = client.get(reverse("portal:ticket_detail", args=[world["ticket"].pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_customer_of_another_organization_or_tenant_gets_404(client, world):
    ticket, attachment = world["ticket"], Attachment.objects.get(ticket=world["ticket"])
    for stranger in (world["other_org"], world["other_tenant"]):
        client.force_login(stranger.user)
        assert client.get(reverse("portal:ticket_detail", args=[ticket.pk])).status_code == 404
        assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 404
        assert client.post(reverse("portal:ticket_detail", args=[ticket.pk]), {"body": "x"}).status_code == 404
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_agent_of_another_tenant_gets_404(client, world):
    ticket, attachment = world["ticket"], Attachment.objects.get(ticket=world["ticket"])
    client.force_login(world["kjm_agent"].user)
    assert client.get(reverse("agent:ticket_detail", args=[ticket.pk])).status_code == 404
    assert client.get(reverse("agent:attachment", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("agent:ticket_message", args=[ticket.pk]),
                       {"kind": "reply", "body": "x"}).status_code == 404


def test_customers_cannot_open_agent_pages_and_agents_cannot_open_portal_pages(client, world):
    assert _get(client, world["customer"].user, reverse("agent:queue")).status_code == 404
    assert _get(client, world["customer"].user,
                reverse("agent:ticket_detail", args=[world["ticket"].pk])).status_code == 404
    assert _get(client, world["agent"].user, reverse("portal:ticket_list")).status_code == 404


def test_home_sends_each_role_to_its_start_page(client, world):
    assert _get(client, world["agent"].user, "/")["Location"] == reverse("agent:queue")
    assert _get(client, world["customer"].user, "/")["Location"] == reverse("portal:ticket_list")


def test_login_without_role_sees_the_no_access_page(client, world, django_user_model):
    user = django_user_model.objects.create_user(username="nobody@example.com", password="x-long-password-1")
    response = _get(client, user, "/")
    assert response.status_code == 403
    assert "Brak dostępu" in response.content.decode()


# --- attachments ----------------------------------------------------------------------------------

def test_attachment_is_a_download_that_is_never_sniffed(client, world):
    attachment = Attachment.objects.get(ticket=world["ticket"])
    for user, name in ((world["customer"].user, "portal:attachment"), (world["agent"].user, "agent:attachment")):
        response = _get(client, user, reverse(name, args=[attachment.pk]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PNG


def test_customer_never_gets_an_internal_notes_attachment(client, world):
    from tickets.attachments import attachment_check

    note = message_add(tenant=world["ticket"].tenant, ticket=world["ticket"], body="notatka",
                       author_user=world["agent"].user, internal=True,
                       attachments=[attachment_check("wewn.txt", b"tajne")])
    hidden = note.attachments.get()
    assert _get(client, world["customer"].user, reverse("portal:attachment", args=[hidden.pk])).status_code == 404


# --- portal ---------------------------------------------------------------------------------------

def test_portal_lists_tickets_with_filters_and_search(client, world):
    second = file_ticket(world["customer"], "Zupełnie inny temat")
    Ticket.objects.filter(pk=second.pk).update(status=Ticket.Status.CLOSED)
    client.force_login(world["customer"].user)
    body = client.get(reverse("portal:ticket_list")).content.decode()
    assert world["ticket"].reference in body and second.reference in body
    body = client.get(reverse("portal:ticket_list") + "?state=open").content.decode()
    assert world["ticket"].reference in body and second.reference not in body
    body = client.get(reverse("portal:ticket_list") + "?q=inny").content.decode()
    assert second.reference in body and world["ticket"].reference not in body
    assert client.get(reverse("portal:ticket_list") + "?page=999&status=bogus&per_page=x").status_code == 200


def test_customer_files_a_ticket_with_an_attachment(client, world, demo):
    client.force_login(world["customer"].user)
    category = demo.wysylki and world["ticket"].category
    response = client.post(reverse("portal:ticket_new"), {
        "category": category.pk, "subject": "Nie działa wydruk", "body": "Błąd 42 przy druku etykiety.",
        "attachments": [SimpleUploadedFile("ekran.png", PNG, content_type="image/png")]})
    ticket = Ticket.objects.filter(subject="Nie działa wydruk").get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:ticket_detail", args=[ticket.pk])
    assert ticket.channel == "portal" and ticket.contact == world["customer"]
    assert ticket.attachments.get().filename == "ekran.png"


def test_filing_a_bad_file_or_missing_fields_explains_and_keeps_the_text(client, world):
    client.force_login(world["customer"].user)
    response = client.post(reverse("portal:ticket_new"), {
        "category": world["ticket"].category_id, "subject": "", "body": "Mój długi opis problemu",
        "critical": "on",
        "attachments": [SimpleUploadedFile("wirus.exe", b"MZ\x90", content_type="application/x-msdownload")]})
    body = response.content.decode()
    assert response.status_code == 400
    assert "wirus.exe" in body and "nie jest przyjmowany" in body
    assert "Wyjaśnij w kilku słowach" in body  # critical needs a reason
    assert "Mój długi opis problemu" in body
    assert not Ticket.objects.filter(subject="").exists()


def test_critical_reason_is_kept_in_the_description(client, world):
    client.force_login(world["customer"].user)
    client.post(reverse("portal:ticket_new"), {
        "category": world["ticket"].category_id, "subject": "Stoi magazyn", "body": "Nic nie działa.",
        "critical": "on", "critical_reason": "żadne stanowisko nie drukuje"})
    ticket = Ticket.objects.get(subject="Stoi magazyn")
    assert ticket.critical
    assert "żadne stanowisko nie drukuje" in ticket.messages.get().body


def test_product_field_only_for_tenants_with_products(client, world, demo):
    from plans.models import Product

    client.force_login(world["customer"].user)
    assert 'name="product"' in client.get(reverse("portal:ticket_new")).content.decode()
    Product.objects.for_tenant(demo.wysylki).delete()
    assert 'name="product"' not in client.get(reverse("portal:ticket_new")).content.decode()
    client.force_login(world["other_tenant"].user)
    assert 'name="product"' in client.get(reverse("portal:ticket_new")).content.decode()


def test_portal_thread_hides_internal_notes(client, world):
    ticket = world["ticket"]
    message_add(tenant=ticket.tenant, ticket=ticket, body="Publiczna odpowiedź", author_user=world["agent"].user)
    message_add(tenant=ticket.tenant, ticket=ticket, body="Tajna notatka", author_user=world["agent"].user,
                internal=True)
    body = _get(client, world["customer"].user, reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Publiczna odpowiedź" in body and "Tajna notatka" not in body


def test_customer_reply_reopens_a_resolved_ticket(client, world):
    ticket = world["ticket"]
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.RESOLVED)
    client.force_login(world["customer"].user)
    response = client.post(reverse("portal:ticket_detail", args=[ticket.pk]), {"body": "Nadal nie działa"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.messages.filter(body="Nadal nie działa", source="portal", from_staff=False).exists()


def test_empty_reply_is_an_error_not_a_crash(client, world):
    client.force_login(world["customer"].user)
    response = client.post(reverse("portal:ticket_detail", args=[world["ticket"].pk]), {"body": "  "})
    assert response.status_code == 400


def test_plan_page_shows_terms_in_plain_polish(client, world):
    body = _get(client, world["customer"].user, reverse("portal:plan")).content.decode()
    assert "EMAIL" in body
    assert "pn–pt 9:00–15:00" in body
    assert "12 godzin w godzinach obsługi" in body
    assert "Gwarantowane wsparcie e-mail na miesiąc" in body and "3 godziny" in body
    assert "180,00 PLN netto" in body


# --- agent ----------------------------------------------------------------------------------------

def test_agent_replies_adds_a_note_and_changes_status(client, world):
    ticket = world["ticket"]
    client.force_login(world["agent"].user)
    url = reverse("agent:ticket_message", args=[ticket.pk])
    assert client.post(url, {"kind": "reply", "body": "Sprawdzamy."}).status_code == 302
    assert client.post(url, {"kind": "note", "body": "Klient ma starą wersję."}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.reacted_at is not None
    assert ticket.messages.get(body="Klient ma starą wersję.").internal
    response = client.post(reverse("agent:ticket_status", args=[ticket.pk]), {"status": "resolved"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_invalid_status_change_is_a_form_error(client, world):
    client.force_login(world["agent"].user)
    response = client.post(reverse("agent:ticket_status", args=[world["ticket"].pk]), {"status": "triage"})
    assert response.status_code == 400


def test_agent_takes_and_assigns(client, world):
    ticket = world["ticket"]
    client.force_login(world["agent"].user)
    client.post(reverse("agent:ticket_take", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert ticket.assignee == world["agent"]
    client.post(reverse("agent:ticket_assign", args=[ticket.pk]), {"assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    response = client.post(reverse("agent:ticket_assign", args=[ticket.pk]), {"assignee": world["kjm_agent"].pk})
    assert response.status_code == 400  # another tenant's staff is not a choice


def test_triage_accept_and_reject(client, world, demo):
    from tickets.services import ticket_create

    stranger = ticket_create(tenant=demo.wysylki, channel="email", subject="Kto to?", body="Pomocy",
                             from_email="ktos@nieznany.test")
    second = ticket_create(tenant=demo.wysylki, channel="email", subject="Spam", body="Kup teraz",
                           from_email="spam@nieznany.test")
    assert stranger.status == Ticket.Status.TRIAGE
    client.force_login(world["agent"].user)
    page = client.get(reverse("agent:ticket_detail", args=[stranger.pk])).content.decode()
    assert "Niezweryfikowany nadawca" in page
    response = client.post(reverse("agent:ticket_accept", args=[stranger.pk]),
                           {"organization": world["customer"].organization_id})
    assert response.status_code == 302
    stranger.refresh_from_db()
    assert stranger.status == Ticket.Status.NEW and stranger.organization_id == world["customer"].organization_id
    client.post(reverse("agent:ticket_reject", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == Ticket.Status.CLOSED


def test_agent_ticket_page_shows_notes_history_canned_replies_and_organization(client, world):
    ticket = world["ticket"]
    message_add(tenant=ticket.tenant, ticket=ticket, body="Tajna notatka", author_user=world["agent"].user,
                internal=True)
    body = _get(client, world["agent"].user, reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Tajna notatka" in body and "notatka wewnętrzna" in body
    assert "Prośba o logi" in body  # canned reply of the tenant
    assert "Otrzymano zgłoszenie (portal)" in body  # history
    assert "pawel@novahurt.example.com" in body and "+48555100201" in body  # contacts
    assert "Historia" in body


def test_queue_filters_are_kept_in_the_query_string(client, world):
    client.force_login(world["agent"].user)
    body = client.get(reverse("agent:queue") + "?critical=1&q=druk").content.decode()
    assert 'name="critical" value="1" checked' in body and 'value="druk"' in body
    assert client.get(reverse("agent:queue") + "?organization=abc&plan=x&status=bogus").status_code == 200


def test_times_are_shown_in_the_tenants_zone(client, world):
    from datetime import datetime, timezone as dt

    Ticket.objects.filter(pk=world["ticket"].pk).update(received_at=datetime(2026, 1, 15, 11, 0, tzinfo=dt.utc))
    body = _get(client, world["agent"].user, reverse("agent:queue")).content.decode()
    assert "15.01.2026, 12:00" in body  # Polish short format, Warsaw time (UTC+1)


def test_english_is_available(client, world):
    client.force_login(world["agent"].user)
    client.post(reverse("language_set"), {"language": "en", "next": "/agent/"})
    body = client.get(reverse("agent:queue")).content.decode()
    assert "Queue" in body and "Kolejka" not in body


def test_queue_rows_escape_every_value_a_customer_or_admin_typed(client, world):
    # given a ticket whose subject, requester and organization carry markup and quotes
    hostile = '<img src=x onerror=alert(1)>"\' & {}'
    ticket = world["ticket"]
    Ticket.objects.filter(pk=ticket.pk).update(subject=hostile, requester_name=hostile, contact=None)
    ticket.organization.name = hostile
    ticket.organization.save()
    # when an agent opens the queue (the rows are built outside the template engine)
    html = _get(client, world["agent"].user, reverse("agent:queue")).content.decode()
    # then no value reaches the page as markup, in text or in an attribute
    assert "<img src=x" not in html and "onerror=alert(1)>\"" not in html
    escaped = "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27; &amp; {}"
    assert html.count(escaped) >= 3  # subject, requester, organization
    assert f'href="{reverse("agent:ticket_detail", args=[ticket.pk])}"' in html


def test_queue_rows_show_renamed_relations_at_once(client, world, django_capture_on_commit_callbacks):
    # given a queue page already shown (the names of organizations, plans, products, categories and
    # staff are cached between requests)
    from plans.models import Product

    ticket = world["ticket"]
    member = world["agent"]
    product = Product.objects.filter(tenant=ticket.tenant).first()
    Ticket.objects.filter(pk=ticket.pk).update(assignee=member, product=product)
    ticket.refresh_from_db()
    _get(client, member.user, reverse("agent:queue"))
    # when an admin renames each of them
    with django_capture_on_commit_callbacks(execute=True):
        for row, field, name in ((ticket.organization, "name", "Nowa Nazwa Firmy"), (ticket.plan, "name", "Plan Złoty"),
                                 (product, "name", "Magazyn Pro"), (ticket.category, "name", "Zwroty i reklamacje"),
                                 (member.user, "first_name", "Jadwiga")):
            setattr(row, field, name)
            row.save()
    # then the next page's row shows the new names (not only the filters' choices)
    html = client.get(reverse("agent:queue")).content.decode()
    row = html[html.index("<tbody>"):html.index("</tbody>")]
    for name in ("Nowa Nazwa Firmy", "Plan Złoty", "Magazyn Pro", "Zwroty i reklamacje", "Jadwiga"):
        assert name in row, name


def test_portal_rows_escape_every_value_and_name_the_category_and_filer(client, world):
    # given a ticket whose subject, requester and category carry markup and quotes, filed by no contact
    hostile = '<img src=x onerror=alert(1)>"\' & {}'
    ticket = world["ticket"]
    Ticket.objects.filter(pk=ticket.pk).update(subject=hostile, requester_name=hostile, contact=None, critical=True)
    ticket.category.name = hostile
    ticket.category.save()
    # when the customer opens the list (the rows are built outside the template engine)
    html = _get(client, world["customer"].user, reverse("portal:ticket_list")).content.decode()
    row = html[html.index("<tbody>"):html.index("</tbody>")]
    # then no value reaches the page as markup, and each shows escaped where the template put it
    assert "<img src=x" not in html
    escaped = "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27; &amp; {}"
    assert row.count(escaped) == 3  # subject, category, filed by
    assert f'href="{reverse("portal:ticket_detail", args=[ticket.pk])}"' in row
    assert '<span class="badge badge--danger">krytyczne</span>' in row
