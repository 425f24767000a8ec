"""Package notices (7 days before expiry, on expiry, when used up) and the month close task."""
from datetime import date

import pytest
from django.core import mail

from billing.models import Package
from billing.services import package_purchase, time_entry_log
from billing.tasks import package_notices as _package_notices
from core import outbox
from tests.billing.conftest import at

pytestmark = pytest.mark.django_db


def package_notices(day: str) -> int:
    """The daily task, then the outbox's dispatcher (which a worker runs right after the commit)."""
    claimed = _package_notices(day)
    outbox.dispatch()
    return claimed


def test_each_notice_is_sent_once_to_the_organizations_contacts(demo):
    kjm = demo.tenant("kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    package = package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 12, 5))  # until 4 March
    # when the daily task runs 8 days before the end: nothing yet
    assert package_notices("2027-02-24") == 0
    # 7 days before the end: "expires soon", once
    assert package_notices("2027-02-25") == 1
    assert package_notices("2027-02-26") == 0
    assert mail.outbox[-1].to == ["henryk@bilans.example.com"]
    assert "wygasa 04.03.2027" in mail.outbox[-1].subject
    # after the end: expired, once
    assert package_notices("2027-03-05") == 1
    assert package_notices("2027-03-06") == 0
    package.refresh_from_db()
    assert package.status == Package.Status.EXPIRED and package.notified_expired_at is not None
    assert mail.outbox[-1].subject == "Pakiet godzin wygasł"
    assert len(mail.outbox) == 2


def test_a_used_up_package_is_announced_once(demo):
    kjm = demo.tenant("kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 12, 1))
    ticket = demo.ticket("kjm", "Biuro Rachunkowe")
    time_entry_log(tenant=kjm, ticket=ticket, agent=demo.agent("kjm"), kind="remote",
                   started_at=at(2026, 12, 2, 9), minutes=180)
    assert package_notices("2026-12-03") == 1
    assert package_notices("2026-12-04") == 0
    notices = [m for m in mail.outbox if m.subject.startswith("Pakiet")]
    assert [m.subject for m in notices] == ["Pakiet godzin został wykorzystany"]
    assert "Dzień dobry" in notices[0].body


def test_a_notice_is_queued_in_the_claiming_transaction_and_sent_once_per_contact(demo):
    from core.models import OutboxMessage

    kjm = demo.tenant("kjm")
    bilans = demo.organization("kjm", "Biuro Rachunkowe")
    package_purchase(tenant=kjm, organization=bilans, purchased_on=date(2026, 12, 5))
    assert _package_notices("2027-02-25") == 1
    queued = OutboxMessage.objects.filter(handler="billing.package_notice")
    assert [m.recipient for m in queued] == ["henryk@bilans.example.com"] and not mail.outbox
    outbox.dispatch()
    outbox.dispatch()  # a second dispatcher run sends nothing again
    assert len(mail.outbox) == 1 and mail.outbox[0].extra_headers["Message-ID"] == queued.get().message_id
