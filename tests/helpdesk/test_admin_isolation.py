"""The admin: a tenant admin sees and edits only their own tenant; staff and customers stay out.

Every model registered in the admin is checked, so an admin added later is covered. The demo's two
tenants get a row of every tenant-owned model (``build_any_row`` where the demo has none), and the
names of KJM's rows must never reach a page that wysylki's admin opens.
"""
from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from core.admin_site import TenantScopedAdminMixin
from core.middleware import resolve
from core.models import AuditEvent, Contact, Membership, Organization, Role, Tenant, User
from plans.models import PlanTerms, Subscription
from tests import factories
from tests.conftest import rolled_back_at_exit

ADMIN = "admin@wysylki.example.com"
KJM_ADMIN = "admin@kjm.example.com"
ROOT = "root@helpdesk.example.com"

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def is_tenant_owned(model) -> bool:
    return any(f.name == "tenant" for f in model._meta.concrete_fields)


def params(items):
    return [pytest.param(model, model_admin, id=model._meta.label) for model, model_admin in items]


ALL_ADMINS = params(REGISTRY)
SCOPED_ADMINS = params((m, ma) for m, ma in REGISTRY if isinstance(ma, TenantScopedAdminMixin) and is_tenant_owned(m))
# A tenant admin's request, enough for the admins' permission methods (decided at collection time,
# so read-only admins and custom pages are simply not parametrised rather than skipped).
_TENANT_ADMIN_REQUEST = SimpleNamespace(user=SimpleNamespace(is_superuser=False, is_active=True,
                                                             is_authenticated=True),
                                        membership=SimpleNamespace(is_admin=True))
ADDABLE_ADMINS = params((m, ma) for m, ma in REGISTRY if isinstance(ma, TenantScopedAdminMixin)
                        and is_tenant_owned(m) and ma.has_add_permission(_TENANT_ADMIN_REQUEST))
# Admins whose list is the standard changelist (not a custom page such as the SLA report).
LISTED_ADMINS = params((m, ma) for m, ma in REGISTRY if isinstance(ma, TenantScopedAdminMixin)
                       and is_tenant_owned(m) and "changelist_view" not in type(ma).__dict__)


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(scope="module")
def _every_model_in_both_tenants(_demo_module_base, django_db_blocker):
    with rolled_back_at_exit(django_db_blocker):
        with django_db_blocker.unblock():
            for tenant in Tenant.objects.filter(slug__in=["wysylki", "kjm"]):
                for model in {m._meta.concrete_model for m, _ma in REGISTRY if is_tenant_owned(m)}:
                    if not model._base_manager.filter(tenant=tenant).exists():
                        factories.build_any_row(model, tenant)
        yield


@pytest.fixture
def world(_every_model_in_both_tenants, demo):
    return demo


@pytest.fixture(scope="module")
def _kjm_markers(_every_model_in_both_tenants, django_db_blocker):
    from tests.conftest import Demo

    with django_db_blocker.unblock():
        return kjm_markers(Demo())


@pytest.fixture
def markers(_kjm_markers, world) -> set[str]:
    """Names of KJM's rows that must never appear on a page of wysylki's admin."""
    assert len(_kjm_markers) > 40
    return _kjm_markers


@pytest.fixture
def as_admin(world, client):
    client.force_login(world.user(ADMIN))
    return client


def admin_request(user):
    """A request as the admin site sees it, for checks that read the model admins directly."""
    request = RequestFactory().get("/admin/")
    request.user, request.session = user, {}
    request.tenant, request.membership, request.contact = resolve(request)
    return request


def labels_of(obj) -> set[str]:
    labels = {str(obj)}
    if isinstance(obj, Membership):
        labels |= {obj.user.email, obj.user.get_full_name()}
    if isinstance(obj, AuditEvent):
        labels.add(obj.summary)
    return labels


def kjm_markers(world) -> set[str]:
    """Names of KJM's rows that no wysylki row shares (so finding one on a page is a leak)."""
    kjm, wysylki = world.kjm, world.wysylki
    theirs, ours = set(), set()
    for model in {m._meta.concrete_model for m, _ma in REGISTRY if is_tenant_owned(m)}:
        for obj in model._base_manager.filter(tenant=kjm):
            theirs |= labels_of(obj)
        for obj in model._base_manager.filter(tenant=wysylki):
            ours |= labels_of(obj)
    ours_text = "\n".join(ours)
    return {escape(m) for m in theirs if len(m) >= 4 and m not in ours_text}


def leaked(html: str, markers: set[str]) -> list[str]:
    return sorted(m for m in markers if m in html)


# --- changelists ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "model_admin"), ALL_ADMINS)
def test_tenant_admin_changelist_shows_only_their_tenant(as_admin, world, markers, model, model_admin):
    # Given wysylki's admin; when they open the list of a registered model.
    response = as_admin.get(url(model, "changelist"), follow=True)
    if response.status_code == 200 and "cl" in response.context:
        # Then it lists wysylki's rows only, and no KJM name appears anywhere on the page.
        assert is_tenant_owned(model), f"{model._meta.label} has no tenant, yet a tenant admin can list it"
        assert set(response.context["cl"].queryset.values_list("tenant", flat=True)) <= {world.wysylki.pk}
        assert set(response.context["cl"].queryset.values_list("tenant", flat=True)) == {world.wysylki.pk}
        assert not leaked(response.content.decode(), markers)
    elif response.status_code == 200:
        # A custom page in place of the list (a report): it must not show KJM's names either.
        assert not leaked(response.content.decode(), markers)
    else:
        # Or the model is hidden from tenant admins: refused and not on their admin index.
        assert response.status_code in (403, 404)
        assert not model_admin.has_module_permission(admin_request(world.user(ADMIN)))


def test_admin_index_lists_only_what_the_tenant_admin_may_open(as_admin, world, markers):
    response = as_admin.get(reverse("admin:index"))
    assert response.status_code == 200
    listed = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert {"Organization", "Contact", "Plan", "PlanTerms", "Subscription", "Calendar"} <= listed
    assert not listed & {"User", "Tenant", "Group", "FailedTask"}
    assert not leaked(response.content.decode(), markers)


@pytest.mark.parametrize(("model", "model_admin"), LISTED_ADMINS)
def test_superuser_sees_both_tenants(world, client, model, model_admin):
    client.force_login(world.user(ROOT))
    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    tenants = set(response.context["cl"].queryset.values_list("tenant", flat=True))
    assert {world.wysylki.pk, world.kjm.pk} <= tenants


# --- objects of another tenant -------------------------------------------------------------------


def object_urls(model, model_admin, pk) -> list[str]:
    """Every admin URL of the model that takes an object id: change, history, delete and custom views."""
    urls = []
    for pattern in model_admin.get_urls():
        name, converters = getattr(pattern, "name", None), pattern.pattern.converters
        if name is None or len(converters) != 1:
            continue
        try:
            urls.append(reverse(f"admin:{name}", kwargs={next(iter(converters)): pk}))
        except NoReverseMatch:
            continue
    return urls


@pytest.mark.parametrize(("model", "model_admin"), SCOPED_ADMINS)
def test_another_tenants_object_answers_404(as_admin, world, model, model_admin):
    # Given a KJM row of the model; when wysylki's admin opens any of its admin pages.
    other = model._base_manager.filter(tenant=world.kjm).first()
    urls = object_urls(model, model_admin, other.pk)
    assert url(model, "change", other.pk) in urls
    for address in urls:
        response = as_admin.get(address, follow=True)
        # Then it does not exist for them (404, never 403).
        assert response.status_code == 404, address


def test_another_tenants_object_cannot_be_changed_by_post(as_admin, world):
    zorza = world.organization("Spółdzielnia Mieszkaniowa Zorza")
    response = as_admin.post(url(Organization, "change", zorza.pk), {"name": "Przejęta"})
    assert response.status_code == 404
    response = as_admin.post(url(Organization, "delete", zorza.pk), {"post": "yes"})
    assert response.status_code == 404
    zorza.refresh_from_db()
    assert zorza.name == "Spółdzielnia Mieszkaniowa Zorza"


def test_autocomplete_offers_only_own_organizations(as_admin, world):
    response = as_admin.get(reverse("admin:autocomplete"), {
        "app_label": "plans", "model_name": "subscription", "field_name": "organization", "term": ""})
    names = {row["text"] for row in response.json()["results"]}
    assert names == set(Organization.objects.for_tenant(world.wysylki).values_list("name", flat=True))


def test_calendar_export_is_the_tenants_own(as_admin, world):
    own = world.calendar("wysylki", "email")
    response = as_admin.get(reverse("admin:plans_calendar_export", args=[own.pk]))
    assert response.status_code == 200 and response.json() == own.to_spec()
    other = world.calendar("kjm", "working")
    assert as_admin.get(reverse("admin:plans_calendar_export", args=[other.pk])).status_code == 404
    assert as_admin.get(reverse("admin:plans_calendar_preview", args=[other.pk])).status_code == 404


# --- add forms -----------------------------------------------------------------------------------


def choice_fields(form):
    for name, field in form.fields.items():
        if isinstance(field, (forms.ModelChoiceField, forms.ModelMultipleChoiceField)):
            yield name, field


@pytest.mark.parametrize(("model", "model_admin"), ADDABLE_ADMINS)
def test_add_form_offers_only_own_tenant_choices(as_admin, world, markers, model, model_admin):
    # Given wysylki's admin on the add page.
    response = as_admin.get(url(model, "add"))
    assert response.status_code == 200
    forms_on_page = [response.context["adminform"].form]
    forms_on_page += [f for formset in response.context["inline_admin_formsets"] for f in formset.formset.forms]
    forms_on_page += [formset.formset.empty_form for formset in response.context["inline_admin_formsets"]]
    # Then every drop-down offers wysylki's rows only, never logins or tenants.
    for form in forms_on_page:
        assert "tenant" not in form.fields
        for name, field in choice_fields(form):
            if name == form._meta.model._meta.pk.name:
                continue  # an inline row's hidden own id, checked against the parent's rows on save
            related = field.queryset.model
            assert related not in (User, Tenant), f"{name} offers every {related._meta.label}"
            if is_tenant_owned(related):
                assert set(field.queryset.values_list("tenant", flat=True)) <= {world.wysylki.pk}, name
    assert not leaked(response.content.decode(), markers)


def test_subscription_add_form_lists_only_own_plans(as_admin, world):
    response = as_admin.get(url(Subscription, "add"))
    html = response.content.decode()
    options = set(re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', html))
    assert {"COMMUNITY", "EMAIL", "START", "STANDARD", "PREMIUM"} <= options
    assert not options & {"OPIEKA", "PAKIET"}


# --- who gets in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["agent@wysylki.example.com", "opiekun@kjm.example.com", "ewa@bukiet.example.com",
                                   None])
def test_agents_customers_and_visitors_are_sent_to_the_admin_login(world, client, login):
    if login:
        client.force_login(world.user(login))
    for address in (reverse("admin:index"), url(Organization, "changelist"), url(PlanTerms, "add")):
        response = client.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login")), address


def test_tenant_admin_on_another_tenants_host_is_sent_to_the_login(as_admin):
    response = as_admin.get(reverse("admin:index"), HTTP_HOST="kjm.localhost")
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


# --- writes through the admin --------------------------------------------------------------------


def management(prefix: str, total: int = 0) -> dict:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000"}


def test_adding_an_organization_sets_the_tenant(as_admin, world):
    # When wysylki's admin adds an organization with a contact.
    response = as_admin.post(url(Organization, "add"), {
        "name": "Nowy Klient sp. z o.o.", "external_id": "CRM-9999", "tax_id": "", "notes": "",
        **management("contacts", 1), "contacts-0-name": "Nowa Osoba", "contacts-0-can_file_tickets": "on"})
    # Then it and its contact belong to wysylki.
    assert response.status_code == 302
    organization = Organization.objects.get(name="Nowy Klient sp. z o.o.")
    assert organization.tenant == world.wysylki
    assert Contact.objects.get(organization=organization).tenant == world.wysylki


def test_duplicate_external_id_is_a_form_error(as_admin, world):
    # Given an external id already used in the tenant (Kwiaciarnia Bukiet's).
    taken = world.organization("Kwiaciarnia Bukiet").external_id
    response = as_admin.post(url(Organization, "add"), {"name": "Duplikat", "external_id": taken,
                                                        **management("contacts")})
    # Then the form says so (no database error).
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Organization.objects.filter(name="Duplikat").exists()


def test_same_external_id_in_another_tenant_is_fine(as_admin, world):
    taken = factories.OrganizationFactory(tenant=world.kjm, external_id="KJM-ONLY-1").external_id
    response = as_admin.post(url(Organization, "add"), {"name": "Inny", "external_id": taken,
                                                        **management("contacts")})
    assert response.status_code == 302


def test_duplicate_contact_address_is_a_form_error(as_admin, world):
    # Given ewa@bukiet.example.com on a wysylki contact; when another contact is given it (in capitals).
    response = as_admin.post(url(Contact, "add"), {
        "name": "Podszywacz", "organization": world.organization("Meblex sp. j.").pk, "can_file_tickets": "on",
        **management("emails", 1), "emails-0-email": "EWA@bukiet.example.com", **management("phones")})
    # Then the inline shows an error and no contact is created.
    assert response.status_code == 200
    assert any(f.errors for fs in response.context["inline_admin_formsets"] for f in fs.formset.forms)
    assert not Contact.objects.filter(name="Podszywacz").exists()


def post_data(form) -> dict:
    """What the browser would send back for an unchanged form."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)
    return data


def test_new_terms_version_through_the_admin(as_admin, world):
    # Given EMAIL at version 1; when its admin opens "edit terms (new version)" and changes the price.
    plan = world.plan("wysylki", "email")
    address = url(PlanTerms, "add") + f"?plan={plan.pk}"
    form = as_admin.get(address).context["adminform"].form
    data = {**post_data(form), "price_net": "139.00", "effective_from": "2026-07-01", "change_note": "Nowy cennik"}
    response = as_admin.post(address, data)
    # Then version 2 holds the change and everything else of version 1, which is unchanged.
    assert response.status_code == 302
    v1, v2 = PlanTerms.objects.filter(plan=plan).order_by("version")
    assert (v1.version, v1.price_net, v1.effective_from) == (1, 129, date(2025, 1, 1))
    assert (v2.version, v2.price_net, v2.effective_from, v2.created_by) == (2, 139, date(2026, 7, 1),
                                                                            world.user(ADMIN))
    assert (v2.reaction_minutes, v2.channels, v2.rounding_units) == (v1.reaction_minutes, v1.channels,
                                                                      v1.rounding_units)
    assert AuditEvent.objects.for_tenant(world.wysylki).filter(action="plan_terms.changed").exists()


def test_unchanged_terms_through_the_admin_are_a_form_error(as_admin, world):
    plan = world.plan("wysylki", "email")
    address = url(PlanTerms, "add") + f"?plan={plan.pk}"
    form = as_admin.get(address).context["adminform"].form
    response = as_admin.post(address, post_data(form))
    assert response.status_code == 200 and response.context["adminform"].form.non_field_errors()
    assert PlanTerms.objects.filter(plan=plan).count() == 1


def test_another_tenants_plan_is_not_offered_for_new_terms(as_admin, world):
    opieka = world.plan("kjm", "opieka")
    response = as_admin.get(url(PlanTerms, "add") + f"?plan={opieka.pk}")
    assert response.status_code == 200
    assert response.context["adminform"].form.initial.get("price_net") is None
    assert not response.context["adminform"].form.fields["plan"].queryset.filter(pk=opieka.pk).exists()


def test_too_early_opieka_start_is_a_form_error(world, client):
    # Given KJM's admin adding OPIEKA for Bilans, accepted on 10 February, from 15 February.
    client.force_login(world.user(KJM_ADMIN))
    organization = world.organization("Biuro Rachunkowe Bilans")
    response = client.post(url(Subscription, "add"), {
        "organization": organization.pk, "plan": world.plan("kjm", "opieka").pk,
        "accepted_on": "2026-02-10", "starts_on": "2026-02-15", "overrides": "{}"})
    # Then the form shows the rule on the start date (not a server error) and nothing is saved.
    assert response.status_code == 200
    assert "starts_on" in response.context["adminform"].form.errors
    assert not Subscription.objects.filter(organization=organization, plan__code="opieka").exists()


def test_subscription_added_through_the_admin_gets_the_default_start(world, client):
    client.force_login(world.user(KJM_ADMIN))
    organization = world.organization("Biuro Rachunkowe Bilans")
    response = client.post(url(Subscription, "add"), {
        "organization": organization.pk, "plan": world.plan("kjm", "opieka").pk,
        "accepted_on": "2026-02-10", "starts_on": "", "overrides": "{}"})
    assert response.status_code == 302
    subscription = Subscription.objects.get(organization=organization, plan__code="opieka")
    assert (subscription.tenant, subscription.starts_on) == (world.kjm, date(2026, 3, 1))


def test_superuser_adds_a_subscription_in_the_organizations_tenant(world, client):
    client.force_login(world.user(ROOT))
    organization = world.organization("Kwiaciarnia Bukiet")
    response = client.post(url(Subscription, "add"), {
        "organization": organization.pk, "plan": world.plan("wysylki", "email").pk,
        "accepted_on": "2026-02-10", "starts_on": "", "overrides": "{}"})
    assert response.status_code == 302
    assert Subscription.objects.get(organization=organization).tenant == world.wysylki


# --- staff ---------------------------------------------------------------------------------------


def staff_form(email: str, password: str = "", **extra) -> dict:
    """The add form has no password (the invitation sets it); a password sent anyway is ignored."""
    return {"email": email, "first_name": "Nowa", "last_name": "Osoba", "password": password, "role": Role.AGENT,
            "phone": "", **extra}


def _invitation_link(outbox, email: str) -> str:
    import re

    [message] = [m for m in outbox if m.to == [email]]
    found = re.search(r"https?://\S+/invitation/\S+/", message.body)
    return found.group(0) if found else ""


def test_adding_staff_invites_them_and_the_link_activates_the_login(as_admin, world, client, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    # when wysylki's admin adds a new address
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(url(Membership, "add"), staff_form("nowa@wysylki.example.com"))
    assert response.status_code == 302
    # then a login exists in the invited state: inactive, no password, audited as invited
    membership = Membership.objects.get(user__username="nowa@wysylki.example.com")
    assert membership.tenant == world.wysylki
    assert not membership.user.is_active and not membership.user.has_usable_password()
    assert AuditEvent.objects.filter(tenant=world.wysylki, action="membership.invited",
                                     object_id=str(membership.pk)).exists()
    # and the invitation's link lets the person choose a password, once
    link = _invitation_link(mailoutbox, "nowa@wysylki.example.com").split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + link, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    done = client.post(page.redirect_chain[-1][0], {"new_password1": "Bardzo-Tajne-2026",
                                                    "new_password2": "Bardzo-Tajne-2026"})
    assert done.status_code == 302
    membership.user.refresh_from_db()
    assert membership.user.is_active and membership.user.check_password("Bardzo-Tajne-2026")
    assert client.get("/" + link, follow=True).context["validlink"] is False


@pytest.mark.parametrize("login", [ROOT, KJM_ADMIN, "zofia@zorza.example.com"])
def test_staff_form_never_attaches_a_login_used_elsewhere_and_answers_as_for_a_new_address(
        as_admin, world, login, mailoutbox, django_capture_on_commit_callbacks):
    # Given a login of the superuser, of KJM's staff or of KJM's customer.
    user = world.user(login)
    names, password = (user.first_name, user.last_name), user.password
    # When wysylki's admin adds it as staff (and, for comparison, an address nobody uses).
    with django_capture_on_commit_callbacks(execute=True):
        taken = as_admin.post(url(Membership, "add"), staff_form(login, password="Przejete-Haslo-2026"),
                              follow=True)
        fresh = as_admin.post(url(Membership, "add"), staff_form("nikt@wysylki.example.com"), follow=True)
    # Then the answer is the same page with the same message, apart from the address itself.
    assert taken.status_code == fresh.status_code == 200
    assert [str(m) for m in taken.context["messages"]] == [f"Zaproszenie wysłano na adres {login}."] or \
        [str(m) for m in taken.context["messages"]] == [f"Invitation sent to {login}."]
    assert len(taken.context["messages"]) == len(fresh.context["messages"]) == 1
    # and the login is not attached, not renamed, its password unchanged; the owner is told by e-mail
    user.refresh_from_db()
    assert not Membership.objects.filter(tenant=world.wysylki, user=user).exists()
    assert (user.first_name, user.last_name) == names and user.password == password and user.is_active
    assert [m.to for m in mailoutbox if m.to == [login]] == [[login]]
    assert _invitation_link(mailoutbox, login) == ""
    # and nothing in wysylki's audit log mentions it
    assert not AuditEvent.objects.filter(tenant=world.wysylki, summary__icontains=login).exists()


def test_a_customer_anonymised_by_gdpr_keeps_nothing_on_another_tenants_staff(as_admin, world):
    """The finding: B's customer attached as A's staff kept a working login with B's name after B
    erased the contact. Now the attach never happens, and erasure removes the login."""
    from core.gdpr import contact_anonymise

    user = world.user("zofia@zorza.example.com")
    as_admin.post(url(Membership, "add"), staff_form(user.username))
    contact = Contact.objects.get(user=user)

    contact_anonymise(tenant=contact.tenant, contact=contact, actor=None)

    user.refresh_from_db()
    assert not user.is_active and user.first_name == user.last_name == "" and "zorza" not in user.username


def test_same_person_cannot_be_added_twice(as_admin, world):
    response = as_admin.post(url(Membership, "add"), staff_form("agent@wysylki.example.com"))
    assert response.status_code == 200 and "email" in response.context["adminform"].form.errors


def test_superuser_adds_staff_to_a_chosen_tenant(world, client):
    client.force_login(world.user(ROOT))
    response = client.post(url(Membership, "add"), staff_form("nowy@kjm.example.com", tenant=world.kjm.pk))
    assert response.status_code == 302
    assert Membership.objects.get(user__username="nowy@kjm.example.com").tenant == world.kjm


def test_only_the_superuser_puts_one_login_on_two_tenants_staff(world, client):
    user = world.user(KJM_ADMIN)
    client.force_login(world.user(ROOT))
    response = client.post(url(Membership, "add"), staff_form(KJM_ADMIN, tenant=world.wysylki.pk))
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Jan", "Kowalski") and user.is_active
    assert set(Membership.objects.filter(user=user).values_list("tenant__slug", flat=True)) == {"kjm", "wysylki"}


def addons_formset(subscription) -> dict:
    data = {**management("addons", subscription.addons.count())}
    data["addons-INITIAL_FORMS"] = str(subscription.addons.count())
    for i, addon in enumerate(subscription.addons.order_by("pk")):
        data.update({f"addons-{i}-id": str(addon.pk), f"addons-{i}-subscription": str(subscription.pk),
                     f"addons-{i}-kind": addon.kind, f"addons-{i}-calendar": str(addon.calendar_id or ""),
                     f"addons-{i}-product": addon.product, f"addons-{i}-price_net": str(addon.price_net)})
    return data


def test_notice_through_the_admin_follows_the_rules(world, client):
    # Given Zorza's OPIEKA (30 days' notice) and KJM's admin.
    client.force_login(world.user(KJM_ADMIN))
    subscription = world.subscription("Spółdzielnia Mieszkaniowa Zorza")
    address = url(Subscription, "change", subscription.pk)
    data = {"overrides": '{"price_net": "2200.00"}', "notice_given_on": "2026-11-10", **addons_formset(subscription)}
    # When notice given on 10 November asks for an end on 30 November, then the form refuses it.
    response = client.post(address, {**data, "ends_on": "2026-11-30"})
    assert response.status_code == 200 and "ends_on" in response.context["adminform"].form.errors
    subscription.refresh_from_db()
    assert subscription.ends_on is None
    # When no end is given, then the earliest end the rules allow is recorded.
    response = client.post(address, {**data, "ends_on": ""})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.notice_given_on, subscription.ends_on) == (date(2026, 11, 10), date(2026, 12, 31))


def test_tenant_admin_logs_in_on_the_admin_login_page(world, client):
    # Given a tenant admin (no is_staff flag: the membership makes them an admin).
    user = world.user(ADMIN)
    assert not user.is_staff
    # When they log in on the admin's own login page, then they land in the admin.
    response = client.post(reverse("admin:login"), {"username": ADMIN, "password": "demo-haslo-2026",
                                                    "next": reverse("admin:index")})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_agent_cannot_log_in_on_the_admin_login_page(world, client):
    response = client.post(reverse("admin:login"), {"username": "agent@wysylki.example.com",
                                                    "password": "demo-haslo-2026"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
