"""GDPR requests of a contact: a copy of their data (art. 15/20) and erasure by anonymising (art. 17).

Anonymising replaces who the person is (name, addresses, phones, portal login) wherever it is
stored in the contact, ticket and message rows, and keeps what happened: tickets, messages'
content, time entries, amounts and statements, so the accounting of past months stays correct.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import AuditEvent, Contact, ContactEmail, Membership, Tenant, User
from core.services import audit_record

ANONYMOUS_DOMAIN = "anonymised.invalid"
PHONE_PLACEHOLDER = "[phone removed]"


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class DataSubject:
    """The contact whose data is exported or erased, as every section of the data sees them.

    ``emails`` are the contact's addresses (with the login's, lower case, for erasure); ``names``
    and ``phones`` the strings to find in free text. ``scrub`` replaces all of them.
    """

    tenant: Tenant
    contact: Contact
    emails: list[str]
    names: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    placeholder_name: str = ""
    placeholder_email: str = ""

    def scrub(self, text: str) -> str:
        text = _scrub(text, self.emails, self.placeholder_email)
        text = _scrub(text, self.names, self.placeholder_name)
        return _scrub(text, self.phones, PHONE_PLACEHOLDER)


class ContactDataSection(Protocol):
    """Data about a contact kept by an app above the core (tickets, time entries…).

    ``export`` returns the section's keys of the contact's copy; ``anonymise`` erases who the
    contact is in the section's rows (keeping the rows) and returns counts for the audit record.
    Both run inside the caller's transaction.
    """

    def export(self, subject: DataSubject) -> dict[str, Any]: ...

    def anonymise(self, subject: DataSubject) -> dict[str, Any]: ...


_sections: dict[str, ContactDataSection] = {}


def section_register(name: str, section: ContactDataSection) -> None:
    """Apps register their section in ``AppConfig.ready``; the export lists sections in that order."""
    _sections[name] = section


def _own_contact(tenant: Tenant, contact: Contact) -> Contact:
    if tenant is None or contact.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown contact."))
    return contact


def contact_export(*, tenant: Tenant, contact: Contact) -> dict[str, Any]:
    """Everything stored about ``contact``, as JSON-ready data (strings, numbers, lists, dicts).

    The core's part (the contact, addresses, login, audit) and each registered section's part
    (tickets and their public messages, time entries…). Internal notes of the staff are not part
    of the copy.
    """
    contact = _own_contact(tenant, contact)
    emails = sorted(contact.emails.values_list("email", flat=True))
    subject = DataSubject(tenant=tenant, contact=contact, emails=emails)
    user = contact.user
    data: dict[str, Any] = {
        "exported_at": iso(timezone.now()),
        "tenant": {"name": tenant.name},
        "contact": {
            "id": contact.pk, "name": contact.name, "can_file_tickets": contact.can_file_tickets,
            "organization": {"id": contact.organization_id, "name": contact.organization.name},
            "created_at": iso(contact.created_at), "updated_at": iso(contact.updated_at),
        },
        "emails": emails,
        "phones": sorted(contact.phones.values_list("number", flat=True)),
        "portal_login": None if user is None else {
            "username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "language": user.language, "is_active": user.is_active,
            "date_joined": iso(user.date_joined), "last_login": iso(user.last_login),
        },
    }
    for section in _sections.values():
        data.update(section.export(subject))
    data["audit_events"] = [{
        "at": iso(event.at), "action": event.action, "summary": event.summary,
    } for event in AuditEvent.objects.for_tenant(tenant).filter(
        object_type=Contact._meta.label_lower, object_id=str(contact.pk)).order_by("at", "pk")]
    return data


def _scrub(text: str, needles: list[str], replacement: str) -> str:
    for needle in needles:
        text = re.sub(re.escape(needle), replacement, text, flags=re.IGNORECASE)
    return text


def _login_used_elsewhere(user: User, tenant: Tenant) -> bool:
    return (user.is_staff or user.is_superuser or Membership.objects.filter(user=user).exists()
            or Contact.objects.filter(user=user).exclude(tenant=tenant).exists())


def _forget_login_attempts(usernames: list[str]) -> None:
    """The login throttle's records carry the user name (and the address it came from)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__in=usernames).delete()


@transaction.atomic
def contact_anonymise(*, tenant: Tenant, contact: Contact, actor: User | None) -> Contact:
    """Erase who the contact is; keep their tickets, time entries and amounts."""
    contact = _own_contact(tenant, Contact.objects.select_for_update().get(pk=contact.pk))
    placeholder_name = f"Anonymised #{contact.pk}"
    placeholder_email = f"contact-{contact.pk}@{ANONYMOUS_DOMAIN}"
    emails = list(contact.emails.values_list("email", flat=True))
    phones = sorted(contact.phones.values_list("number", flat=True), key=len, reverse=True)
    user = contact.user
    names = [contact.name]
    if user is not None:
        emails += [e for e in (user.email, user.username) if e and "@" in e]
        names += [n for n in (user.get_full_name(),) if n]
    emails = sorted({e.lower() for e in emails}, key=len, reverse=True)
    # Longest first, so "Anna Nowak" is replaced before a shorter name inside it.
    names = sorted({n for n in names if len(n.strip()) >= 3}, key=len, reverse=True)
    subject = DataSubject(tenant=tenant, contact=contact, emails=emails, names=names, phones=phones,
                          placeholder_name=placeholder_name, placeholder_email=placeholder_email)

    counts: dict[str, Any] = {}
    for section in _sections.values():
        counts.update(section.anonymise(subject))

    AuditEvent.objects.for_tenant(tenant).filter(
        object_type=Contact._meta.label_lower, object_id=str(contact.pk)).update(summary=placeholder_name)

    contact.phones.all().delete()
    contact.emails.all().delete()
    ContactEmail.objects.create(tenant=tenant, contact=contact, email=placeholder_email)
    if user is not None:
        if not _login_used_elsewhere(user, tenant):
            _forget_login_attempts([user.username, *emails])
            user.username = f"anonymised-{user.pk}"
            user.email = ""
            user.first_name = ""
            user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
        contact.user = None
    contact.name = placeholder_name
    contact.can_file_tickets = False
    contact.save()
    audit_record(tenant=tenant, actor=actor, action="contact.anonymised", obj=contact, summary=placeholder_name,
                 data={**counts, "login_removed": user is not None})
    return contact
