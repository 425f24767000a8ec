"""The tenant-isolation matrix: every URL pattern and every API operation, every role, every object.

Routes come from the URL resolver (the admin's and the API's included) and operations from the
OpenAPI schema, so a route added later is checked without touching this file, and a route nobody
described makes ``test_every_route_is_in_the_table`` fail.

The actors are wysylki's: an anonymous visitor, the customer contact of organization A (portal
login), an agent, the tenant admin, and API tokens of both roles. The objects are organization A's
("own"), organization B's of the same tenant ("neighbour") and KJM's ("foreign"); tenant-level
objects (plans, calendars, webhooks, admin rows) have only "own" and "foreign". Rules checked:

- the status is the one in the table: allowed where due, a 404 (never a 403) for another
  tenant's object and, for customers, for another organization's object;
- a foreign object answers exactly like an id that does not exist (no oracle);
- no response body contains a marker of an object the actor may not see: KJM's objects for
  wysylki's staff, organization B's and every internal note or time entry for the customer;
- writes through the API on KJM's ids answer 404 (or the same 403 as a missing id) and change
  nothing; mails and webhook payloads never carry an internal note or another tenant's data.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.core import mail
from django.forms.models import model_to_dict
from django.test import TestCase
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.html import escape
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.models import Organization, Tenant, User

# --- routes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the route's name ("portal:ticket_detail"), or its pattern when it has none
    pattern: str  # the full pattern text, route syntax and regex pieces as written
    params: tuple[str, ...]
    regex: bool


def _walk(patterns, prefix="", namespace=None, regex=False):
    for entry in patterns:
        text = str(entry.pattern)
        is_regex = regex or entry.pattern.__class__.__name__ == "RegexPattern"
        if isinstance(entry, URLResolver):
            ns = ":".join(x for x in (namespace, entry.namespace) if x) or None
            yield from _walk(entry.url_patterns, prefix + text, ns, is_regex)
        elif isinstance(entry, URLPattern):
            full = prefix + text
            name = ":".join(x for x in (namespace, entry.name) if x) if entry.name else None
            params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", full.replace("(?P<", "(?P«")))
            params += tuple(re.findall(r"\(\?P«?<(\w+)>", full))
            yield Route(key=name or full, pattern=full, params=params, regex=is_regex)


ROUTES = list(_walk(get_resolver().url_patterns))

# --- objects and the parameters that name them ------------------------------------------------

# Kinds of object; "org" kinds have three scopes (own, neighbour, foreign), "tenant" kinds two.
ORG_KINDS = {"ticket", "attachment", "organization", "contact", "time_entry", "statement_pk", "subscription",
             "package", "statement_month", "statement_year", "quote", "appointment", "callback"}
TENANT_KINDS = {"content_type", "plan", "plan_pk", "api_token", "category", "product", "calendar", "webhook",
                "delivery", "inbound_email", "admin_row", "mailbox", "canned_reply", "saved_view",
                "notification"}
# The help center's objects (tests/security/conftest.py, ``_help_rows``): kind -> key of ``world.help``.
HELP_KINDS = {"help_product": "product", "help_section": "section", "help_article_pk": "article_pk",
              "help_article_slug": "article_slug", "help_category": "category",
              "help_forum_category": "forum_category", "help_topic": "topic", "help_post": "post",
              "help_suggestion": "suggestion", "help_token": "token"}
TENANT_KINDS |= set(HELP_KINDS)

# Non-admin UI routes: (route key, parameter) -> kind of object.
UI_PARAMS = {
    ("portal:ticket_detail", "pk"): "ticket",
    ("portal:attachment", "pk"): "attachment",
    ("agent:attachment", "pk"): "attachment",
    ("portal:attachment_thumbnail", "pk"): "attachment",
    ("agent:attachment_thumbnail", "pk"): "attachment",
    **{(f"agent:{name}", "pk"): "ticket" for name in (
        "ticket_detail", "ticket_message", "ticket_status", "ticket_assign", "ticket_take", "ticket_accept",
        "ticket_reject", "ticket_time", "ticket_presence", "ticket_merge", "ticket_split",
        "ticket_unread")},
    ("agent:view_edit", "pk"): "saved_view", ("agent:notification_read", "pk"): "notification",
    **{(f"portal:{name}", "pk"): "ticket" for name in ("appointment_book", "callback_request")},
    **{(f"portal:{name}", "pk"): "appointment" for name in (
        "appointment_detail", "appointment_reschedule", "appointment_ics")},
    **{(f"agent:{name}", "pk"): "ticket" for name in ("appointment_propose", "callback_new")},
    **{(f"agent:{name}", "pk"): "appointment" for name in ("appointment_log", "appointment_status")},
    ("agent:callback_done", "pk"): "callback",
    ("agent:ticket_quote", "pk"): "ticket", ("agent:ticket_quote_send", "pk"): "ticket",
    ("agent:ticket_quote_send", "quote_id"): "quote",
    ("portal:quote_decide", "pk"): "ticket", ("portal:quote_decide", "quote_id"): "quote",
    ("agent:ticket_quote_pdf", "pk"): "ticket", ("agent:ticket_quote_pdf", "quote_id"): "quote",
    ("portal:quote_pdf", "pk"): "ticket", ("portal:quote_pdf", "quote_id"): "quote",
    ("admin:plans_calendar_export", "pk"): "calendar",
    ("admin:plans_calendar_preview", "pk"): "calendar",
    ("admin:tickets_inboundemail_raw", "object_id"): "inbound_email",
    ("admin:billing_statement_pdf", "pk"): "statement_pk",
    ("admin:billing_statement_csv", "pk"): "statement_pk",
    ("admin:auth_user_password_change", "id"): ("admin_row", User),
    ("admin:view_on_site", "content_type_id"): "content_type",
    ("admin:view_on_site", "object_id"): ("admin_row", Organization),
    ("help:manual", "product"): "help_product",
    ("help:manual_section", "product"): "help_product", ("help:manual_section", "slug"): "help_section",
    ("help:category", "slug"): "help_category", ("help:article", "slug"): "help_article_slug",
    ("help:feedback", "pk"): "help_article_pk", ("help:revisions", "pk"): "help_article_pk",
    ("help:article_edit", "pk"): "help_article_pk",
    ("help:forum_category", "slug"): "help_forum_category",
    **{(f"help:{name}", "pk"): "help_topic" for name in ("topic", "reply", "subscribe", "topic_moderate",
                                                          "escalate")},
    **{(f"help:{name}", "pk"): "help_post" for name in ("post_edit", "post_history", "accept", "report",
                                                         "post_moderate")},
    **{(f"help:{name}", "pk"): "help_suggestion" for name in ("suggestion", "vote", "suggestion_answer",
                                                               "suggestion_merge")},
    ("help:unsubscribe", "token"): "help_token",
    ("console:plan_terms_edit", "pk"): "plan_pk", ("console:plan_history", "pk"): "plan_pk",
    ("console:calendar_edit", "pk"): "calendar",
    ("console:member_role", "pk"): "member", ("console:member_deactivate", "pk"): "member",
    ("console:api_token_revoke", "pk"): "api_token", ("console:webhook_detail", "pk"): "webhook",
    ("console:category_edit", "pk"): "category", ("console:product_edit", "pk"): "product",
    **{(f"console:{name}", "pk"): "mailbox" for name in ("mailbox_edit", "mailbox_test", "mailbox_active")},
    **{(f"console:{name}", "pk"): "canned_reply" for name in ("canned_edit", "canned_delete")},
    ("console:subscription_edit", "pk"): "subscription",
}
# API resources: (first path segment under /api/v1/, parameter) -> kind of object.
API_PARAMS = {
    ("tickets", "pk"): "ticket", ("tickets", "id"): "ticket",
    ("organizations", "pk"): "organization", ("organizations", "id"): "organization",
    ("organizations", "organization_id"): "organization", ("organizations", "month"): "statement_month",
    ("organizations", "year"): "statement_year",
    ("contacts", "pk"): "contact", ("contacts", "id"): "contact",
    ("plans", "code"): "plan",
    ("subscriptions", "pk"): "subscription", ("subscriptions", "id"): "subscription",
    ("webhooks", "pk"): "webhook", ("webhooks", "id"): "webhook", ("webhooks", "delivery_id"): "delivery",
    ("time-entries", "pk"): "time_entry", ("time-entries", "id"): "time_entry",
    ("packages", "pk"): "package", ("packages", "id"): "package",
    ("quotes", "pk"): "quote", ("quotes", "id"): "quote",
    ("appointments", "pk"): "appointment", ("appointments", "id"): "appointment",
    ("members", "pk"): "member", ("members", "id"): "member",
    ("help/articles", "pk"): "help_article_pk", ("help/articles", "id"): "help_article_pk",
    ("help/topics", "pk"): "help_topic", ("help/topics", "id"): "help_topic",
    ("help/suggestions", "pk"): "help_suggestion", ("help/suggestions", "id"): "help_suggestion",
}


def api_segment(path: str) -> str:
    """The resource of an API path: its first segment, or two for the help center's ("help/topics")."""
    parts = path.lstrip("^").split("/")
    return "/".join(parts[:2]) if parts[0] == "help" else parts[0]
MISSING_ID = "987654321"


def admin_model_routes():
    """Route names of the admin's standard pages, by model: {name: (model, view)}."""
    found = {}
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        for view in ("changelist", "add", "change", "delete", "history"):
            found[prefix + view] = (model, view)
    return found


ADMIN_MODEL_ROUTES = admin_model_routes()
ADMIN_REDIRECT = re.compile(r"^admin/(\w+)/(\w+)/<path:object_id>/$")


def is_tenant_owned(model) -> bool:
    return any(f.name == "tenant" for f in model._meta.concrete_fields)


def ui_kind(route: Route, param: str):
    """The kind of object a UI route's parameter names, or None when no rule knows it."""
    if (route.key, param) in UI_PARAMS:
        return UI_PARAMS[(route.key, param)]
    if route.key in ADMIN_MODEL_ROUTES and param == "object_id":
        return ("admin_row", ADMIN_MODEL_ROUTES[route.key][0])
    match = ADMIN_REDIRECT.match(route.pattern)
    if match and param == "object_id":
        return ("admin_row", _admin_model(match.group(1), match.group(2)))
    if route.pattern.startswith("api/v1/"):
        return API_PARAMS.get((api_segment(route.pattern.removeprefix("api/v1/")), param))
    return None


def _admin_model(app_label, model_name):
    return next(m for m in admin.site._registry if (m._meta.app_label, m._meta.model_name) == (app_label, model_name))


# Fixed values for parameters that name no object of a tenant, and URLs of unnamed catch-alls.
FIXED_PARAMS = {
    ("admin:app_list", "app_label"): "helpdesk",
    ("admin/(?P<url>.*)$", "url"): "no-such-page/",
    ("appointment_feed", "token"): "no-such-token",
    ("invitation_accept", "uidb64"): "MQ",
    ("invitation_accept", "token"): "bad-token",
    ("password_reset_confirm", "uidb64"): "MQ",
    ("password_reset_confirm", "token"): "bad-token",
}
LITERAL_URLS = {"api/v1/^.*$": "/api/v1/no-such-resource/"}


# --- the table of expectations ----------------------------------------------------------------

ROLES = ("anonymous", "customer", "agent", "admin")
API_ROLES = ROLES + ("token_admin", "token_agent")

OK, FOUND, NOT_FOUND, NOT_ALLOWED, UNAUTHORIZED, FORBIDDEN = 200, 302, 404, 405, 401, 403


def per_scope(own, neighbour=None, foreign=NOT_FOUND):
    return {"own": own, "neighbour": own if neighbour is None else neighbour, "foreign": foreign, "none": own}


def everyone(code):
    return {role: code for role in API_ROLES}


# Plain pages and object pages of each area (GET).
PORTAL_PAGE = {"anonymous": FOUND, "customer": OK, "agent": NOT_FOUND, "admin": NOT_FOUND}
PORTAL_OBJECT = {"anonymous": FOUND, "customer": per_scope(OK, NOT_FOUND), "agent": NOT_FOUND, "admin": NOT_FOUND}
AGENT_PAGE = {"anonymous": FOUND, "customer": NOT_FOUND, "agent": OK, "admin": OK}
AGENT_OBJECT = {"anonymous": FOUND, "customer": NOT_FOUND, "agent": per_scope(OK), "admin": per_scope(OK)}
POST_ONLY = everyone(NOT_ALLOWED)
# The admin: its login page for everyone but tenant admins; theirs: own rows, 404 for KJM's.
ADMIN_PAGE = {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": OK}
ADMIN_OBJECT = {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": per_scope(OK)}
ADMIN_DENIED = {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": FORBIDDEN}
ADMIN_DENIED_OBJECT = {"anonymous": FOUND, "customer": FOUND, "agent": FOUND,
                       "admin": per_scope(FORBIDDEN, foreign=FORBIDDEN)}
ADMIN_REDIRECTS = everyone(FOUND)
# The settings pages: tenant admins only, KJM's plans and calendars a 404 like missing ones.
SETTINGS_PAGE = {"anonymous": FOUND, "customer": NOT_FOUND, "agent": NOT_FOUND, "admin": OK}
SETTINGS_OBJECT = {"anonymous": FOUND, "customer": NOT_FOUND, "agent": NOT_FOUND, "admin": per_scope(OK)}
# Logins and tenants are the superuser's: every id a 404 for a tenant admin.
ADMIN_SUPERUSER_OBJECT = {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": per_scope(NOT_FOUND)}
# Global rows of other apps (task schedules, login attempts, groups): Django's history page tells an
# existing id (403) from a missing one (302); these rows belong to no tenant, so that is no leak.
GLOBAL_HISTORY_ORACLE = {"history"}
# The API: 401 without credentials, 403 for customers, staff see their tenant only.
API_LIST = {"anonymous": UNAUTHORIZED, "customer": FORBIDDEN, "agent": OK, "admin": OK,
            "token_admin": OK, "token_agent": OK}
API_OBJECT = {"anonymous": UNAUTHORIZED, "customer": FORBIDDEN, "agent": per_scope(OK), "admin": per_scope(OK),
              "token_admin": per_scope(OK), "token_agent": per_scope(OK)}
API_POST_ONLY = {"anonymous": UNAUTHORIZED, "customer": FORBIDDEN, "agent": NOT_ALLOWED, "admin": NOT_ALLOWED,
                 "token_admin": NOT_ALLOWED, "token_agent": NOT_ALLOWED}
API_POST_ONLY_OBJECT = {"anonymous": UNAUTHORIZED, "customer": FORBIDDEN}
API_POST_ONLY_OBJECT.update({role: per_scope(NOT_ALLOWED, foreign=NOT_ALLOWED)
                             for role in ("agent", "admin", "token_admin", "token_agent")})
API_PUBLIC = everyone(OK)
# The help center: pages of the request's tenant (none without a host or a login here: 404), its API
# also for customers, who see what the pages show them.
HELP_PAGE = {"anonymous": NOT_FOUND, "customer": OK, "agent": OK, "admin": OK}
HELP_OBJECT = {"anonymous": NOT_FOUND, "customer": per_scope(OK), "agent": per_scope(OK), "admin": per_scope(OK)}
HELP_STAFF_PAGE = {"anonymous": NOT_FOUND, "customer": NOT_FOUND, "agent": OK, "admin": OK}
HELP_STAFF_OBJECT = {"anonymous": NOT_FOUND, "customer": per_scope(NOT_FOUND), "agent": per_scope(OK),
                     "admin": per_scope(OK)}
HELP_API_LIST = {**API_LIST, "customer": OK}
HELP_API_OBJECT = {**API_OBJECT, "customer": per_scope(OK)}
HELP_API_POST_ONLY_OBJECT = {"anonymous": UNAUTHORIZED}
HELP_API_POST_ONLY_OBJECT.update({role: per_scope(NOT_ALLOWED, foreign=NOT_ALLOWED)
                                  for role in ("customer", "agent", "admin", "token_admin", "token_agent")})

TABLE = {
    # public and account pages
    "home": {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": FOUND},
    "login": {"anonymous": OK, "customer": FOUND, "agent": FOUND, "admin": FOUND},
    "logout": POST_ONLY,
    "language_set": POST_ONLY,
    "healthz": {"anonymous": OK, "customer": OK, "agent": OK, "admin": OK},
    "healthz-live": {"anonymous": OK, "customer": OK, "agent": OK, "admin": OK},
    # Without METRICS_TOKEN or METRICS_ALLOWED_IPS the endpoint does not exist for anyone.
    "metrics": {"anonymous": NOT_FOUND, "customer": NOT_FOUND, "agent": NOT_FOUND, "admin": NOT_FOUND},
    # a staff invitation's link: without a valid token, the same "not valid" page for everyone
    "invitation_accept": everyone(OK),
    # customer portal
    "portal:ticket_list": PORTAL_PAGE, "portal:ticket_new": PORTAL_PAGE, "portal:plan": PORTAL_PAGE,
    "portal:ticket_detail": PORTAL_OBJECT, "portal:attachment": PORTAL_OBJECT,
    "portal:attachment_thumbnail": PORTAL_OBJECT, "agent:attachment_thumbnail": AGENT_OBJECT,
    # agent workspace
    "agent:queue": AGENT_PAGE, "agent:ticket_detail": AGENT_OBJECT, "agent:attachment": AGENT_OBJECT,
    # merge and split: a picker or form page (GET) that posts back to itself
    "agent:ticket_merge": AGENT_OBJECT, "agent:ticket_split": AGENT_OBJECT,
    # appointments: the customer's booking pages, the agent's agenda and call lists, the calendar feed
    **{f"portal:{n}": PORTAL_OBJECT for n in ("appointment_book", "appointment_detail", "appointment_reschedule",
                                              "appointment_ics")},
    "portal:callback_request": POST_ONLY, "portal:quote_decide": POST_ONLY,
    "agent:ticket_quote": POST_ONLY, "agent:ticket_quote_send": POST_ONLY,
    "agent:ticket_quote_pdf": AGENT_OBJECT, "portal:quote_pdf": PORTAL_OBJECT,
    "agent:agenda": AGENT_PAGE, "agent:callbacks": AGENT_PAGE, "agent:phone_call": AGENT_PAGE,
    "agent:appointment_propose": AGENT_OBJECT,
    # absences name no ticket (their owner is a POST field, checked in tests/appointments/test_availability.py):
    # an equal table, not POST_ONLY itself, keeps them out of the foreign-ticket POST test
    "agent:availability": AGENT_PAGE, "agent:absences": everyone(NOT_ALLOWED),
    "agent:booking_rules": {"anonymous": FOUND, "customer": NOT_FOUND, "agent": NOT_FOUND, "admin": OK},
    **{f"agent:{n}": POST_ONLY for n in ("callback_new", "appointment_log", "appointment_status", "callback_done")},
    "appointment_feed": everyone(NOT_FOUND),
    "agent:queue_bulk": POST_ONLY,
    **{f"agent:{n}": POST_ONLY for n in ("ticket_message", "ticket_status", "ticket_assign", "ticket_take",
                                         "ticket_presence",
                                         "ticket_accept", "ticket_reject", "ticket_time", "ticket_unread",
                                         "view_edit", "notification_read")},
    # saved views (GET: manage them, POST: save the queue's filters) and the notifications
    "agent:views": AGENT_PAGE, "agent:notifications": AGENT_PAGE, "agent:notifications_count": AGENT_PAGE,
    # names no object: an equal table, not POST_ONLY itself, keeps it out of the foreign-ticket POST test
    "agent:notifications_read_all": everyone(NOT_ALLOWED),
    # tenant admin's pages outside the model admins
    "sla:report": ADMIN_PAGE,
    "admin:index": ADMIN_PAGE,
    "admin:login": {"anonymous": OK, "customer": OK, "agent": OK, "admin": FOUND},
    "admin:logout": {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": NOT_ALLOWED},
    "admin:password_change": ADMIN_PAGE,
    "admin:password_change_done": ADMIN_PAGE,
    "admin:auth_user_password_change": ADMIN_SUPERUSER_OBJECT,
    # the SLA report's changelist sends the tenant admin to the report page
    "admin:sla_slareport_changelist": {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": FOUND},
    "admin:autocomplete": {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": FORBIDDEN},
    "admin:jsi18n": {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": OK},
    "admin:view_on_site": {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": NOT_FOUND},
    "admin:app_list": ADMIN_PAGE,
    "admin:plans_calendar_export": ADMIN_OBJECT, "admin:plans_calendar_preview": ADMIN_OBJECT,
    "admin:plans_calendar_import": ADMIN_PAGE,
    "admin:tickets_inboundemail_raw": ADMIN_OBJECT,
    "admin:billing_statement_pdf": ADMIN_OBJECT, "admin:billing_statement_csv": ADMIN_OBJECT,
    "admin:billing_statement_generate": ADMIN_PAGE, "admin:billing_accounting_export": ADMIN_PAGE,
    "admin/(?P<url>.*)$": {"anonymous": FOUND, "customer": FOUND, "agent": FOUND, "admin": NOT_FOUND},
    # the settings of tenant admins
    **{f"console:{n}": SETTINGS_PAGE for n in ("index", "plan_list", "calendar_list", "audit_log", "team",
                                               "security", "api_tokens", "webhook_list", "subscription_list",
                                               "package_list")},
    "console:subscription_edit": SETTINGS_OBJECT,
    "console:webhook_detail": SETTINGS_OBJECT, "console:catalogue": SETTINGS_PAGE,
    # a row's form posts here; a GET goes back to the page
    **{f"console:{n}": {**SETTINGS_OBJECT, "admin": per_scope(FOUND)} for n in ("category_edit", "product_edit")},
    **{f"console:{n}": {"anonymous": FOUND, "customer": NOT_FOUND, "agent": NOT_FOUND,
                        "admin": per_scope(NOT_ALLOWED, foreign=NOT_ALLOWED)}
       for n in ("member_role", "member_deactivate", "api_token_revoke")},
    # one's own second factor: staff set it up; confirming a login is asked of whoever is logged in
    "account:second_factor": {"anonymous": FOUND, "customer": NOT_FOUND, "agent": OK, "admin": OK},
    "account:second_factor_verify": {"anonymous": FOUND, "customer": OK, "agent": OK, "admin": OK},
    # Django's password reset: the same pages for everyone, an unknown link is "not valid"
    **{n: everyone(OK) for n in ("password_reset", "password_reset_done", "password_reset_confirm",
                                 "password_reset_complete")},
    **{f"console:{n}": SETTINGS_OBJECT for n in ("plan_terms_edit", "plan_history", "calendar_edit")},
    **{f"console:{n}": SETTINGS_PAGE for n in ("mailbox_list", "mailbox_new", "canned_list", "canned_new",
                                               "email_template_list", "email_template_edit", "help_center")},
    **{f"console:{n}": SETTINGS_OBJECT for n in ("mailbox_edit", "canned_edit")},
    **{f"console:{n}": {"anonymous": FOUND, "customer": NOT_FOUND, "agent": NOT_FOUND,
                        "admin": per_scope(NOT_ALLOWED, foreign=NOT_ALLOWED)}
       for n in ("mailbox_test", "mailbox_active", "canned_delete")},
    # the API's own pages
    "api-schema": API_PUBLIC, "api-docs": API_PUBLIC, "api-redoc": API_PUBLIC,
    "api/v1/^.*$": everyone(NOT_FOUND),
    "api-organization-list": API_LIST, "api-organization-detail": API_OBJECT,
    "api-contact-list": API_LIST, "api-contact-detail": API_OBJECT,
    "api-plan-list": API_LIST, "api-plan-detail": API_OBJECT,
    "api-subscription-list": API_LIST, "api-subscription-detail": API_OBJECT,
    "api-ticket-list": API_LIST, "api-ticket-detail": API_OBJECT, "api-ticket-messages": API_OBJECT,
    "api-ticket-merge": API_POST_ONLY_OBJECT, "api-ticket-split": API_POST_ONLY_OBJECT,
    "api-sla-preview-list": API_POST_ONLY,
    "api-webhook-list": API_LIST, "api-webhook-detail": API_OBJECT, "api-webhook-deliveries": API_OBJECT,
    "api-webhook-redeliver": API_POST_ONLY_OBJECT,
    "api-time-entry-list": API_LIST, "api-time-entry-detail": API_OBJECT,
    "api-package-list": API_LIST, "api-package-detail": API_OBJECT,
    "api-quote-list": API_LIST, "api-quote-detail": API_OBJECT, "api-quote-send": API_POST_ONLY_OBJECT,
    "api-quote-decide": API_POST_ONLY_OBJECT,
    "api-appointment-list": API_LIST, "api-appointment-detail": API_OBJECT,
    # the slot search needs its query (ticket, kind, minutes): without it, staff get a 400
    "api-appointment-slot-list": {**API_LIST, **{r: 400 for r in ("agent", "admin", "token_admin", "token_agent")}},
    "api-usage-list": API_OBJECT, "api-statement-detail": API_OBJECT,
    "api-statement-csv": API_OBJECT, "api-statement-pdf": API_OBJECT, "api-update-fee-detail": API_OBJECT,
    "api-member-list": API_LIST, "api-member-detail": API_OBJECT,
    # the help center
    **{f"help:{n}": HELP_PAGE for n in ("home", "search", "forum", "topic_new", "suggestions", "suggestion_new",
                                        "deflect")},
    **{f"help:{n}": HELP_OBJECT for n in ("manual", "manual_section", "category", "article", "forum_category",
                                          "topic", "escalate", "post_edit", "post_history", "suggestion",
                                          "unsubscribe")},
    **{f"help:{n}": POST_ONLY for n in ("feedback", "reply", "subscribe", "topic_moderate", "accept", "report",
                                        "post_moderate", "vote", "suggestion_answer", "suggestion_merge",
                                        "deflect_solved")},
    "help:moderation": HELP_STAFF_PAGE, "help:reports": HELP_STAFF_PAGE, "help:revisions": HELP_STAFF_OBJECT,
    "help:articles": HELP_STAFF_PAGE, "help:article_new": HELP_STAFF_PAGE, "help:article_edit": HELP_STAFF_OBJECT,
    "help:article_preview": everyone(NOT_ALLOWED),
    "api-help-article-list": HELP_API_LIST, "api-help-article-detail": HELP_API_OBJECT,
    "api-help-topic-list": HELP_API_LIST, "api-help-topic-detail": HELP_API_OBJECT,
    "api-help-topic-posts": HELP_API_OBJECT,
    "api-help-suggestion-list": HELP_API_LIST, "api-help-suggestion-detail": HELP_API_OBJECT,
    "api-help-suggestion-vote": HELP_API_POST_ONLY_OBJECT,
}


def admin_model_expectation(model, view, request=None):
    """The standard pages of a model admin: scoped models per object (a page the tenant admin may not
    use is a 403 for their rows and still a 404 for KJM's), global models closed to tenant admins."""
    if model in (User, Tenant):
        return ADMIN_SUPERUSER_OBJECT if view in ("change", "delete", "history") else ADMIN_DENIED
    if not is_tenant_owned(model):
        return ADMIN_DENIED_OBJECT if view in ("change", "delete", "history") else ADMIN_DENIED
    model_admin = admin.site._registry[model]
    allowed = {"add": lambda: model_admin.has_add_permission(request),
               "delete": lambda: model_admin.has_delete_permission(request)}.get(view, lambda: True)
    code = OK if request is None or allowed() else FORBIDDEN
    if view in ("change", "delete", "history"):
        return {**ADMIN_OBJECT, "admin": per_scope(code)}
    return {**ADMIN_PAGE, "admin": code}


def expectation(route: Route, request=None):
    if route.key in TABLE:
        return TABLE[route.key]
    if route.key in ADMIN_MODEL_ROUTES:
        return admin_model_expectation(*ADMIN_MODEL_ROUTES[route.key], request)
    if ADMIN_REDIRECT.match(route.pattern):
        return ADMIN_REDIRECTS
    return None


def admin_request(user):
    """A request as the admin site sees it, for the model admins' permission methods."""
    from django.test import RequestFactory

    from core.middleware import resolve

    request = RequestFactory().get("/admin/")
    request.user, request.session = user, {}
    request.tenant, request.membership, request.contact = resolve(request)
    return request


# --- actors -----------------------------------------------------------------------------------

OWN, NEIGHBOUR, FOREIGN = "MRKWYSA", "MRKWYSB", "MRKKJMA"


def client_for(world, role):
    wysylki = world.tenants["wysylki"]
    if role.startswith("token_"):
        client = APIClient()
        token = wysylki.admin_token if role == "token_admin" else wysylki.agent_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client
    client = APIClient()
    user = {"anonymous": None, "customer": world.side(OWN).contact.user, "agent": wysylki.agent.user,
            "admin": wysylki.admin.user}[role]
    if user is not None:
        client.force_login(user)
    return client


def forbidden_markers(world, role) -> set[str]:
    """Texts no response to ``role`` may contain."""
    from core.models import Organization

    kjm_org_names = set(Organization.objects.filter(tenant__slug="kjm").values_list("name", flat=True))
    if role == "anonymous":
        return {m for side in world.sides for m in side.markers(internal=True)} | kjm_org_names
    if role == "customer":
        found = set(kjm_org_names) | {world.side(NEIGHBOUR).organization.name}
        for side in world.sides:
            found |= side.markers(internal=True) - (side.markers(internal=False) if side.key == OWN else set())
        return found
    return {m for side in world.sides if side.slug == "kjm" for m in side.markers(internal=True)} | kjm_org_names


def leaked(body: str, markers: set[str]) -> list[str]:
    forms = lambda m: {m, escape(m), json.dumps(m)[1:-1]}  # noqa: E731
    return sorted(m for m in markers if any(f in body for f in forms(m)))


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


# --- concrete values --------------------------------------------------------------------------


def object_value(world, kind, scope):
    """The URL value naming an object of ``kind`` in ``scope`` (own, neighbour, foreign, missing)."""
    if scope == "missing":
        if kind == "statement_year":
            return "2099"
        return "2099-01" if kind == "statement_month" else ("no-such-code" if kind == "plan" else MISSING_ID)
    if kind == "content_type":
        from django.contrib.contenttypes.models import ContentType

        return str(ContentType.objects.get_for_model(Organization).pk)
    if isinstance(kind, tuple):  # a model admin's row
        model = kind[1]
        if not is_tenant_owned(model):
            return str(_global_row(world, model, scope).pk)
        slug = "kjm" if scope == "foreign" else "wysylki"
        return str(world.any_rows[(model._meta.concrete_model._meta.label, slug)].pk)
    if kind in ORG_KINDS:
        side = world.side({"own": OWN, "neighbour": NEIGHBOUR, "foreign": FOREIGN}[scope])
        return str({
            "ticket": lambda: side.ticket.pk, "attachment": lambda: side.attachment.pk,
            "organization": lambda: side.organization.pk, "contact": lambda: side.contact.pk,
            "time_entry": lambda: side.time_entry.pk, "statement_pk": lambda: side.statement.pk,
            "statement_month": lambda: f"{side.statement.month:%Y-%m}",
            "statement_year": lambda: f"{side.statement.month:%Y}",
            "subscription": lambda: _subscription(side).pk,
            "package": lambda: _package(world, side).pk,
            "quote": lambda: _quote(side).pk,
            "appointment": lambda: _appointment(world, side).pk,
            "callback": lambda: _callback(side).pk,
        }[kind]())
    if kind in HELP_KINDS:
        return str(world.help["kjm" if scope == "foreign" else "wysylki"][HELP_KINDS[kind]])
    tenant = world.tenants["kjm" if scope == "foreign" else "wysylki"]
    return str({
        "plan": lambda: tenant.plan_code, "plan_pk": lambda: _plan_pk(tenant),
        "api_token": lambda: _api_token_pk(tenant), "category": lambda: _first_pk("tickets.Category", tenant),
        "product": lambda: _first_pk("plans.Product", tenant),
        "calendar": lambda: tenant.calendar.pk, "member": lambda: tenant.admin.pk,
        "webhook": lambda: tenant.webhook.pk, "delivery": lambda: tenant.delivery.pk,
        "inbound_email": lambda: world.any_rows[("tickets.InboundEmail", tenant.slug)].pk,
        "mailbox": lambda: world.any_rows[("tickets.Mailbox", tenant.slug)].pk,
        "canned_reply": lambda: _team_canned_reply_pk(tenant),
        "saved_view": lambda: _saved_view(tenant).pk, "notification": lambda: _notification(tenant).pk,
    }[kind]())


def _team_canned_reply_pk(tenant) -> int:
    from tickets.models import CannedReply

    return CannedReply.objects.for_tenant(tenant.tenant).filter(visibility="team").order_by("pk").first().pk


def _saved_view(tenant):
    """A team view of the tenant (every agent of it sees it)."""
    from tickets.models import SavedView

    found = SavedView.objects.for_tenant(tenant.tenant).filter(owner__isnull=True).first()
    return found or SavedView.objects.create(tenant=tenant.tenant, name="Krytyczne", query="critical=1")


def _notification(tenant):
    """A notification of the tenant's agent."""
    from tickets.models import Notification, Ticket

    found = Notification.objects.for_tenant(tenant.tenant).filter(recipient=tenant.agent).first()
    return found or Notification.objects.create(
        tenant=tenant.tenant, recipient=tenant.agent, kind=Notification.Kind.ASSIGNED,
        ticket=Ticket.objects.for_tenant(tenant.tenant).order_by("pk").first())


def _first_pk(label: str, tenant) -> int:
    from django.apps import apps

    return apps.get_model(label).objects.filter(tenant=tenant.tenant).order_by("pk").first().pk


def _api_token_pk(tenant) -> int:
    from core.models import ApiToken

    return ApiToken.objects.for_tenant(tenant.tenant).order_by("pk").first().pk


def _plan_pk(tenant) -> int:
    from plans.models import Plan

    return Plan.objects.for_tenant(tenant.tenant).get(code=tenant.plan_code).pk


def _subscription(side):
    from plans.models import Subscription

    return Subscription.objects.for_tenant(side.tenant).filter(organization=side.organization).order_by("id").first()


def _appointment(world, side):
    from datetime import timedelta

    from django.utils import timezone

    from appointments.models import Appointment

    found = Appointment.objects.for_tenant(side.tenant).filter(ticket=side.ticket).first()
    if found is None:
        agent = world.tenants[side.slug].agent
        # Both organizations of a tenant share its agent, whose sessions may not overlap.
        taken = Appointment.objects.filter(agent=agent).count()
        start = timezone.now().replace(microsecond=0) + timedelta(days=3, hours=2 * taken)
        found = Appointment.objects.create(tenant=side.tenant, ticket=side.ticket, organization=side.organization,
                                           contact=side.contact, agent=agent, kind="remote",
                                           starts_at=start, ends_at=start + timedelta(minutes=60))
    return found


def _callback(side):
    from django.utils import timezone

    from appointments.models import Callback

    found = Callback.objects.for_tenant(side.tenant).filter(ticket=side.ticket).first()
    return found or Callback.objects.create(tenant=side.tenant, ticket=side.ticket, organization=side.organization,
                                            phone="+48555000111", requested_at=timezone.now())


def _quote(side):
    from decimal import Decimal

    from billing.models import Quote

    found = Quote.objects.for_tenant(side.tenant).filter(ticket=side.ticket).first()
    return found or Quote.objects.create(tenant=side.tenant, ticket=side.ticket, organization=side.organization,
                                         description=f"Quote {side.key}", fixed_price_net=Decimal("100.00"),
                                         status=Quote.Status.SENT)


def _package(world, side):
    if side.package is not None:
        return side.package
    return world.any_rows[("billing.Package", side.slug)]


def _global_row(world, model, scope):
    """A row of a model outside tenancy: wysylki's side of it, or KJM's (their admin, their tenant)."""
    from core.models import Tenant, User

    slug = "kjm" if scope == "foreign" else "wysylki"
    if model is User:
        return world.tenants[slug].admin.user
    if model is Tenant:
        return world.tenants[slug].tenant
    row = model._base_manager.order_by("pk").first()
    if row is None:
        from tests import factories

        row = factories.build_any_row(model, world.tenants[slug].tenant)
    return row


def scopes_of(kinds) -> list[str]:
    if not kinds:
        return ["none"]
    if any(k in ORG_KINDS for k in kinds if not isinstance(k, tuple)):
        return ["own", "neighbour", "foreign"]
    return ["own", "foreign"]


def build_url(route: Route, values: dict[str, str]) -> str:
    if route.key in LITERAL_URLS:
        return LITERAL_URLS[route.key]
    url = route.pattern
    for name, value in values.items():
        url = re.sub(r"\(\?P<%s>(?:[^()]|\([^()]*\))*\)" % name, value, url)
        url = re.sub(r"<(?:\w+:)?%s>" % name, value, url)
    url = url.replace("^", "").replace("$", "")
    assert not re.search(r"[<>()*+?\[\]|\\]", url), f"add a rule for {route.pattern}: unresolved {url!r}"
    return "/" + url


def route_kinds(route: Route) -> dict:
    kinds = {}
    for param in route.params:
        if (route.key, param) in FIXED_PARAMS:
            continue
        kind = ui_kind(route, param)
        assert kind is not None, f"add a rule for {route.pattern} (parameter {param!r})"
        kinds[param] = kind
    return kinds


def concrete_urls(world, route: Route, scope: str) -> str:
    values = {p: v for (key, p), v in FIXED_PARAMS.items() if key == route.key}
    for param, kind in route_kinds(route).items():
        values[param] = object_value(world, kind, scope)
    return build_url(route, values)


def expected_codes(spec, role, scope):
    value = spec[role]
    if isinstance(value, dict):
        value = value[scope]
    return value


# --- the tests: routes ------------------------------------------------------------------------


def test_every_route_is_in_the_table():
    """A new route with no expectation fails here: the table must say who may open it."""
    missing = [r.key for r in ROUTES if expectation(r) is None]
    unknown_params = [f"{r.pattern} ({p})" for r in ROUTES for p in r.params
                      if (r.key, p) not in FIXED_PARAMS and ui_kind(r, p) is None]
    covered = len(ROUTES) - len(missing)
    assert not missing, f"routes with no expectation (add them to TABLE): {missing}"
    assert not unknown_params, "add a rule for " + ", ".join(unknown_params)
    assert covered == len(ROUTES) and len(ROUTES) > 200, f"{covered}/{len(ROUTES)} routes covered"
    stale = set(TABLE) - {r.key for r in ROUTES}
    assert not stale, f"expectations for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("route", ROUTES, ids=[r.key for r in ROUTES])
def test_route_matrix(route, world, monkeypatch):
    """GET every concrete URL as every role: the status of the table, the same answer for a foreign
    object as for a missing one, and no forbidden marker in the body."""
    # The matrix asks who may read what, not whether the made-up rows and this machine's broker look
    # like a healthy installation: /healthz judges the database only here (tests/ops covers the rest).
    from helpdesk import health

    monkeypatch.setattr(health, "checks", lambda now=None: [health.database_check()])
    spec = expectation(route, admin_request(world.tenants["wysylki"].admin.user))
    assert spec is not None, f"add {route.key} to TABLE"
    oracle_allowed = (route.key in ADMIN_MODEL_ROUTES and ADMIN_MODEL_ROUTES[route.key][1] in GLOBAL_HISTORY_ORACLE
                      and not is_tenant_owned(ADMIN_MODEL_ROUTES[route.key][0])
                      and ADMIN_MODEL_ROUTES[route.key][0] not in (User, Tenant))
    kinds = route_kinds(route)
    roles = API_ROLES if route.pattern.startswith("api/v1/") else ROLES
    failures = []
    for role in roles:
        client = client_for(world, role)
        markers = forbidden_markers(world, role)
        for scope in scopes_of(list(kinds.values())):
            url = concrete_urls(world, route, scope)
            response = client.get(url)
            expected = expected_codes(spec, role, scope)
            if response.status_code != expected:
                failures.append(f"{role} {scope} GET {url}: {response.status_code}, expected {expected}")
            found = leaked(body_of(response), markers)
            if found:
                failures.append(f"{role} {scope} GET {url}: leaks {found}")
            if scope == "foreign" and not (oracle_allowed and role == "admin"):
                missing_url = concrete_urls(world, route, "missing")
                other = client.get(missing_url)
                if other.status_code != response.status_code:
                    failures.append(f"{role} GET {url}: {response.status_code} but {other.status_code} "
                                    f"for a missing id ({missing_url})")
    assert not failures, "\n".join(failures)


# Actions on several tickets named in the body (not in the URL): tested below on their own.
BULK_ROUTES = {"agent:queue_bulk"}
POST_ONLY_AGENT = [r for r in ROUTES if r.key.startswith("agent:") and TABLE.get(r.key) is POST_ONLY
                   and r.key not in BULK_ROUTES]


def test_bulk_actions_on_foreign_tickets_change_nothing(world):
    """The queue's bulk action: KJM's ticket id in the body is "no such ticket" for Wysyłki's staff and
    stays as it was; customers get a 404, anonymous visitors the login page."""
    from tickets.models import Message, Ticket, TicketEvent

    foreign = world.side(FOREIGN).ticket
    before = (model_to_dict(Ticket.objects.get(pk=foreign.pk)), Message.objects.filter(ticket=foreign).count(),
              TicketEvent.objects.filter(ticket=foreign).count())
    failures = []
    assign = {"assignee": world.tenants["wysylki"].agent.pk}
    for action, extra in (("assign", assign), ("status", {"status": "closed"})):
        data = {"ids": [foreign.pk], "action": action, **extra}
        for role, expected in (("agent", FOUND), ("admin", FOUND), ("customer", NOT_FOUND), ("anonymous", FOUND)):
            response = client_for(world, role).post("/agent/bulk/", data)
            if response.status_code != expected:
                failures.append(f"{role} {action}: {response.status_code}, expected {expected}")
            if role == "anonymous" and "/login/" not in response["Location"]:
                failures.append(f"anonymous {action}: redirected to {response['Location']}")
    after = (model_to_dict(Ticket.objects.get(pk=foreign.pk)), Message.objects.filter(ticket=foreign).count(),
             TicketEvent.objects.filter(ticket=foreign).count())
    assert not failures, "\n".join(failures)
    assert after == before


@pytest.mark.parametrize("route", POST_ONLY_AGENT, ids=[r.key for r in POST_ONLY_AGENT])
def test_agent_actions_on_foreign_tickets_are_404(route, world):
    """The agent's POST actions: KJM's ticket and a customer's attempt are 404s that change nothing."""
    from tickets.models import Message, Ticket, TicketEvent

    foreign = world.side(FOREIGN).ticket
    before = (model_to_dict(Ticket.objects.get(pk=foreign.pk)), Message.objects.filter(ticket=foreign).count(),
              TicketEvent.objects.filter(ticket=foreign).count())
    data = {"body": "hack", "kind": "reply", "status": "closed", "assignee": world.tenants["wysylki"].agent.pk}
    failures = []
    for role, scope, expected in (("agent", "foreign", NOT_FOUND), ("admin", "foreign", NOT_FOUND),
                                  ("customer", "own", NOT_FOUND), ("customer", "foreign", NOT_FOUND),
                                  ("anonymous", "foreign", FOUND)):
        url = concrete_urls(world, route, scope)
        response = client_for(world, role).post(url, data)
        if response.status_code != expected:
            failures.append(f"{role} POST {url}: {response.status_code}, expected {expected}")
        if role == "anonymous" and "/login/" not in response["Location"]:
            failures.append(f"anonymous POST {url}: redirected to {response['Location']}")
    after = (model_to_dict(Ticket.objects.get(pk=foreign.pk)), Message.objects.filter(ticket=foreign).count(),
             TicketEvent.objects.filter(ticket=foreign).count())
    assert not failures, "\n".join(failures)
    assert after == before


# --- the tests: API operations ----------------------------------------------------------------


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                params = tuple(p["name"] for p in operation.get("parameters", []) if p["in"] == "path")
                found.append((method.upper(), path, operation["operationId"], params))
    return found


OPERATIONS = _operations()
READS = [op for op in OPERATIONS if op[0] == "GET"]
WRITES_ON_OBJECTS = [op for op in OPERATIONS if op[0] != "GET" and op[3]]
WRITES_ON_COLLECTIONS = [op for op in OPERATIONS if op[0] != "GET" and not op[3]]


def api_kind(path: str, param: str):
    kind = API_PARAMS.get((api_segment(path.removeprefix("/api/v1/")), param))
    assert kind is not None, f"add a rule for {path} (parameter {param!r})"
    return kind


def api_url(world, path: str, params, scope: str) -> str:
    url = path
    for param in params:
        url = url.replace("{%s}" % param, object_value(world, api_kind(path, param), scope))
    return url


def test_every_operation_is_covered():
    """Every operation of the schema is read-checked or write-checked, and every parameter is known."""
    covered = {op[2] for op in READS + WRITES_ON_OBJECTS + WRITES_ON_COLLECTIONS}
    assert covered == {op[2] for op in OPERATIONS} and len(OPERATIONS) >= 30
    for _method, path, _op_id, params in OPERATIONS:
        for param in params:
            api_kind(path, param)
    assert {op[2] for op in WRITES_ON_COLLECTIONS} <= set(COLLECTION_WRITES), (
        f"add a rule for {sorted({op[2] for op in WRITES_ON_COLLECTIONS} - set(COLLECTION_WRITES))}")


# Reads whose query is required: without it, staff get a 400 (the slot search needs ticket, kind, minutes).
READ_SPECS = {"appointments_slots_list": TABLE["api-appointment-slot-list"]}


@pytest.mark.parametrize("op", READS, ids=[op[2] for op in READS])
def test_api_read_matrix(op, world):
    """Every read operation as every role and on every object scope."""
    _method, path, _op_id, params = op
    kinds = [api_kind(path, p) for p in params]
    failures = []
    for role in API_ROLES:
        client = client_for(world, role)
        markers = forbidden_markers(world, role)
        for scope in scopes_of(kinds):
            url = api_url(world, path, params, scope)
            response = client.get(url)
            help_api = path.startswith("/api/v1/help/")
            spec = ((HELP_API_OBJECT if help_api else API_OBJECT) if params
                    else (HELP_API_LIST if help_api else READ_SPECS.get(_op_id, API_LIST)))
            expected = expected_codes(spec, role, scope)
            if response.status_code != expected:
                failures.append(f"{role} {scope} GET {url}: {response.status_code}, expected {expected}")
            found = leaked(body_of(response), markers)
            if found:
                failures.append(f"{role} {scope} GET {url}: leaks {found}")
            if scope == "foreign":
                other = client.get(api_url(world, path, params, "missing"))
                if (other.status_code, other.content) != (response.status_code, response.content):
                    failures.append(f"{role} GET {url}: answers unlike a missing id "
                                    f"({response.status_code} vs {other.status_code})")
    assert not failures, "\n".join(failures)


def _snapshot(world, path, params):
    """Every row of KJM's tenant that a write on KJM's ids could touch, as plain values."""
    from billing.models import Package, Statement, TimeEntry
    from core.models import Contact, Organization, WebhookDelivery, WebhookEndpoint
    from helpcenter.models import Post, Suggestion, SuggestionVote, Topic
    from plans.models import Plan, Subscription
    from tickets.models import Message, Ticket

    kjm = world.tenants["kjm"].tenant
    state = {}
    for model in (Ticket, Message, Organization, Contact, Plan, Subscription, WebhookEndpoint, WebhookDelivery,
                  TimeEntry, Package, Statement, Topic, Post, Suggestion, SuggestionVote):
        state[model._meta.label] = sorted(
            (row.pk, json.dumps(model_to_dict(row), default=str, sort_keys=True))
            for row in model._base_manager.filter(tenant=kjm))
    return state


UNSAFE_BODIES = {
    "PATCH": {"name": "Hacked", "subject": "Hacked", "description": "Hacked", "url": "https://hacked.example.invalid/x",
              "status": "closed", "email": "hacked@example.com"},
    "POST": {"body": "Hacked", "internal": False},
    "DELETE": None,
    "PUT": {"name": "Hacked"},
}


@pytest.mark.parametrize("op", WRITES_ON_OBJECTS, ids=[op[2] for op in WRITES_ON_OBJECTS])
def test_api_writes_on_foreign_ids_change_nothing(op, world):
    """POST/PATCH/DELETE on KJM's ids with wysylki's credentials: 404 (or the very answer a missing id
    gets, e.g. an agent token's 403 on an admin-only write) and no KJM row changes."""
    method, path, _op_id, params = op
    before = _snapshot(world, path, params)
    failures = []
    for role in ("token_admin", "token_agent", "admin", "agent", "customer", "anonymous"):
        client = client_for(world, role)  # sessions: the test client does not enforce CSRF
        call = getattr(client, method.lower())
        body = UNSAFE_BODIES[method]
        kwargs = {"format": "json"} if body is not None else {}
        url = api_url(world, path, params, "foreign")
        response = call(url, body, **kwargs) if body is not None else call(url)
        missing = call(api_url(world, path, params, "missing"), body, **kwargs) if body is not None else \
            call(api_url(world, path, params, "missing"))
        # The help center's API serves customers too: KJM's ids are a 404 for them as for staff.
        customer = {NOT_FOUND} if path.startswith("/api/v1/help/") else {FORBIDDEN}
        expected = {"anonymous": {UNAUTHORIZED}, "customer": customer}.get(role, {NOT_FOUND, FORBIDDEN})
        if response.status_code not in expected:
            failures.append(f"{role} {method} {url}: {response.status_code}, expected one of {sorted(expected)}")
        if response.status_code != missing.status_code:
            failures.append(f"{role} {method} {url}: {response.status_code}, a missing id gets {missing.status_code}")
        if role == "token_admin" and response.status_code != NOT_FOUND:
            failures.append(f"an admin token's {method} {url}: {response.status_code}, expected 404")
    assert not failures, "\n".join(failures)
    assert _snapshot(world, path, params) == before


# Writes on collections, with every reference in the body pointing at KJM: (body builder) per op.
COLLECTION_WRITES = {
    "contacts_create": lambda w: {"organization": w.side(FOREIGN).organization.pk, "name": "Intruder",
                                  "emails": ["intruder@example.com"]},
    "organizations_create": None,  # no reference to another object: the new row must be wysylki's
    "packages_create": lambda w: {"organization": w.side(FOREIGN).organization.pk},
    "subscriptions_create": lambda w: {"organization": w.side(FOREIGN).organization.pk,
                                       "plan": w.tenants["kjm"].plan_code, "accepted_on": "2026-01-01"},
    "tickets_create": lambda w: {"organization": w.side(FOREIGN).organization.pk,
                                 "contact": w.side(FOREIGN).contact.pk, "subject": "Intruder", "body": "x"},
    "time_entries_create": lambda w: {"ticket": w.side(FOREIGN).ticket.pk, "kind": "remote", "minutes": 30,
                                      "started_at": "2026-11-02T10:00:00Z"},
    "quotes_create": lambda w: {"ticket": w.side(FOREIGN).ticket.pk, "description": "Intruder",
                                "fixed_price_net": "1.00"},
    "appointments_create": lambda w: {"ticket": w.side(FOREIGN).ticket.pk, "kind": "remote", "minutes": 60,
                                      "starts_at": "2026-11-02T10:00:00Z"},
    "webhooks_create": None,  # tenant-level, no reference to another object: covered by the ownership test
    "sla_preview_create": lambda w: {"organization": w.side(FOREIGN).organization.pk,
                                     "received_at": "2026-11-02T10:00:00Z"},
    "help_topics_create": lambda w: {"category": w.help["kjm"]["forum_category"], "title": "Intruder",
                                     "body": "x"},
    "help_suggestions_create": lambda w: {"product": w.help["kjm"]["product"], "title": "Intruder", "body": "x"},
}


@pytest.mark.parametrize("op", WRITES_ON_COLLECTIONS, ids=[op[2] for op in WRITES_ON_COLLECTIONS])
def test_api_creates_referring_to_foreign_objects_are_refused(op, world):
    """A create whose body names KJM's objects is refused (422: no such object in this tenant; or a
    400/404) and leaves KJM untouched; a
    webhook created by wysylki belongs to wysylki."""
    from core.models import WebhookEndpoint

    method, path, op_id, _params = op
    client = client_for(world, "token_admin")
    before = _snapshot(world, path, ())
    if COLLECTION_WRITES[op_id] is None:
        model, body = {"webhooks_create": (WebhookEndpoint, {"url": "https://new.example.invalid/new",
                                                             "events": ["ticket.created"]}),
                       "organizations_create": (Organization, {"name": "Intruder Org"})}[op_id]
        response = client.post(path, body, format="json")
        assert response.status_code == 201, response.content
        assert model.objects.get(pk=response.json()["id"]).tenant == world.tenants["wysylki"].tenant
    else:
        response = client.post(path, COLLECTION_WRITES[op_id](world), format="json")
        assert response.status_code in (400, 404, 422), (response.status_code, response.content)
        found = leaked(body_of(response), forbidden_markers(world, "token_admin"))
        assert not found, found
    assert _snapshot(world, path, ()) == before


# --- mails and webhooks -----------------------------------------------------------------------


def test_mails_carry_no_internal_note_and_nothing_of_another_organization(world):
    assert len(world.outbox) >= len(world.sides) * 2  # an acknowledgement and a reply each
    for message in world.outbox:
        text = message.subject + message.body + "".join(str(a[0]) + str(a[1]) for a in getattr(
            message, "alternatives", []))
        side = next(s for s in world.sides if s.contact.emails.filter(email__in=message.to).exists()
                    or any(e in message.to for e in [s.contact.user.email]))
        others = {m for s in world.sides if s is not side for m in s.markers(internal=True)}
        assert not leaked(text, others | {side.note_marker, f"Time {side.key}"}), (message.to, message.subject)


def test_webhook_payloads_carry_no_internal_note_and_stay_in_their_tenant(world):
    from core.models import WebhookDelivery

    for slug, tenant_side in world.tenants.items():
        payloads = [json.dumps(d.payload, ensure_ascii=False)
                    for d in WebhookDelivery.objects.for_tenant(tenant_side.tenant)]
        assert payloads, slug
        foreign = {m for s in world.sides if s.slug != slug for m in s.markers(internal=True)}
        notes = {s.note_marker for s in world.sides}
        for payload in payloads:
            assert not leaked(payload, foreign | notes), payload[:300]
        assert all(d.endpoint.tenant_id == tenant_side.tenant.pk
                   for d in WebhookDelivery.objects.for_tenant(tenant_side.tenant).select_related("endpoint"))


def test_a_reply_after_a_note_mails_and_posts_only_the_reply(world, client):
    """An agent writes a note, then replies: the customer's mail and the webhook carry the reply only."""
    from helpdesk.celery import app
    from core.models import WebhookDelivery

    side = world.side(OWN)
    wysylki = world.tenants["wysylki"]
    client.force_login(wysylki.agent.user)
    marker = f"NOTE-LIVE-{uuid.uuid4().hex[:8]}"
    seen = set(WebhookDelivery.objects.for_tenant(side.tenant).values_list("pk", flat=True))
    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            note = client.post(f"/agent/tickets/{side.ticket.pk}/message/", {"body": marker, "kind": "note"})
        with TestCase.captureOnCommitCallbacks(execute=True):
            reply = client.post(f"/agent/tickets/{side.ticket.pk}/message/",
                                {"body": "Reply to the customer", "kind": "reply"})
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = old
    assert (note.status_code, reply.status_code) == (302, 302)
    assert mail.outbox, "the reply was not mailed"
    for message in mail.outbox:
        text = message.subject + message.body + "".join(str(a[0]) for a in getattr(message, "alternatives", []))
        assert marker not in text and side.note_marker not in text
    assert any("Reply to the customer" in m.body for m in mail.outbox)
    new = WebhookDelivery.objects.for_tenant(side.tenant).exclude(pk__in=seen)
    assert new.exists()
    assert all(marker not in json.dumps(d.payload, ensure_ascii=False) for d in new)


# --- API roles: contract terms are the tenant admins' ------------------------------------------

# name: (method, path builder, body builder): writes that change what a customer pays or is promised.
CONTRACT_WRITES = {
    "subscription_create": ("POST", lambda w, s: "/api/v1/subscriptions/",
                            lambda w, s: {"organization": w.side(OWN).organization.pk,
                                          "plan": w.tenants["wysylki"].plan_code, "accepted_on": "2026-01-01"}),
    "subscription_overrides": ("PATCH", lambda w, s: f"/api/v1/subscriptions/{s.pk}/",
                               lambda w, s: {"overrides": {"price_net": "0.00", "included_minutes": 999999,
                                                           "reaction_minutes": 15}}),
    "subscription_notice": ("PATCH", lambda w, s: f"/api/v1/subscriptions/{s.pk}/",
                            lambda w, s: {"notice_given_on": "2026-11-02"}),
    "package_create": ("POST", lambda w, s: "/api/v1/packages/",
                       lambda w, s: {"organization": w.side(OWN).organization.pk, "price_net": "0.01",
                                     "minutes": 600000}),
    "plan_terms": ("PATCH", lambda w, s: f"/api/v1/plans/{s.plan.code}/",
                   lambda w, s: {"terms": {"reaction_minutes": 15}, "terms_effective_from": "2027-01-01"}),
    "webhook_create": ("POST", lambda w, s: "/api/v1/webhooks/",
                       lambda w, s: {"url": "https://crm.example.invalid/h", "events": ["ticket.created"]}),
}
API_ROLE_MATRIX = {"token_agent": FORBIDDEN, "agent": FORBIDDEN, "customer": FORBIDDEN,
                   "anonymous": UNAUTHORIZED}


@pytest.mark.parametrize("write", CONTRACT_WRITES)
def test_contract_writes_are_for_admins_only(write, world):
    """Subscriptions (overrides, notice), packages and their prices, plan terms and webhooks: an
    agent's token or session gets 403 on the tenant's own objects and changes nothing; the reads
    stay open to agents; an admin token passes (its change is rolled back here)."""
    from django.db import transaction

    from plans.models import Subscription

    method, path_of, body_of_write = CONTRACT_WRITES[write]
    wysylki = world.tenants["wysylki"].tenant
    subscription = (Subscription.objects.for_tenant(wysylki).select_related("plan")
                    .filter(organization=world.side(OWN).organization).order_by("id").first())
    path, body = path_of(world, subscription), body_of_write(world, subscription)
    own_state = _own_snapshot(wysylki)
    for role, expected in API_ROLE_MATRIX.items():
        client = client_for(world, role)
        response = getattr(client, method.lower())(path, body, format="json")
        assert response.status_code == expected, (role, method, path, response.status_code, response.content)
        assert _own_snapshot(wysylki) == own_state, (role, method, path)
        if role in ("token_agent", "agent"):
            read = client.get(path)
            assert read.status_code == OK, (role, path, read.status_code)
    with transaction.atomic():
        response = getattr(client_for(world, "token_admin"), method.lower())(path, body, format="json")
        transaction.set_rollback(True)
    # the admin passes the role check (the business rules may still refuse the example body: a 422)
    assert response.status_code in (200, 201, 400, 422), (method, path, response.status_code, response.content)


def _own_snapshot(tenant):
    from billing.models import Package
    from core.models import WebhookEndpoint
    from plans.models import PlanTerms, Subscription, SubscriptionAddon

    return {model._meta.label: sorted(json.dumps(model_to_dict(row), default=str, sort_keys=True)
                                      for row in model._base_manager.filter(tenant=tenant))
            for model in (Subscription, SubscriptionAddon, Package, PlanTerms, WebhookEndpoint)}
