"""The UI's forms, fuzzed: whatever a customer, an agent or a tenant admin POSTs (or puts in a
query string), the answer is a page or a form error, never a 500.

Hypothesis draws values for each form's own fields from the classes that broke pages before: far
dates and months, 25-digit and negative ids, NUL and control characters, formulas, long text.
Derandomized, so every run tries the same examples.
"""
from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets.models import Ticket
from tickets.services import ticket_create

NASTY = st.one_of(
    st.sampled_from(["", "0", "-1", "9" * 25, "1e309", "NaN", "abc", "9999-12-31", "0001-01-01", "9999-12",
                     "0001-01", "9999-12-31T23:59", "2026-02-30", "=HYPERLINK(\"http://x\")", "\x00", "a\x00b",
                     "<script>alert(1)</script>", "../../etc/passwd", "x" * 5000, "１２３", " ", "true"]),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
)

# (who, url name, args builder, fields); the fields are the form's own, so validation is reached.
FORMS = [
    ("customer", "portal:ticket_new", None, ["subject", "body", "category", "product", "critical"]),
    ("customer", "portal:ticket_detail", "ticket", ["body"]),
    ("agent", "agent:ticket_message", "ticket", ["body", "kind"]),
    ("agent", "agent:ticket_status", "ticket", ["status"]),
    ("agent", "agent:ticket_assign", "ticket", ["assignee"]),
    ("agent", "agent:ticket_accept", "ticket", ["organization", "contact"]),
    ("agent", "agent:ticket_time", "ticket", ["kind", "started_at", "minutes", "emergency", "note"]),
    ("admin", "admin:plans_subscription_add", None, ["organization", "plan", "accepted_on", "starts_on",
                                                     "overrides"]),
    ("admin", "admin:billing_package_add", None, ["organization", "purchased_on", "minutes", "price_net"]),
    ("admin", "admin:helpdesk_membership_add", None, ["email", "first_name", "last_name", "role", "phone"]),
    ("admin", "admin:helpdesk_webhookendpoint_add", None, ["url", "description", "events", "active"]),
    ("admin", "admin:tickets_mailbox_add", None, ["name", "host", "port", "security", "username", "new_password",
                                                  "folder"]),
    ("admin", "admin:billing_statement_generate", None, ["organization", "month"]),
    ("admin", "console:plan_terms_edit", "plan", ["effective_from", "reaction_minutes", "price_net", "channels",
                                                  "service_calendar", "rounding_unit__phone", "action", "previewed"]),
    ("admin", "console:calendar_edit", "calendar", ["name", "timezone", "holidays_country", "windows-TOTAL_FORMS",
                                                    "windows-0-weekday", "windows-0-start", "windows-0-end",
                                                    "dates-TOTAL_FORMS", "dates-0-date", "preview-received",
                                                    "preview-hours", "month", "action"]),
]
# Pages that take their input from the query string.
QUERY_PAGES = [
    ("agent", "agent:queue", None, ["organization", "plan", "status", "q", "page"]),
    ("admin", "admin:billing_accounting_export", None, ["month", "tenant"]),
    ("admin", "admin:plans_calendar_preview", "calendar", ["received", "hours"]),
    ("admin", "admin:plans_planterms_add", None, ["plan", "effective_from"]),
    ("admin", "admin:plans_subscription_add", None, ["organization", "plan", "starts_on"]),
    ("admin", "sla:report", None, ["start", "end", "format", "plan", "organization", "agent"]),
    ("admin", "console:calendar_edit", "calendar", ["month", "preview-received", "preview-hours"]),
    ("admin", "console:audit_log", None, ["action", "page"]),
]


@pytest.fixture
def actors(two_tenants, client):
    world = two_tenants[0]
    ticket = ticket_create(tenant=world.tenant, channel=Ticket.Channel.PORTAL, subject="Fuzz", body="Fuzz",
                           contact=world.contact)
    users = {"customer": world.customer, "agent": world.agent.user, "admin": world.admin.user}
    objects = {"ticket": ticket.pk, "calendar": world.calendar.pk, "plan": world.plan.pk}

    def call(who, name, arg, data, method):
        client.force_login(users[who])
        url = reverse(name, args=[objects[arg]] if arg else [])
        response = client.post(url, data) if method == "post" else client.get(url, data)
        return response

    return call


def _fuzz(actors, table, method):
    @settings(max_examples=100, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.data())
    def run(data):
        who, name, arg, fields = data.draw(st.sampled_from(table))
        values = {field: data.draw(NASTY, label=field) for field in fields}
        response = actors(who, name, arg, values, method)
        assert response.status_code < 500, (who, name, values, response.status_code)

    run()


def test_ui_forms_never_answer_500(actors):
    _fuzz(actors, FORMS, "post")


def test_ui_query_strings_never_answer_500(actors):
    _fuzz(actors, QUERY_PAGES, "get")
