"""What billing keeps on a ticket, moved when the ticket is merged into another (``tickets.merge``).

The time entries (and the quotes they may be billed by) follow the ticket's messages to the target.
Both tickets belong to one organization (the merge insists), so no minute changes customer or month;
yet a month whose statement was issued is frozen: time logged in it stays where the statement says
it is, and the merge is refused with the month named.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from billing.models import Quote, TimeEntry
from billing.services import local_date, month_is_closed, month_start


def ticket_merging(*, source, target, actor) -> dict[str, int]:
    entries = TimeEntry.objects.select_for_update(of=("self",)).filter(ticket=source).select_related("organization")
    checked = set()
    for entry in entries:
        month = month_start(local_date(source.tenant, entry.started_at))
        if (entry.organization_id, month) in checked:
            continue
        checked.add((entry.organization_id, month))
        if month_is_closed(tenant=source.tenant, organization=entry.organization, day=month):
            raise ValidationError(
                _(
                    "Time logged on %(ref)s in %(month)s is on an issued statement and cannot move to another "
                    "ticket: these tickets cannot be merged."
                )
                % {"ref": source.reference, "month": month.strftime("%m/%Y")}
            )
    moved = TimeEntry.objects.filter(ticket=source).update(ticket=target)
    quotes = Quote.objects.filter(ticket=source).update(ticket=target)
    return {"time_entries": moved, "quotes": quotes}
