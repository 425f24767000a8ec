"""Daily billing work run by beat: package notices and the month close. Both are idempotent."""
from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from billing.models import Package
from core import outbox

log = logging.getLogger(__name__)

NOTICE_SUBJECTS = {
    "expiring": "Pakiet godzin wygasa {valid_until}",
    "expired": "Pakiet godzin wygasł",
    "exhausted": "Pakiet godzin został wykorzystany",
}
NOTICE_BODIES = {
    "expiring": ("Dzień dobry,\n\nPakiet godzin wsparcia zakupiony {purchased_on} jest ważny do {valid_until}. "
                 "Pozostało w nim {left}.\nNiewykorzystane godziny przepadają z końcem ważności pakietu.\n"),
    "expired": ("Dzień dobry,\n\nPakiet godzin wsparcia zakupiony {purchased_on} wygasł {valid_until}. "
                "Niewykorzystane godziny ({left}) przepadły.\nNowe zgłoszenia obsłużymy po zakupie kolejnego "
                "pakietu.\n"),
    "exhausted": ("Dzień dobry,\n\nPakiet godzin wsparcia zakupiony {purchased_on} został w całości "
                  "wykorzystany.\nNowe zgłoszenia obsłużymy po zakupie kolejnego pakietu.\n"),
}
SIGNATURE = "\nPozdrawiamy\n{tenant}\n"


def _hours_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _recipients(package: Package) -> list[str]:
    from core.models import ContactEmail

    return sorted(set(ContactEmail.objects.filter(
        tenant_id=package.tenant_id, contact__organization_id=package.organization_id,
        contact__can_file_tickets=True).values_list("email", flat=True)))


PACKAGE_NOTICE = "billing.package_notice"


def send_package_notice(package: Package, kind: str) -> None:
    """Queue the notice for every contact of the organization, in the claiming transaction (the outbox
    sends it after commit, one row per recipient)."""
    recipients = _recipients(package)
    if not recipients:
        log.warning("package %s: organization %s has no contact to tell (%s)", package.pk, package.organization_id,
                    kind)
        return
    values = {"purchased_on": package.purchased_on.strftime("%d.%m.%Y"),
              "valid_until": package.valid_until.strftime("%d.%m.%Y"), "left": _hours_text(package.minutes_left)}
    for recipient in recipients:
        outbox.enqueue(tenant=package.tenant, handler=PACKAGE_NOTICE, recipient=recipient,
                       dedupe_key=f"package:{package.pk}:{kind}:{recipient}", payload={
                           "subject": NOTICE_SUBJECTS[kind].format(**values),
                           "body": NOTICE_BODIES[kind].format(**values) + SIGNATURE.format(tenant=package.tenant.name),
                           "from_email": package.tenant.support_email or settings.DEFAULT_FROM_EMAIL})


def package_notice_deliver(row) -> None:
    """The outbox's handler: the text was fixed when the notice was claimed (the state it reports)."""
    outbox.mail_send(row, subject=row.payload["subject"], body=row.payload["body"],
                     from_email=row.payload["from_email"])


def _today() -> date:
    return timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


@shared_task(ignore_result=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def package_notices(today_iso: str | None = None) -> int:
    """Daily: expire packages past their end, then tell customers 7 days before expiry, on expiry and
    when a package is used up. Each notice is claimed and sent once (see package_notice_send)."""
    from billing.services import package_expire_due, package_notice_send, package_notices_due

    today = date.fromisoformat(today_iso) if today_iso else _today()
    package_expire_due(today=today)
    sent = 0
    for kind, package_id in package_notices_due(today=today):
        sent += package_notice_send(kind=kind, package_id=package_id, send=send_package_notice)
    return sent


@shared_task(ignore_result=True, acks_late=True)
def close_month(month_iso: str | None = None) -> int:
    """Daily (a missed run catches up): generate every organization's missing statement of the
    previous month. Existing statements are left as they are."""
    from billing.statements import month_close

    if month_iso:
        month = date.fromisoformat(month_iso).replace(day=1)
    else:
        first = _today().replace(day=1)
        month = (first.replace(year=first.year - 1, month=12) if first.month == 1
                 else first.replace(month=first.month - 1))
    return month_close(month=month)
