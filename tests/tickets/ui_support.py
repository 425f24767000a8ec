"""Helpers of the portal and agent page tests: logins and tickets built through the services."""
from __future__ import annotations

from django.test import Client

from core.models import Contact, Membership, Tenant
from tickets.attachments import attachment_check
from tickets.models import Category, Ticket
from tickets.services import ticket_create

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def login(client: Client, username: str) -> Client:
    from core.models import User

    client.force_login(User.objects.get(username=username))
    return client


def contact(tenant_slug: str, name: str) -> Contact:
    return Contact.objects.select_related("organization", "user").get(tenant__slug=tenant_slug, name=name)


def agent(tenant_slug: str, username: str) -> Membership:
    return Membership.objects.select_related("user").get(tenant__slug=tenant_slug, user__username=username)


def file_ticket(contact: Contact, subject: str = "Program nie drukuje etykiet", *, attachment: bool = False,
                **kwargs) -> Ticket:
    tenant = Tenant.objects.get(pk=contact.tenant_id)
    kwargs.setdefault("category", Category.objects.for_tenant(tenant).order_by("position").first())
    files = [attachment_check("zrzut.png", PNG)] if attachment else []
    return ticket_create(tenant=tenant, channel="portal", contact=contact, subject=subject,
                         body="Od rana drukarka zwraca błąd.", attachments=files, **kwargs)
