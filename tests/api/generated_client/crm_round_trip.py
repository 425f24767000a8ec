"""A CRM's round trip through a client generated from the live OpenAPI schema.

``tests/api/test_generated_client.py`` generates the package ``helpdesk_client`` with
openapi-python-client, type-checks this module against it with ``mypy --strict`` and runs ``run``
against a live server. Every call, argument and model here must therefore match the schema: an
operation that declares the wrong shape, content type or parameter type fails the type check or
the run.
"""
from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo
from typing import TypeVar

import httpx

from helpdesk_client import AuthenticatedClient
from helpdesk_client.api.contacts import contacts_create
from helpdesk_client.api.members import members_list
from helpdesk_client.api.organizations import (
    organizations_create,
    organizations_list,
    organizations_retrieve,
    organizations_statements_csv_retrieve,
    organizations_statements_pdf_retrieve,
    organizations_statements_retrieve,
    organizations_usage_retrieve,
)
from helpdesk_client.api.packages import packages_create, packages_retrieve
from helpdesk_client.api.subscriptions import subscriptions_create
from helpdesk_client.api.tickets import (
    tickets_create,
    tickets_list,
    tickets_messages_create,
    tickets_messages_list,
    tickets_partial_update,
    tickets_retrieve,
)
from helpdesk_client.api.time_entries import time_entries_create, time_entries_list
from helpdesk_client.models import (
    Contact,
    ContactRequest,
    Message,
    MessageCreateRequest,
    Organization,
    OrganizationRequest,
    Package,
    PackageRequest,
    PackageStatusEnum,
    PaginatedMemberList,
    PaginatedMessageList,
    PaginatedOrganizationList,
    PaginatedTicketList,
    PaginatedTimeEntryList,
    PatchedTicketUpdateRequest,
    Problem,
    ProblemErrors,
    Statement,
    Subscription,
    SubscriptionRequest,
    Ticket,
    TicketCreateRequest,
    TicketStatusEnum,
    TimeEntry,
    TimeEntryRequest,
    Usage,
    WorkKindEnum,
)
from helpdesk_client.types import File

T = TypeVar("T")


def expect(value: object, kind: type[T]) -> T:
    """The generated ``sync`` calls return the success model, a ``Problem`` or ``None``."""
    if not isinstance(value, kind):
        raise AssertionError(f"expected {kind.__name__}, got {value!r}")
    return value


def error_keys(problem: Problem) -> list[str]:
    errors = expect(problem.errors, ProblemErrors)
    return sorted(errors.additional_properties)


def run(base_url: str, token: str, *, package_plan: str, tag: str) -> dict[str, int]:
    """The round trip; returns the IDs it created (the caller checks them in the database)."""
    client = AuthenticatedClient(base_url=base_url, token=token, timeout=httpx.Timeout(30.0))

    # Organizations: create (repeat-safe), read back, find by the CRM's ID.
    request = OrganizationRequest(name=f"Generated Client {tag} sp. z o.o.", external_id=f"CRM-GEN-{tag}",
                                  tax_id="5250000002")
    organization = expect(organizations_create.sync(client=client, body=request, idempotency_key=f"org-{tag}"),
                          Organization)
    replayed = expect(organizations_create.sync(client=client, body=request, idempotency_key=f"org-{tag}"),
                      Organization)
    assert replayed.id == organization.id
    assert expect(organizations_retrieve.sync(organization.id, client=client), Organization).name == request.name
    found = expect(organizations_list.sync(client=client, external_id=f"CRM-GEN-{tag}"), PaginatedOrganizationList)
    assert [o.id for o in found.results] == [organization.id] and found.next_ is None

    # A duplicate CRM ID is a problem keyed by the field the request sent.
    duplicate = expect(organizations_create.sync(client=client, body=request), Problem)
    assert duplicate.status == 409 and error_keys(duplicate) == ["external_id"], duplicate

    contact = expect(contacts_create.sync(client=client, body=ContactRequest(
        organization=organization.id, name="Kasia Kowalska", emails=[f"kasia-{tag}@generated.example.com"])),
        Contact)
    assert contact.organization == organization.id

    # Accepted and started on the 1st of this month, so that today's work falls under the plan.
    first = datetime.date.today().replace(day=1)
    subscription = expect(subscriptions_create.sync(client=client, body=SubscriptionRequest(
        organization=organization.id, plan="basic", accepted_on=first, starts_on=first)), Subscription)
    assert subscription.plan == "basic" and subscription.starts_on == first

    # Tickets, their messages, time.
    ticket = expect(tickets_create.sync(client=client, body=TicketCreateRequest(
        subject="Invoice export fails", body="Error 17 on export", contact=contact.id,
        external_id=f"CASE-GEN-{tag}")), Ticket)
    assert ticket.organization == organization.id and ticket.status == TicketStatusEnum.NEW
    read = expect(tickets_retrieve.sync(ticket.id, client=client), Ticket)
    assert read.number == ticket.number and read.sla.state.value in ("running", "none")
    listed = expect(tickets_list.sync(client=client, external_id=f"CASE-GEN-{tag}"), PaginatedTicketList)
    assert [t.id for t in listed.results] == [ticket.id]
    reply = expect(tickets_messages_create.sync(ticket.id, client=client, body=MessageCreateRequest(
        body="Please send the export log.", status=TicketStatusEnum.WAITING_CUSTOMER)), Message)
    assert reply.author.kind.value == "staff" and isinstance(reply.author.user, int)
    # The author of a message is a user ID; /members/ turns it into the staff member (membership) ID
    # that tickets' assignee takes.
    authors = expect(members_list.sync(client=client, user=reply.author.user), PaginatedMemberList)
    [author] = authors.results
    assigned = expect(tickets_partial_update.sync(ticket.id, client=client, body=PatchedTicketUpdateRequest(
        assignee=author.id)), Ticket)
    assert assigned.assignee == author.id and author.role.value in ("admin", "agent") and author.active
    messages = expect(tickets_messages_list.sync(ticket.id, client=client), PaginatedMessageList)
    assert [m.body for m in messages.results] == ["Error 17 on export", "Please send the export log."]
    changed = expect(tickets_partial_update.sync(ticket.id, client=client, body=PatchedTicketUpdateRequest(
        critical=True)), Ticket)
    assert changed.critical is True and changed.status == TicketStatusEnum.WAITING_CUSTOMER

    # in the subscription's first month and never in the future, whenever the test runs
    month_start = datetime.datetime.combine(first, datetime.time(0, 0), tzinfo=ZoneInfo("Europe/Warsaw"))
    started = max(month_start, datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
    entry = expect(time_entries_create.sync(client=client, body=TimeEntryRequest(
        ticket=ticket.id, kind=WorkKindEnum.PHONE, started_at=started, minutes=20)), TimeEntry)
    assert entry.billed_minutes >= 20 and entry.organization == organization.id
    entries = expect(time_entries_list.sync(client=client, ticket=ticket.id), PaginatedTimeEntryList)
    assert [e.id for e in entries.results] == [entry.id]

    # An hour package for a second organization, on the package plan from its first day.
    buyer = expect(organizations_create.sync(client=client, body=OrganizationRequest(
        name=f"Package Buyer {tag}", external_id=f"CRM-PKG-{tag}")), Organization)
    on_package = expect(subscriptions_create.sync(client=client, body=SubscriptionRequest(
        organization=buyer.id, plan=package_plan, accepted_on=first)), Subscription)
    package = expect(packages_create.sync(client=client, body=PackageRequest(
        organization=buyer.id, purchased_on=on_package.starts_on)), Package)
    assert package.status == PackageStatusEnum.ACTIVE and package.minutes_left == package.minutes
    assert expect(packages_retrieve.sync(package.id, client=client), Package).valid_until == package.valid_until

    # Usage and the statement of the month: one object each, the documents as text and bytes.
    month = started.strftime("%Y-%m")
    usage = expect(organizations_usage_retrieve.sync(organization.id, client=client, month=month), Usage)
    assert usage.month == datetime.date(started.year, started.month, 1) and usage.used_minutes >= 0
    assert all(isinstance(p.id, int) for p in usage.packages)
    buyer_usage = expect(organizations_usage_retrieve.sync(
        buyer.id, client=client, month=on_package.starts_on.strftime("%Y-%m")), Usage)
    assert [p.id for p in buyer_usage.packages] == [package.id]
    statement = expect(organizations_statements_retrieve.sync(organization.id, month, client=client), Statement)
    assert statement.organization == organization.id and statement.final is False and statement.currency
    csv = expect(organizations_statements_csv_retrieve.sync(organization.id, month, client=client), str)
    assert csv.splitlines()[0].startswith("Organization,Tax ID (NIP),Month")
    pdf = expect(organizations_statements_pdf_retrieve.sync(organization.id, month, client=client), File)
    assert pdf.payload.read(4) == b"%PDF"

    # Errors arrive as the generated Problem model.
    missing = expect(tickets_retrieve.sync(2**62, client=client), Problem)
    assert missing.status == 404 and missing.type_ == "urn:helpdesk:problem:not_found"
    invalid = expect(time_entries_create.sync(client=client, body=TimeEntryRequest(
        ticket=ticket.id, kind=WorkKindEnum.PHONE, started_at=started, minutes=0)), Problem)
    assert invalid.status == 400 and error_keys(invalid) == ["minutes"]

    return {"organization": organization.id, "buyer": buyer.id, "ticket": ticket.id, "package": package.id,
            "time_entry": entry.id, "contact": contact.id}
