"""A forum topic becomes a ticket when the asker's plan covers that help by another channel (RULES 7)."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import Tenant
from core.services import audit_record
from helpcenter.models import Post, Topic, Viewer
from helpcenter.selectors.escalation import escalation_offer
from tickets.models import Ticket
from tickets.services import ticket_create


@transaction.atomic
def topic_escalate(*, tenant: Tenant, viewer: Viewer, topic: Topic, topic_url: str = "") -> Ticket:
    topic = Topic.objects.select_for_update().get(pk=topic.pk, tenant=tenant)
    asker = viewer.user is not None and topic.author_user_id == viewer.user.pk
    if not (asker or viewer.is_staff):
        raise PermissionDenied(_("Only the author of the topic or staff may turn it into a ticket."))
    if topic.ticket_id is not None:
        raise ValidationError(_("This topic is already a ticket."))
    if topic.author_contact_id is None:
        raise ValidationError(_("Only a customer's topic can become a ticket."))
    offer = escalation_offer(tenant=tenant, contact=topic.author_contact)
    if not offer.covered:
        raise ValidationError(_("The customer's plan covers this help on the forum only."))
    first = Post.objects.filter(topic=topic, is_first=True).first()
    body = (first.body if first else topic.title) + (
        "\n\n— " + _("From the forum topic: %(url)s") % {"url": topic_url} if topic_url else "")
    ticket = ticket_create(tenant=tenant, channel=Ticket.Channel.PORTAL, subject=topic.title, body=body,
                           contact=topic.author_contact, actor=viewer.user)
    topic.ticket = ticket
    topic.save(update_fields=["ticket"])
    audit_record(tenant=tenant, actor=viewer.user, action="helpcenter.topic_escalated", obj=topic,
                 summary=topic.title, data={"ticket": ticket.pk})
    return ticket
