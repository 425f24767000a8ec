"""Billing's part of a contact's data: the time logged on their tickets (kept on erasure: amounts)."""
from __future__ import annotations

from typing import Any

from billing.models import TimeEntry
from core.gdpr import DataSubject, iso
from tickets.gdpr import contact_tickets


class TimeEntryData:
    def export(self, subject: DataSubject) -> dict[str, Any]:
        tickets = contact_tickets(subject.tenant, subject.contact, subject.emails)
        entries = (TimeEntry.objects.for_tenant(subject.tenant).filter(ticket__in=tickets).select_related("ticket")
                   .order_by("started_at", "pk"))
        return {"time_entries": [{
            "ticket": entry.ticket.reference, "started_at": iso(entry.started_at), "kind": entry.kind,
            "minutes": entry.minutes, "billed_minutes": entry.billed_minutes, "pool": entry.pool,
            "amount_net": str(entry.amount_net), "note": entry.note,
        } for entry in entries]}

    def anonymise(self, subject: DataSubject) -> dict[str, Any]:
        # Notes are the staff's words about the work; the amounts stay for the books.
        return {}
