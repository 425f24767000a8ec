"""Reads of pools and packages that other apps need (the SLA policy's inputs among them)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Sum

from billing.models import Package, TimeEntry
from helpdesk.models import Organization, Tenant
from plans.dates import first_of_next_month


def _local_date(tenant: Tenant, at: datetime):
    return at.astimezone(ZoneInfo(tenant.time_zone)).date()


def email_guarantee_used_minutes(*, tenant: Tenant, organization: Organization | None, at: datetime) -> int:
    """Minutes of guaranteed e-mail support on non-bug tickets in the calendar month of ``at``."""
    if organization is None:
        return 0
    day = _local_date(tenant, at)
    start = day.replace(day=1)
    zone = ZoneInfo(tenant.time_zone)
    begin = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(first_of_next_month(start), datetime.min.time(), tzinfo=zone)
    used = (TimeEntry.objects.for_tenant(tenant)
            .filter(organization=organization, pool=TimeEntry.Pool.EMAIL_LIMIT, counts_as_bug=False,
                    started_at__gte=begin, started_at__lt=end)
            .aggregate(total=Sum("billed_minutes"))["total"])
    return used or 0


def organization_has_valid_package(*, tenant: Tenant, organization: Organization | None, at: datetime) -> bool:
    """A package with minutes left and within its validity on the day of ``at``."""
    if organization is None:
        return False
    day = _local_date(tenant, at)
    return (Package.objects.for_tenant(tenant)
            .filter(organization=organization, status=Package.Status.ACTIVE, minutes_left__gt=0,
                    purchased_on__lte=day, valid_until__gte=day)
            .exists())
