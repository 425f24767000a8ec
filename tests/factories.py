"""factory_boy factories for the tenancy core and the plans.

Calendars and plans are built through their services (``calendar_import_spec``, ``plan_create``), so a
factory-made plan has a first terms version and an audit event exactly like one made in the admin.
Contact data is made up: ``example.com`` addresses and 555 phone numbers.
"""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory, Password

from core.models import Contact, Membership, Organization, Role, Tenant, User
from core.services import audit_record, contact_set_addresses
from plans.models import AddonKind, Calendar, Plan, Product
from plans.services import calendar_import_spec, plan_create, subscription_addon_add, subscription_create

DEMO_PASSWORD = "demo-haslo-2026"

OFFICE_HOURS = {
    "timezone": "Europe/Warsaw",
    "windows": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "PL",
}

# Terms of a plain monthly plan; a test overrides what it is about.
DEFAULT_TERMS = {
    "billing_mode": "monthly",
    "price_net": Decimal("100.00"),
    "minimum_term_months": 0,
    "included_minutes": 0,
    "included_kinds": [],
    "reaction_minutes": 8 * 60,
    "email_scope": "all",
    "channels": ["email", "portal"],
    "config_help_channels": ["email"],
    "hourly_rate_net": Decimal("150.00"),
}


class TenantFactory(DjangoModelFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.Sequence(lambda n: f"Tenant {n}")
    ticket_prefix = factory.Sequence(lambda n: f"T{n:03d}")
    domain = factory.LazyAttribute(lambda o: f"{o.slug}.localhost")
    support_email = factory.LazyAttribute(lambda o: f"pomoc@{o.slug}.example.com")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    first_name = "Jan"
    last_name = factory.Sequence(lambda n: f"Testowy{n}")
    password = Password(DEMO_PASSWORD)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.AGENT


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Klient {n} sp. z o.o.")
    tax_id = factory.Sequence(lambda n: f"{5250000000 + n}")


class ContactFactory(DjangoModelFactory):
    """A contact of ``organization`` (same tenant); ``emails=[…]``, ``phones=[…]`` add its addresses."""

    class Meta:
        model = Contact
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    tenant = factory.LazyAttribute(lambda o: o.organization.tenant)
    name = factory.Sequence(lambda n: f"Osoba Kontaktowa {n}")
    can_file_tickets = True

    @factory.post_generation
    def emails(obj, create, extracted, **kwargs):
        emails = list(extracted) if extracted is not None else [f"contact{obj.pk}@example.com"]
        phones = [p.number for p in obj.phones.all()]
        contact_set_addresses(tenant=obj.tenant, contact=obj, emails=emails, phones=phones)

    @factory.post_generation
    def phones(obj, create, extracted, **kwargs):
        if extracted:
            emails = [e.email for e in obj.emails.all()]
            contact_set_addresses(tenant=obj.tenant, contact=obj, emails=emails, phones=list(extracted))


class CalendarFactory(factory.Factory):
    """A calendar imported from its JSON spec, as the admin's import does."""

    class Meta:
        model = Calendar

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"calendar-{n}")
    name = factory.LazyAttribute(lambda o: f"Calendar {o.code}")
    spec = factory.LazyFunction(lambda: dict(OFFICE_HOURS))

    @classmethod
    def _create(cls, model_class, *, tenant, code, name, spec, actor=None):
        return calendar_import_spec(tenant=tenant, code=code, name=name, spec=spec, actor=actor)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("Calendars are made by import; use create().")


class PlanFactory(factory.Factory):
    """A plan with its first terms version (``DEFAULT_TERMS`` updated by ``terms={…}``).

    Without a ``service_calendar`` in ``terms`` an office-hours calendar of the tenant is created.
    """

    class Meta:
        model = Plan

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda o: o.code.upper())
    effective_from = date(2025, 1, 1)
    terms = factory.Dict({})
    position = 0

    @classmethod
    def _create(cls, model_class, *, tenant, code, name, effective_from, terms, position, actor=None):
        values = {**DEFAULT_TERMS, **terms}
        if values.get("service_calendar") is None:
            values["service_calendar"] = CalendarFactory(tenant=tenant)
        return plan_create(tenant=tenant, code=code, name=name, terms=values, effective_from=effective_from,
                           position=position, actor=actor)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("Plans are made by plan_create; use create().")


# --- two tenants with one of everything -----------------------------------------------------------


@dataclass
class TenantWorld:
    """One tenant with its staff, a customer organization and contact, a calendar, a plan and a
    subscription, every name carrying the tenant's label."""

    tenant: object
    admin: object
    agent: object
    organization: object
    contact: object
    customer: object
    calendar: object
    plan: object
    subscription: object


def build_tenant_world(label: str) -> TenantWorld:
    from tickets.models import CannedReply, Category

    tenant = TenantFactory(slug=f"{label}-co", name=f"{label} Company")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__username=f"admin@{label}.example.com")
    agent = MembershipFactory(tenant=tenant, role=Role.AGENT, user__username=f"agent@{label}.example.com")
    organization = OrganizationFactory(tenant=tenant, name=f"{label} Customer Ltd")
    customer = UserFactory(username=f"customer@{label}.example.com")
    contact = ContactFactory(organization=organization, name=f"{label} Contact", user=customer,
                             emails=[f"customer@{label}.example.com"], phones=["+48 555 000 000"])
    calendar = CalendarFactory(tenant=tenant, code="office", name=f"{label} office hours")
    plan = PlanFactory(tenant=tenant, code="basic", name=f"{label} Basic", terms={"service_calendar": calendar})
    subscription = subscription_create(tenant=tenant, organization=organization, plan=plan,
                                       accepted_on=date(2025, 12, 1))
    subscription_addon_add(tenant=tenant, subscription=subscription, kind=AddonKind.EXTRA_PRODUCT,
                           product=f"{label}-extra")
    Product.objects.create(tenant=tenant, code="main", name=f"{label} Product")
    Category.objects.create(tenant=tenant, code="other", name=f"{label} Category")
    CannedReply.objects.create(tenant=tenant, title=f"{label} Canned reply", body="Dzień dobry")
    audit_record(tenant=tenant, actor=admin.user, action="test.marker", obj=organization, summary=f"{label} marker")
    return TenantWorld(tenant=tenant, admin=admin, agent=agent, organization=organization, contact=contact,
                       customer=customer, calendar=calendar, plan=plan, subscription=subscription)


# --- any row of any model ---------------------------------------------------------------------

_counter = itertools.count(1)


def build_any_row(model, tenant: Tenant):
    """A row of ``model`` for ``tenant``, every required field filled with a plain made-up value.

    For isolation tests that must cover every tenant-owned model, including ones added after the
    test was written: required relations reuse a row of the same tenant or are built the same way.
    """
    if model is Tenant:
        return tenant
    if model is User:
        return UserFactory()
    n = next(_counter)
    values = {}
    for field in model._meta.concrete_fields:
        if field.auto_created or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.name == "tenant":
            values["tenant"] = tenant
        elif field.is_relation:
            if field.null:
                continue
            target = field.related_model
            # Logins belong to no tenant: a row gets a login of its own (a shared one would clash
            # with per-tenant unique pairs such as a membership's tenant and user).
            reusable = None if field.one_to_one or target is User else _existing_row(target, tenant)
            values[field.name] = reusable or build_any_row(target, tenant)
        elif field.has_default() or field.null:
            continue
        else:
            values[field.name] = _sample_value(field, n, tenant)
    values.update(_CHECKED_VALUES.get(model._meta.label, {}))
    return model._base_manager.create(**values)


# Optional fields that a model's check constraint needs in some combination (a quote is a fixed
# price or hours at a rate): the values ``build_any_row`` gives them.
_CHECKED_VALUES = {"billing.Quote": {"fixed_price_net": Decimal("100.00")},
                   "billing.UpdateFeeCharge": {"first_month": 1, "last_month": 1, "charged_in": 1, "kind": "charge",
                                               "amount_net": Decimal("100.00")}}


def _existing_row(model, tenant):
    if any(f.name == "tenant" for f in model._meta.concrete_fields):
        return model._base_manager.filter(tenant=tenant).first()
    return model._base_manager.first()


def _sample_value(field, n: int, tenant: Tenant):
    from django.db import models

    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.EmailField):
        return f"row{n}@{tenant.slug}.example.com"
    if isinstance(field, models.URLField):
        return f"https://{tenant.slug}.example.com/{n}"
    if isinstance(field, models.FileField):
        return f"files/{tenant.slug}-{n}.txt"
    if isinstance(field, (models.CharField, models.TextField)):
        return f"{tenant.slug}{n}"[: field.max_length or None]
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, (models.IntegerField,)):
        return n
    if isinstance(field, models.DecimalField):
        return Decimal("1.00")
    if isinstance(field, models.DateTimeField):
        # Each row on a day of its own (rows never overlap in time), and later fields of a model get
        # later times, so "ends after it starts" checks hold.
        return (datetime(2026, 1, 1, 9, 0, tzinfo=dt_timezone.utc) + timedelta(days=n)
                + timedelta(minutes=field.creation_counter % 600))
    if isinstance(field, models.DateField):
        return date(2026, 1, 1)
    if isinstance(field, models.TimeField):
        return time(9, 0)
    if isinstance(field, models.DurationField):
        return timedelta(minutes=1)
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.BinaryField):
        return b""
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.1"
    raise NotImplementedError(f"No sample value for {field.model._meta.label}.{field.name} ({type(field).__name__})")
