"""Print the reaction deadline a ticket would get: ISO 8601 with offset, or ``none: <reason>``."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from core.models import Organization, Tenant
from plans.models import Plan
from plans.selectors import plan_terms_in_force, terms_values
from plans.terms import terms_from_values
from sla import policy
from tickets.models import Category


class Command(BaseCommand):
    help = "Print the reaction deadline of a ticket received under a plan (see API.md)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug, e.g. wysylki")
        parser.add_argument("--plan", required=True, help="plan code, e.g. email")
        parser.add_argument("--received", required=True, help="ISO 8601 with an offset")
        parser.add_argument("--critical", action="store_true")
        parser.add_argument("--channel", default="email", choices=["email", "portal", "api", "phone"])
        parser.add_argument("--category", help="category code, e.g. bug")
        parser.add_argument("--organization", help="organization ID: its package and e-mail limit apply")

    def handle(self, *args, **o):
        tenant = Tenant.objects.filter(slug=o["tenant"]).first()
        if tenant is None:
            raise CommandError(f"unknown tenant {o['tenant']!r}")
        plan = Plan.objects.for_tenant(tenant).filter(code=o["plan"]).first()
        if plan is None:
            codes = ", ".join(Plan.objects.for_tenant(tenant).values_list("code", flat=True))
            raise CommandError(f"unknown plan {o['plan']!r}; plans of {tenant.slug}: {codes}")
        try:
            received = datetime.fromisoformat(o["received"])
        except ValueError as exc:
            raise CommandError(f"--received: not an ISO 8601 date-time: {o['received']!r}") from exc
        if received.tzinfo is None:
            raise CommandError("--received needs a UTC offset, e.g. 2026-11-27T16:30:00+01:00")
        category = None
        if o["category"]:
            category = Category.objects.for_tenant(tenant).filter(code=o["category"]).first()
            if category is None:
                raise CommandError(f"unknown category {o['category']!r}")
        organization = None
        if o["organization"]:
            organization = Organization.objects.for_tenant(tenant).filter(pk=o["organization"]).first()
            if organization is None:
                raise CommandError(f"unknown organization {o['organization']!r}")
        deadline = preview(tenant=tenant, plan=plan, received=received, critical=o["critical"],
                           channel=o["channel"], category=category, organization=organization)
        if deadline.due_at is None:
            self.stdout.write(f"none: {deadline.reason} — {deadline.message}")
        else:
            zone = ZoneInfo(deadline.calendar["timezone"])
            self.stdout.write(deadline.due_at.astimezone(zone).isoformat())


def preview(*, tenant, plan, received, critical=False, channel="email", category=None, organization=None):
    """The deadline a ticket would get under ``plan`` (with the organization's pools when given)."""
    from billing.selectors import email_guarantee_used_minutes, organization_has_valid_package

    local_day = received.astimezone(ZoneInfo(tenant.time_zone)).date()
    row = plan_terms_in_force(tenant=tenant, plan=plan, on=local_day)
    terms = terms_from_values(terms_values(row)) if row else None
    facts = policy.TicketFacts(
        received_at=received, channel=channel, critical=critical,
        is_bug=bool(category and category.is_bug), in_scope=category.in_scope if category else True,
        email_limit_used_minutes=email_guarantee_used_minutes(tenant=tenant, organization=organization, at=received),
        has_valid_package=organization_has_valid_package(tenant=tenant, organization=organization, at=received),
    )
    return policy.reaction_deadline(terms, facts)
