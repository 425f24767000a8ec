"""Sample tickets of the demo, created through the same services as real ones. Idempotent.

Receipt times are relative to now, so the queue shows live countdowns whenever the demo is loaded.
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from billing.services import package_purchase, time_entry_log
from core.models import Contact, Membership, Tenant
from plans.models import Product
from tickets.models import Category, Message, Ticket
from tickets.services import message_add, ticket_assign, ticket_create, ticket_set_status

# tenant, contact name (or None with a sender address), subject, body, category, critical, channel, hours ago
TICKETS = [
    ("wysylki", "Krzysztof Prądzyński", None, "Magazyn stoi — nie da się zamknąć dnia",
     "Po aktualizacji zamknięcie dnia kończy się błędem „brak manifestu”. Kurierzy czekają.", "bug", True, "email", 1),
    ("wysylki", "Paweł Nowicki", None, "Etykiety DPD drukują się puste",
     "Od rana drukarka Zebra wypluwa puste etykiety dla DPD; InPost drukuje poprawnie.", "bug", False, "portal", 6),
    ("wysylki", "Joanna Stolarczyk", None, "Jak skonfigurować nowego przewoźnika InPost?",
     "Chcemy dodać paczkomaty InPost do obecnej konfiguracji. Od czego zacząć?", "configuration", False, "portal", 2),
    ("wysylki", "Ewa Kwiatkowska", None, "Pytanie o import zamówień z CSV",
     "Czy program potrafi zaimportować zamówienia z pliku CSV z naszego sklepu?", "consultation", False, "email", 20),
    ("wysylki", "Aleksandra Magazynier", None, "Integracja z WMS — błąd 500 przy eksporcie",
     "Eksport do WMS zwraca błąd 500 od wczoraj wieczorem. Log w załączniku do kolejnej wiadomości.", "bug", False,
     "portal", 26),
    ("wysylki", None, "magazyn@novahurt.example.com", "Brak numeru listu przewozowego",
     "Dzień dobry, w zamówieniu 4411 nie ma numeru listu. Pozdrawiam, magazyn.", None, False, "email", 3),
    ("kjm", "Zofia Zarządca", None, "Nie można zalogować się do F-K na żadnym stanowisku",
     "Od 7:30 żaden komputer nie łączy się z bazą F-K. Księgowość stoi.", "database_repair", True, "email", 1),
    ("kjm", "Barbara Księgowa", None, "Korekta faktury wystawionej na złego kontrahenta",
     "Operator wystawił fakturę na niewłaściwego kontrahenta; system nie pozwala jej poprawić.",
     "document_correction", False, "email", 5),
    ("kjm", "Henryk Bilansowy", None, "Rozdzielenie lat 2026/2027",
     "Prosimy o rozdzielenie lat w programie Kadry-Płace przed zamknięciem roku.", "year_split", False, "email", 30),
    ("kjm", "Zofia Zarządca", None, "Wycena: nowy raport w Hurtowni Danych",
     "Potrzebujemy raportu zużycia wody per budynek. Prosimy o wycenę.", "custom_programming", False, "portal", 48),
]


def seed_tickets() -> None:
    for slug in ("wysylki", "kjm"):
        tenant = Tenant.objects.get(slug=slug)
        if Ticket.objects.for_tenant(tenant).exists():
            continue
        _seed_tenant_tickets(tenant)


def _seed_tenant_tickets(tenant: Tenant) -> None:
    now = timezone.now()
    agents = list(Membership.objects.for_tenant(tenant).select_related("user").order_by("id"))
    agent = next(m for m in agents if m.role == "agent")
    if tenant.slug == "kjm":
        bilans = Contact.objects.for_tenant(tenant).get(name="Henryk Bilansowy").organization
        package_purchase(tenant=tenant, organization=bilans, purchased_on=timezone.localdate(now) - timedelta(days=40))
    created = []
    for slug, contact_name, sender, subject, body, category, critical, channel, hours_ago in TICKETS:
        if slug != tenant.slug:
            continue
        contact = Contact.objects.for_tenant(tenant).get(name=contact_name) if contact_name else None
        ticket = ticket_create(
            tenant=tenant, channel=channel, subject=subject, body=body, contact=contact, from_email=sender or "",
            category=Category.objects.for_tenant(tenant).filter(code=category).first() if category else None,
            product=Product.objects.for_tenant(tenant).filter(code="fk").first() if "F-K" in subject else None,
            critical=critical, received_at=now - timedelta(hours=hours_ago))
        created.append(ticket)
    # Some work already done: a reply, an internal note, an assignment, logged time.
    first, second = created[0], created[1]
    ticket_assign(tenant=tenant, ticket=second, assignee=agent, actor=agent.user)
    message_add(tenant=tenant, ticket=second, author_user=agent.user, source=Message.Source.AGENT,
                at=now - timedelta(hours=1), body="Dzień dobry, sprawdzamy to. Proszę o zrzut ekranu "
                "ustawień drukarki (Ustawienia → Drukarki).")
    message_add(tenant=tenant, ticket=second, author_user=agent.user, source=Message.Source.AGENT, internal=True,
                body="Podobny przypadek był w zeszłym miesiącu — sterownik Zebra w wersji 5.1.")
    time_entry_log(tenant=tenant, ticket=second, agent=agent, kind="phone", minutes=11,
                   started_at=now - timedelta(minutes=50), note="Rozmowa z klientem")
    if tenant.slug == "kjm":
        ticket_set_status(tenant=tenant, ticket=first, status=Ticket.Status.OPEN, actor=agent.user)
