"""Writes of the tenancy core."""
from __future__ import annotations

import re
import secrets
from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import netpolicy, webhooks
from core.models import (
    TOKEN_ROLES,
    ApiToken,
    AuditEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    Heartbeat,
    Membership,
    Organization,
    Role,
    Tenant,
    User,
    WebhookEndpoint,
)
from core.rest.auth import TOKEN_PREFIX, token_hash


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


def login_used_outside(user: User, tenant: Tenant | None) -> bool:
    """Whether ``user`` logs in as anything but staff or a customer of ``tenant`` (or is a superuser)."""
    if user.is_superuser:
        return True
    memberships = Membership.objects.filter(user=user)
    contacts = Contact.objects.filter(user=user)
    if tenant is not None:
        memberships = memberships.exclude(tenant=tenant)
        contacts = contacts.exclude(tenant=tenant)
    return memberships.exists() or contacts.exists()


@transaction.atomic
def staff_invite(*, tenant: Tenant, email: str, first_name: str, last_name: str, role: str, actor: User | None,
                 link_base: str, on_call: bool = False, phone: str = "",
                 attach_existing: bool = False) -> Membership | None:
    """Add a person to the tenant's staff by invitation; the caller learns nothing about the address.

    - A new address gets an inactive login without a password and a membership (the audited
      "invited" state); the e-mail carries a link to choose a password, which activates the login.
    - A login of this tenant alone (a former staff member, one of its customers) joins at once.
    - A login used outside this tenant (another tenant's staff or customer, a superuser) is not
      attached: the address gets an e-mail saying so, and the caller gets the same None as for a
      new address it cannot see yet. Only the superuser (``attach_existing``) may attach it.

    Returns the membership, or None when nothing was attached.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    email = email.strip().lower()
    user = User.objects.filter(username__iexact=email).first()
    if user is not None and Membership.objects.filter(tenant=tenant, user=user).exists():
        raise ValidationError({"email": _("This person is already on your staff.")})
    subject = _("Invitation to the staff of %(tenant)s") % {"tenant": tenant.name}
    sender = tenant.support_email or None
    if user is not None and login_used_outside(user, tenant) and not attach_existing:
        body = _("You were invited to the staff of %(tenant)s at %(site)s. This address already has a login "
                 "there, which cannot be shared between helpdesks: ask whoever invited you to use another "
                 "address.\n") % {"tenant": tenant.name, "site": link_base}
        transaction.on_commit(lambda: send_mail(subject, body, sender, [email], fail_silently=True))
        return None
    invited = user is None
    if invited:
        user = User(username=email, email=email, first_name=first_name, last_name=last_name, is_active=False)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
    membership = Membership(tenant=tenant, user=user, role=role, on_call=on_call, phone=phone)
    membership.full_clean()
    membership.save()
    audit_record(tenant=tenant, actor=actor, action="membership.invited" if invited else "membership.created",
                 obj=membership, summary=f"{email}: {role}", data={"role": role, "on_call": on_call})
    if invited:
        link = link_base.rstrip("/") + reverse("invitation_accept", kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
        body = _("You were invited to the staff of %(tenant)s. Choose your password here to activate your "
                 "login (%(email)s):\n\n%(link)s\n") % {"tenant": tenant.name, "email": email, "link": link}
    else:
        body = _("You were added to the staff of %(tenant)s at %(site)s; log in as before.\n") % {
            "tenant": tenant.name, "site": link_base}
    transaction.on_commit(lambda: send_mail(subject, body, sender, [email], fail_silently=True))
    return membership


def heartbeat_beat(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


# --- API tokens, organizations, contacts, webhook endpoints (the API's and the admin's writes) ---


@transaction.atomic
def api_token_create(*, tenant: Tenant, name: str, role: str = Role.AGENT,
                     created_by: User | None = None) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the token itself, which is never stored and shown once."""
    if role not in dict(TOKEN_ROLES):
        raise DjangoValidationError({"role": _("Unknown role.")})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(tenant=tenant, name=name, role=role, prefix=token[:8], key_hash=token_hash(token),
                   created_by=created_by)
    row.full_clean()
    row.save()
    audit_record(tenant=tenant, actor=created_by, action="api_token.created", obj=row,
                 summary=f"{name} ({role}, {row.prefix}…)")
    return row, token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(tenant=token.tenant, actor=actor, action="api_token.revoked", obj=token, summary=token.name)
    return token


@transaction.atomic
def organization_update(*, tenant: Tenant, organization: Organization, actor: User | None, **fields) -> Organization:
    allowed = {"name", "external_id", "tax_id", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise DjangoValidationError({name: _("Cannot be changed here.") for name in sorted(unknown)})
    if organization.tenant_id != tenant.pk:
        raise DjangoValidationError(_("Unknown organization."))
    changes = {}
    for name, value in fields.items():
        if name == "external_id":
            value = value or None
        if getattr(organization, name) != value:
            changes[name] = [getattr(organization, name), value]
            setattr(organization, name, value)
    if not changes:
        return organization
    organization.full_clean()
    organization.save()
    audit_record(tenant=tenant, actor=actor, action="organization.changed", obj=organization,
                 summary=organization.name, data={"changes": changes})
    return organization


@transaction.atomic
def contact_update(*, tenant: Tenant, contact: Contact, actor: User | None, emails=None, phones=None,
                   **fields) -> Contact:
    allowed = {"name", "can_file_tickets"}
    unknown = set(fields) - allowed
    if unknown:
        raise DjangoValidationError({name: _("Cannot be changed here.") for name in sorted(unknown)})
    if contact.tenant_id != tenant.pk:
        raise DjangoValidationError(_("Unknown contact."))
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    if emails is not None or phones is not None:
        contact_set_addresses(
            tenant=tenant, contact=contact,
            emails=emails if emails is not None else list(contact.emails.values_list("email", flat=True)),
            phones=phones if phones is not None else list(contact.phones.values_list("number", flat=True)))
    audit_record(tenant=tenant, actor=actor, action="contact.changed", obj=contact, summary=contact.name,
                 data={k: v for k, v in {**fields, "emails": emails, "phones": phones}.items() if v is not None})
    return contact


def webhook_url_check(url: str) -> None:
    """A receiver the server may call: http(s) on a public address (or an allowed network)."""
    try:
        netpolicy.check_url(url)
    except netpolicy.OutboundRefused as exc:
        raise DjangoValidationError({"url": [str(exc)]}) from exc


@transaction.atomic
def webhook_create(*, tenant: Tenant, url: str, events: list[str], actor: User | None, description: str = "",
                   active: bool = True) -> tuple[WebhookEndpoint, str]:
    webhook_url_check(url)
    secret = webhooks.secret_generate()
    endpoint = WebhookEndpoint(tenant=tenant, url=url, events=sorted(set(events)), description=description,
                               active=active, secret_encrypted=webhooks.secret_encrypt(secret))
    endpoint.full_clean()
    endpoint.save()
    audit_record(tenant=tenant, actor=actor, action="webhook.created", obj=endpoint, summary=url,
                 data={"events": endpoint.events})
    return endpoint, secret


@transaction.atomic
def webhook_update(*, tenant: Tenant, endpoint: WebhookEndpoint, actor: User | None, **fields) -> WebhookEndpoint:
    if endpoint.tenant_id != tenant.pk:
        raise DjangoValidationError(_("Unknown webhook."))
    if "url" in fields:
        webhook_url_check(fields["url"])
    if "events" in fields:
        fields["events"] = sorted(set(fields["events"]))
    for name, value in fields.items():
        setattr(endpoint, name, value)
    if fields.get("active"):
        endpoint.disabled_at = None
        endpoint.failure_count = 0
    endpoint.full_clean()
    endpoint.save()
    audit_record(tenant=tenant, actor=actor, action="webhook.changed", obj=endpoint, summary=endpoint.url,
                 data={k: v for k, v in fields.items()})
    return endpoint


@transaction.atomic
def webhook_delete(*, tenant: Tenant, endpoint: WebhookEndpoint, actor: User | None) -> None:
    audit_record(tenant=tenant, actor=actor, action="webhook.deleted", obj=endpoint, summary=endpoint.url)
    endpoint.delete()


def _last_admin(tenant: Tenant, membership: Membership) -> bool:
    return (membership.role == Role.ADMIN
            and not Membership.objects.filter(tenant=tenant, role=Role.ADMIN).exclude(pk=membership.pk).exists())


@transaction.atomic
def membership_change_role(*, tenant: Tenant, membership: Membership, role: str, on_call: bool,
                           actor: User | None) -> Membership:
    """A staff member's role and on-call duty; the tenant always keeps at least one admin."""
    if membership.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown staff member."))
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    list(Membership.objects.select_for_update().filter(tenant=tenant, role=Role.ADMIN).values_list("pk", flat=True))
    if role != Role.ADMIN and _last_admin(tenant, membership):
        raise ValidationError({"role": _("The helpdesk needs at least one tenant admin.")})
    before = {"role": membership.role, "on_call": membership.on_call}
    membership.role, membership.on_call = role, on_call
    membership.save(update_fields=["role", "on_call"])
    audit_record(tenant=tenant, actor=actor, action="membership.changed", obj=membership,
                 summary=f"{membership.user.get_username()}: {role}",
                 data={"before": before, "after": {"role": role, "on_call": on_call}})
    return membership


@transaction.atomic
def membership_deactivate(*, tenant: Tenant, membership: Membership, actor: User | None) -> None:
    """Take a person off the staff: the membership goes; a login used nowhere else is deactivated
    (its history — tickets, replies, audit — stays, attributed to it)."""
    if membership.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown staff member."))
    if actor is not None and membership.user_id == actor.pk:
        raise ValidationError(_("You cannot take yourself off the staff."))
    list(Membership.objects.select_for_update().filter(tenant=tenant, role=Role.ADMIN).values_list("pk", flat=True))
    if _last_admin(tenant, membership):
        raise ValidationError(_("The helpdesk needs at least one tenant admin."))
    user = membership.user
    before = {"user": user.get_username(), "role": membership.role, "on_call": membership.on_call,
              "active": user.is_active}
    audit_record(tenant=tenant, actor=actor, action="membership.removed", obj=membership,
                 summary=user.get_username(), data={"before": before, "after": None})
    membership.delete()
    if not login_used_outside(user, tenant) and not Contact.objects.filter(user=user).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])


@transaction.atomic
def tenant_set_admin_second_factor(*, tenant: Tenant, required: bool, actor: User | None) -> Tenant:
    """Whether the tenant's admins must confirm each login with a second factor."""
    before = tenant.admin_second_factor_required
    tenant.admin_second_factor_required = required
    tenant.save(update_fields=["admin_second_factor_required"])
    audit_record(tenant=tenant, actor=actor, action="tenant.second_factor_rule", obj=tenant,
                 summary=tenant.name, data={"before": {"admin_second_factor_required": before},
                                            "after": {"admin_second_factor_required": required}})
    return tenant


def tenant_set_support_email(*, tenant: Tenant, email: str, actor: User | None) -> Tenant:
    """The address customer notifications come from and replies go to (empty: the installation's)."""
    before = tenant.support_email
    tenant.support_email = (email or "").strip().lower()
    tenant.full_clean(validate_unique=False, validate_constraints=False)
    tenant.save(update_fields=["support_email"])
    audit_record(tenant=tenant, actor=actor, action="tenant.support_email", obj=tenant, summary=tenant.name,
                 data={"before": {"support_email": before}, "after": {"support_email": tenant.support_email}})
    return tenant
