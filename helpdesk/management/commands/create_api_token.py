"""Create a tenant API token and print it once (only its hash is stored)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.models import TOKEN_ROLES, Membership, Role, Tenant, User
from core.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a tenant and print it once (see API.md)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug, e.g. wysylki")
        parser.add_argument("--name", required=True, help="what uses the token, e.g. CRM")
        parser.add_argument("--role", default=Role.AGENT, choices=[value for value, _label in TOKEN_ROLES])
        parser.add_argument("--user", help="e-mail of the staff member the token acts as "
                                           "(default: the tenant's first admin)")

    def handle(self, *args, **o):
        tenant = Tenant.objects.filter(slug=o["tenant"]).first()
        if tenant is None:
            raise CommandError(f"unknown tenant {o['tenant']!r}")
        memberships = Membership.objects.for_tenant(tenant).select_related("user")
        if o["user"]:
            membership = memberships.filter(user__email__iexact=o["user"]).first()
            if membership is None:
                raise CommandError(f"{o['user']!r} is not staff of {tenant.slug}")
        else:
            membership = memberships.filter(role=Role.ADMIN).order_by("id").first()
        user: User | None = membership.user if membership else None
        _row, token = api_token_create(tenant=tenant, name=o["name"], role=o["role"], created_by=user)
        self.stdout.write(token)
