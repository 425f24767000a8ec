"""Load the demo: tenants wysylki and kjm, their catalogues, people and sample tickets. Idempotent."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from core.models import Contact, Membership, Organization, Role, Tenant, User
from core.services import contact_create, membership_set, organization_create
from helpcenter.demo import seed_helpcenter
from helpdesk.demo import seed_tickets
from plans.catalogue import CALENDARS, CATEGORIES, PLANS, PRODUCTS
from plans.models import Calendar, Plan, Product, Subscription
from plans.services import calendar_import_spec, plan_create, subscription_addon_add, subscription_create
from tickets.models import CannedReply, Category

DEMO_PASSWORD = "demo-haslo-2026"
TERMS_FROM = date(2025, 1, 1)

TENANTS = [
    {"slug": "wysylki", "name": "Wysyłki Pro", "ticket_prefix": "WYS", "domain": "wysylki.localhost",
     "support_email": "pomoc@wysylki.example.com", "escalation_emails": ["kierownik@wysylki.example.com"],
     "default_plan": "community"},
    {"slug": "kjm", "name": "KJM Software", "ticket_prefix": "KJM", "domain": "kjm.localhost",
     "support_email": "pomoc@kjm.example.com", "escalation_emails": ["kierownik@kjm.example.com"],
     "default_plan": "pakiet"},
]

STAFF = {
    "wysylki": [("admin@wysylki.example.com", "Anna", "Nowak", Role.ADMIN, False),
                ("agent@wysylki.example.com", "Piotr", "Zieliński", Role.AGENT, True),
                ("agent2@wysylki.example.com", "Marta", "Wiśniewska", Role.AGENT, False)],
    "kjm": [("admin@kjm.example.com", "Jan", "Kowalski", Role.ADMIN, False),
            ("opiekun@kjm.example.com", "Katarzyna", "Lewandowska", Role.AGENT, False),
            ("dyzurny@kjm.example.com", "Tomasz", "Wójcik", Role.AGENT, True)],
}

# organization, tax id, plan (None: the default plan), accepted on, overrides, add-ons, contacts
# contacts: (name, e-mail, phone, authorised, portal login)
ORGANIZATIONS = {
    "wysylki": [
        ("Kwiaciarnia Bukiet", "5250000001", None, None, {}, [],
         [("Ewa Kwiatkowska", "ewa@bukiet.example.com", "+48555100101", True, True)]),
        ("Nova Hurt sp. z o.o.", "5250000002", "email", date(2025, 12, 10), {}, [],
         [("Paweł Nowicki", "pawel@novahurt.example.com", "+48555100201", True, True),
          ("Magazyn Nova", "magazyn@novahurt.example.com", "", False, False)]),
        ("Meblex sp. j.", "5250000003", "start", date(2025, 12, 10), {}, [],
         [("Joanna Stolarczyk", "joanna@meblex.example.com", "+48555100301", True, True)]),
        ("Elektro-Mat S.A.", "5250000004", "standard", date(2025, 12, 10), {}, [],
         [("Krzysztof Prądzyński", "krzysztof@elektromat.example.com", "+48555100401", True, True),
          ("Biuro Elektro-Mat", "biuro@elektromat.example.com", "+48555100402", False, False)]),
        ("MegaLogistyka S.A.", "5250000005", "premium", date(2025, 12, 10),
         {"price_net": "2500.00", "minimum_term_months": 12, "reaction_minutes": 120, "included_minutes": 1200,
          "hourly_rate_net": "120.00", "days_off_support": True, "service_calendar": "nonstop",
          "email_limit_minutes": 3000, "queue_priority": 5}, [],
         [("Aleksandra Magazynier", "ola@megalogistyka.example.com", "+48555100501", True, True)]),
    ],
    "kjm": [
        ("Wodociągi Leśne sp. z o.o.", "7390000001", "opieka", date(2026, 3, 16), {"price_net": "1500.00"}, [],
         [("Barbara Księgowa", "ksiegowosc@wodociagi.example.com", "+48555200101", True, True)]),
        ("Spółdzielnia Mieszkaniowa Zorza", "7390000002", "opieka", date(2025, 12, 15), {"price_net": "2200.00"},
         [{"kind": "extended_hours", "calendar": "extended", "price_net": Decimal("400.00")},
          {"kind": "extra_product", "product": "hurtownia", "price_net": Decimal("150.00")}],
         [("Zofia Zarządca", "zofia@zorza.example.com", "+48555200201", True, True)]),
        ("Biuro Rachunkowe Bilans", "7390000003", "pakiet", None, {}, [],
         [("Henryk Bilansowy", "henryk@bilans.example.com", "+48555200301", True, True)]),
    ],
}

SUPERUSER = ("root@helpdesk.example.com", "Administrator", "systemu")

CANNED = {
    "wysylki": [("Prośba o logi", "Dzień dobry,\n\nprosimy o przesłanie pliku logu programu z dnia wystąpienia "
                                  "problemu (Pomoc → Zapisz log).\n\nPozdrawiamy"),
                ("Forum i pomoc płatna", "Dzień dobry,\n\nw Pani/Pana planie pytania konfiguracyjne obsługujemy na "
                                         "forum programu. Możemy też pomóc zdalnie według stawki z cennika.")],
    "kjm": [("Rozdzielenie lat", "Dzień dobry,\n\nrozdzielenie lat wykonamy w godzinach pracy KJM. "
                                 "Prosimy o wskazanie dogodnego terminu.")],
}


class Command(BaseCommand):
    help = "Load the demo tenants, catalogues, people and sample tickets (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            created = seed(with_tickets=True)
        self.stdout.write(self.style.SUCCESS("Demo data ready" + (" (created)." if created else " (unchanged).")))


def _user(email: str, first: str, last: str, **extra) -> User:
    user = User.objects.filter(username=email).first()
    if user is None:
        user = User(username=email, email=email, first_name=first, last_name=last, **extra)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def seed(*, with_tickets: bool = False) -> bool:
    """Load the catalogue and people; ``with_tickets`` adds the sample tickets (the command does).

    Tests call it without tickets so that each starts from an empty queue."""
    if Tenant.objects.filter(slug__in=[t["slug"] for t in TENANTS]).count() == len(TENANTS):
        if with_tickets:
            seed_tickets()
            seed_helpcenter()
        return False
    root = _user(*SUPERUSER, is_superuser=True, is_staff=True)
    for spec in TENANTS:
        tenant = Tenant.objects.filter(slug=spec["slug"]).first()
        if tenant is None:
            tenant = Tenant.objects.create(**{k: v for k, v in spec.items() if k != "default_plan"})
        _seed_tenant(tenant, spec["default_plan"], root)
    if with_tickets:
        seed_tickets()
        seed_helpcenter()
    return True


def _seed_tenant(tenant: Tenant, default_plan: str, actor: User) -> None:
    slug = tenant.slug
    for code, (name, spec) in CALENDARS[slug].items():
        if not Calendar.objects.for_tenant(tenant).filter(code=code).exists():
            calendar_import_spec(tenant=tenant, code=code, name=name, spec=spec, actor=actor)
    for code, name in PRODUCTS[slug]:
        Product.objects.get_or_create(tenant=tenant, code=code, defaults={"name": name})
    calendars = {c.code: c for c in Calendar.objects.for_tenant(tenant)}
    for position, (code, name, description, terms) in enumerate(PLANS[slug]):
        if Plan.objects.for_tenant(tenant).filter(code=code).exists():
            continue
        values = dict(terms)
        values["service_calendar"] = calendars[values["service_calendar"]]
        if values.get("critical_calendar"):
            values["critical_calendar"] = calendars[values["critical_calendar"]]
        plan_create(tenant=tenant, code=code, name=name, description=description, position=position,
                    terms=values, effective_from=TERMS_FROM, actor=actor)
    tenant.default_plan = Plan.objects.for_tenant(tenant).get(code=default_plan)
    tenant.save(update_fields=["default_plan"])
    for position, (code, name, is_bug, in_scope) in enumerate(CATEGORIES[slug]):
        Category.objects.get_or_create(tenant=tenant, code=code, defaults={
            "name": name, "is_bug": is_bug, "in_scope": in_scope, "position": position})
    for title, body in CANNED[slug]:
        CannedReply.objects.get_or_create(tenant=tenant, title=title, defaults={"body": body})

    memberships = {}
    for email, first, last, role, on_call in STAFF[slug]:
        user = _user(email, first, last)
        membership = Membership.objects.for_tenant(tenant).filter(user=user).first()
        memberships[email] = membership or membership_set(tenant=tenant, user=user, role=role, on_call=on_call,
                                                          actor=actor)
    manager = memberships.get("opiekun@kjm.example.com")

    for name, tax_id, plan_code, accepted_on, overrides, addons, contacts in ORGANIZATIONS[slug]:
        organization = Organization.objects.for_tenant(tenant).filter(name=name).first()
        if organization is None:
            organization = organization_create(
                tenant=tenant, name=name, tax_id=tax_id, actor=actor,
                account_manager=manager if plan_code == "opieka" else None,
                external_id=f"CRM-{tax_id[-4:]}")
        for contact_name, email, phone, authorised, login in contacts:
            if Contact.objects.for_tenant(tenant).filter(organization=organization, name=contact_name).exists():
                continue
            first, _sep, last = contact_name.partition(" ")
            user = _user(email, first, last) if login else None
            contact_create(tenant=tenant, organization=organization, name=contact_name, emails=[email],
                           phones=[phone] if phone else [], can_file_tickets=authorised, user=user, actor=actor)
        if plan_code and not Subscription.objects.for_tenant(tenant).filter(organization=organization).exists():
            plan = Plan.objects.for_tenant(tenant).get(code=plan_code)
            if plan_code == "pakiet":
                accepted_on = date(2026, 1, 5)
            subscription = subscription_create(tenant=tenant, organization=organization, plan=plan,
                                               accepted_on=accepted_on, overrides=overrides, actor=actor)
            for addon in addons:
                addon = dict(addon)
                if "calendar" in addon:
                    addon["calendar"] = Calendar.objects.for_tenant(tenant).get(code=addon["calendar"])
                subscription_addon_add(tenant=tenant, subscription=subscription, actor=actor, **addon)


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, login, where) for the printed summary of ``make run``."""
    rows = [("superuser", SUPERUSER[0], "/admin/")]
    for slug, staff in STAFF.items():
        for email, _first, _last, role, _on_call in staff:
            rows.append((f"{slug} {role}", email, "/settings/" if role == Role.ADMIN else "/agent/"))
        for org in ORGANIZATIONS[slug]:
            for _name, email, _phone, _authorised, login in org[6][:1]:
                if login:
                    rows.append((f"{slug} customer ({org[2] or 'default plan'})", email, "/portal/"))
    return rows
