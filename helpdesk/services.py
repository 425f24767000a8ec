"""Writes of the tenancy core."""
from __future__ import annotations

import re
from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import (AuditEvent, Contact, ContactEmail, ContactPhone, Heartbeat, Membership,
                             Organization, Role, Tenant, User)


def audit_record(*, tenant: Tenant, actor: User | None, action: str, obj: Any, summary: str = "",
                 data: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        tenant=tenant, actor=actor if actor is not None and actor.is_authenticated else None,
        action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
        summary=summary[:300], data=data or {},
    )


def normalize_phone(number: str) -> str:
    """Digits with an optional leading +: '+48 555-100-200' → '+48555100200'."""
    cleaned = re.sub(r"[^\d+]", "", number or "")
    if not re.fullmatch(r"\+?\d{6,15}", cleaned):
        raise ValidationError({"phones": _("“%(number)s” is not a phone number.") % {"number": number}})
    return cleaned


@transaction.atomic
def organization_create(*, tenant: Tenant, name: str, actor: User | None = None, external_id: str | None = None,
                        tax_id: str = "", account_manager: Membership | None = None, notes: str = "") -> Organization:
    if account_manager is not None and account_manager.tenant_id != tenant.pk:
        raise ValidationError({"account_manager": _("Choose a member of your own staff.")})
    organization = Organization(tenant=tenant, name=name, external_id=external_id or None, tax_id=tax_id,
                                account_manager=account_manager, notes=notes)
    organization.full_clean()
    organization.save()
    audit_record(tenant=tenant, actor=actor, action="organization.created", obj=organization, summary=name)
    return organization


@transaction.atomic
def contact_create(*, tenant: Tenant, organization: Organization, name: str, emails: Iterable[str] = (),
                   phones: Iterable[str] = (), can_file_tickets: bool = True, actor: User | None = None,
                   user: User | None = None) -> Contact:
    if organization.tenant_id != tenant.pk:
        raise ValidationError({"organization": _("Unknown organization.")})
    contact = Contact(tenant=tenant, organization=organization, name=name, can_file_tickets=can_file_tickets,
                      user=user)
    contact.full_clean()
    contact.save()
    contact_set_addresses(tenant=tenant, contact=contact, emails=emails, phones=phones)
    audit_record(tenant=tenant, actor=actor, action="contact.created", obj=contact, summary=name)
    return contact


@transaction.atomic
def contact_set_addresses(*, tenant: Tenant, contact: Contact, emails: Iterable[str], phones: Iterable[str]) -> None:
    """Replace a contact's e-mail addresses and phone numbers, keeping them unique in the tenant."""
    emails = list(dict.fromkeys(e.strip().lower() for e in emails if e and e.strip()))
    phones = list(dict.fromkeys(normalize_phone(p) for p in phones if p and p.strip()))
    for email in emails:
        ContactEmail(tenant=tenant, contact=contact, email=email).clean_fields(exclude=["tenant", "contact"])
    taken = (ContactEmail.objects.for_tenant(tenant).filter(email__in=emails).exclude(contact=contact)
             .values_list("email", flat=True))
    if taken:
        raise ValidationError({"emails": _("Already used by another contact: %s") % ", ".join(sorted(taken))})
    taken = (ContactPhone.objects.for_tenant(tenant).filter(number__in=phones).exclude(contact=contact)
             .values_list("number", flat=True))
    if taken:
        raise ValidationError({"phones": _("Already used by another contact: %s") % ", ".join(sorted(taken))})
    contact.emails.exclude(email__in=emails).delete()
    contact.phones.exclude(number__in=phones).delete()
    have = set(contact.emails.values_list("email", flat=True))
    ContactEmail.objects.bulk_create(ContactEmail(tenant=tenant, contact=contact, email=e)
                                     for e in emails if e not in have)
    have = set(contact.phones.values_list("number", flat=True))
    ContactPhone.objects.bulk_create(ContactPhone(tenant=tenant, contact=contact, number=p)
                                     for p in phones if p not in have)


@transaction.atomic
def membership_set(*, tenant: Tenant, user: User, role: str, actor: User | None = None,
                   on_call: bool = False) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    membership, created = Membership.objects.update_or_create(
        tenant=tenant, user=user, defaults={"role": role, "on_call": on_call})
    audit_record(tenant=tenant, actor=actor, action="membership.created" if created else "membership.changed",
                 obj=membership, summary=f"{user.get_username()}: {role}", data={"role": role})
    return membership


def heartbeat_beat(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
