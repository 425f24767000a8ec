"""Whether a customer's plan covers forum help by another channel, and what it offers otherwise."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from core.models import Contact, Tenant
from plans.models import Channel
from plans.selectors import plan_in_force

# Channels through which a ticket can carry the help; the forum is not one of them.
TICKET_CHANNELS = {Channel.EMAIL, Channel.PORTAL, Channel.PHONE, Channel.REMOTE, Channel.LANDLINE,
                   Channel.MANAGER_MOBILE}


@dataclass(frozen=True)
class Offer:
    covered: bool
    plan_name: str = ""
    channels: list[str] = field(default_factory=list)
    hourly_rate_net: Decimal | None = None


def escalation_offer(*, tenant: Tenant, contact: Contact | None) -> Offer:
    """Covered when the plan's "advanced configuration help via" names a channel other than the forum.

    A plan that leaves that list empty (KJM's plans) answers every question through its contact
    channels, so those count instead.
    """
    if contact is None:
        return Offer(covered=False)
    in_force = plan_in_force(tenant=tenant, organization=contact.organization, at=timezone.now())
    terms = in_force.terms
    if terms is None:
        return Offer(covered=False, plan_name=in_force.plan.name if in_force.plan else "")
    channels = list(terms.config_help_channels) or list(terms.channels)
    covered = any(c in TICKET_CHANNELS for c in channels)
    labels = [str(Channel(c).label) if c in Channel.values else c for c in channels]
    return Offer(covered=covered, plan_name=in_force.plan.name, channels=labels,
                 hourly_rate_net=terms.hourly_rate_net)
