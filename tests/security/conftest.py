"""The isolation matrix's world: the demo's two tenants, two organizations each, every kind of object.

Each organization gets a ticket filed through the portal with an attachment, an agent's public
reply, an internal note, a logged time entry and a statement; KJM's PAKIET customer also buys an
hour package. Every text carries a marker unique to its tenant and organization (``MRK…``), so a
response body that contains a marker of someone else's object is a leak, whatever the page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.test.utils import override_settings
from django.utils import timezone

from tests.conftest import rolled_back_at_exit


def _png() -> bytes:
    """A real (tiny) PNG, so the thumbnail routes have an image to preview."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, format="PNG")
    return out.getvalue()


PNG = _png()
# A name that never resolves (RFC 2606 .invalid): a delivery attempt fails at once and is recorded,
# never sent.
HOOK_URL = "https://crm.example.invalid/hook"

# (tenant slug, organization name, marker key); the first organization of each tenant is "own" for
# the customer of that tenant, the second is the neighbour within the same tenant.
ORGANIZATIONS = [
    ("wysylki", "Meblex sp. j.", "MRKWYSA"),
    ("wysylki", "Elektro-Mat S.A.", "MRKWYSB"),
    ("kjm", "Biuro Rachunkowe Bilans", "MRKKJMA"),
    ("kjm", "Wodociągi Leśne sp. z o.o.", "MRKKJMB"),
]
STAFF = {"wysylki": ("admin@wysylki.example.com", "agent@wysylki.example.com"),
         "kjm": ("admin@kjm.example.com", "opiekun@kjm.example.com")}


@dataclass
class Side:
    """One organization of one tenant and every object made for it."""

    slug: str
    key: str
    tenant: object
    organization: object
    contact: object
    ticket: object
    reply: object
    note: object
    attachment: object
    time_entry: object
    statement: object
    package: object | None = None

    def markers(self, *, internal: bool) -> set[str]:
        """Texts only this organization's pages may show; with ``internal`` the staff-only ones too."""
        public = {f"Subject {self.key}", f"Public {self.key}", f"Reply {self.key}", f"{self.key}.png"}
        staff_only = {f"NOTE {self.key}", f"Time {self.key}"}
        return public | staff_only if internal else public

    @property
    def note_marker(self) -> str:
        return f"NOTE {self.key}"


@dataclass
class TenantSide:
    slug: str
    tenant: object
    admin: object  # Membership
    agent: object  # Membership
    admin_token: str = ""
    agent_token: str = ""
    webhook: object = None
    delivery: object = None
    plan_code: str = ""
    calendar: object = None


@dataclass
class World:
    sides: list[Side]
    tenants: dict[str, TenantSide]
    outbox: list = field(default_factory=list)
    any_rows: dict = field(default_factory=dict)  # (model label, slug) -> a row of that tenant
    help: dict = field(default_factory=dict)  # tenant slug -> the help center's objects and URL values

    def side(self, key: str) -> Side:
        return next(s for s in self.sides if s.key == key)


def _build() -> World:
    from billing.models import Statement
    from billing.services import package_purchase, time_entry_log
    from billing.statements import statement_generate
    from django.contrib import admin
    from core.services import api_token_create, webhook_create
    from core.models import Contact, Membership, Organization, Tenant
    from core.webhooks import EVENTS
    from plans.models import Calendar, Plan
    from tests import factories
    from tickets.attachments import attachment_check
    from tickets.models import Category, Message
    from tickets.services import message_add, ticket_create

    tenants: dict[str, TenantSide] = {}
    for slug, (admin_email, agent_email) in STAFF.items():
        tenant = Tenant.objects.get(slug=slug)
        members = Membership.objects.for_tenant(tenant).select_related("user")
        side = TenantSide(slug=slug, tenant=tenant, admin=members.get(user__username=admin_email),
                          agent=members.get(user__username=agent_email))
        _row, side.admin_token = api_token_create(tenant=tenant, name="Matrix admin", role="admin",
                                                  created_by=side.admin.user)
        _row, side.agent_token = api_token_create(tenant=tenant, name="Matrix agent", role="agent",
                                                  created_by=side.agent.user)
        side.webhook, _secret = webhook_create(tenant=tenant, url=HOOK_URL, events=list(EVENTS),
                                               actor=side.admin.user, description=f"Hook {slug}")
        tenants[slug] = side
    # A plan code and a calendar code each tenant has and the other has not.
    for slug, other in (("wysylki", "kjm"), ("kjm", "wysylki")):
        theirs = set(Plan.objects.for_tenant(tenants[other].tenant).values_list("code", flat=True))
        tenants[slug].plan_code = (Plan.objects.for_tenant(tenants[slug].tenant).exclude(code__in=theirs)
                                   .order_by("code").values_list("code", flat=True).first())
        tenants[slug].calendar = Calendar.objects.for_tenant(tenants[slug].tenant).order_by("id").first()

    now = timezone.now()
    sides = []
    for slug, name, key in ORGANIZATIONS:
        t = tenants[slug]
        organization = Organization.objects.for_tenant(t.tenant).get(name=name)
        contact = (Contact.objects.for_tenant(t.tenant).select_related("user")
                   .filter(organization=organization, user__isnull=False).order_by("id").first())
        category = Category.objects.for_tenant(t.tenant).filter(in_scope=True).order_by("position").first()
        package = None
        if slug == "kjm" and name.startswith("Biuro"):  # a package plan: work needs a valid package (RULES 6.7)
            package = package_purchase(tenant=t.tenant, organization=organization,  # on the day of the work
                                       purchased_on=timezone.localdate(now - timedelta(hours=1)), actor=t.admin.user)
        ticket = ticket_create(tenant=t.tenant, channel="portal", contact=contact, subject=f"Subject {key}",
                               body=f"Public {key}", category=category, actor=contact.user,
                               attachments=[attachment_check(f"{key}.png", PNG)])
        reply = message_add(tenant=t.tenant, ticket=ticket, body=f"Reply {key}", author_user=t.agent.user,
                            source=Message.Source.AGENT)
        note = message_add(tenant=t.tenant, ticket=ticket, body=f"NOTE {key}", author_user=t.agent.user,
                           internal=True, source=Message.Source.AGENT)
        entry = time_entry_log(tenant=t.tenant, ticket=ticket, agent=t.agent, kind="remote",
                               started_at=now - timedelta(hours=1), minutes=30, note=f"Time {key}",
                               actor=t.agent.user)
        statement = statement_generate(tenant=t.tenant, organization=organization,
                                       month=timezone.localdate(now).replace(day=1), actor=t.admin.user)
        sides.append(Side(slug=slug, key=key, tenant=t.tenant, organization=organization, contact=contact,
                          ticket=ticket, reply=reply, note=note, attachment=ticket.attachments.get(),
                          time_entry=entry, statement=statement, package=package))
        assert Statement.objects.filter(pk=statement.pk).exists()

    world = World(sides=sides, tenants=tenants)
    # A row of every tenant-owned model registered in the admin, in both tenants (the admin's
    # object pages need one of each; models the demo leaves empty get a plain made-up row).
    models = {m._meta.concrete_model for m in admin.site._registry
              if any(f.name == "tenant" for f in m._meta.concrete_fields)}
    for t in tenants.values():
        for model in sorted(models, key=lambda m: m._meta.label):
            row = model._base_manager.filter(tenant=t.tenant).order_by("pk").first()
            world.any_rows[(model._meta.label, t.slug)] = row or factories.build_any_row(model, t.tenant)
    for slug, t in tenants.items():
        world.help[slug] = _help_rows(t, next(s for s in sides if s.slug == slug))
    return world


def _help_rows(t: TenantSide, side: Side) -> dict:
    """A manual section, an article, a forum topic by the side's customer with a staff reply, a
    suggestion and the customer's unsubscribe token, in the side's tenant."""
    from helpcenter.models import ForumCategory, HelpCategory, TopicSubscription, Viewer
    from helpcenter.services import forum, kb, suggestions
    from plans.models import Product

    tenant, slug = t.tenant, t.slug
    staff = Viewer(tenant=tenant, user=t.agent.user, membership=t.agent)
    customer = Viewer(tenant=tenant, user=side.contact.user, contact=side.contact)
    product = Product.objects.for_tenant(tenant).order_by("code").first()
    chapter = kb.article_save(tenant=tenant, actor=t.admin.user, kind="manual", product=product,
                              slug=f"rozdzial-{slug}", title=f"Rozdział {slug}", body="Treść")
    kb.article_publish(tenant=tenant, article=chapter, actor=t.admin.user)
    category = HelpCategory.objects.create(tenant=tenant, slug=f"kategoria-{slug}", name=f"Kategoria {slug}")
    article = kb.article_save(tenant=tenant, actor=t.admin.user, slug=f"artykul-{slug}", title=f"Artykuł {slug}",
                              body="Treść", category=category)
    kb.article_publish(tenant=tenant, article=article, actor=t.admin.user)
    board = ForumCategory.objects.create(tenant=tenant, slug=f"forum-{slug}", name=f"Forum {slug}")
    topic = forum.topic_create(tenant=tenant, viewer=customer, category=board, title=f"Pytanie {slug}", body="Jak?")
    first = topic.posts.get()
    forum.post_moderate(tenant=tenant, viewer=staff, post=first, action="approve")
    forum.post_add(tenant=tenant, viewer=staff, topic=topic, body="Tak.")
    suggestion = suggestions.suggestion_create(tenant=tenant, viewer=customer, title=f"Sugestia {slug}", body="x")
    subscription = TopicSubscription.objects.get(topic=topic, user=customer.user)
    return {"product": product.code, "section": chapter.slug, "article_pk": article.pk, "article_slug": article.slug,
            "category": category.slug, "forum_category": board.slug, "topic": topic.pk, "post": first.pk,
            "suggestion": suggestion.pk, "token": forum.unsubscribe_token(subscription)}


@pytest.fixture(scope="module")
def _matrix_world(_demo_module_base, django_db_blocker, tmp_path_factory):
    """The world, built once per module inside a transaction rolled back at its end.

    Celery runs inline while it is built, and on-commit callbacks run at once: the notifications
    (acknowledgement and reply mails, webhook deliveries) of the tickets are made as in production.
    """
    from helpdesk.celery import app
    from core.models import WebhookDelivery

    media = tmp_path_factory.mktemp("media")
    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    try:
        with override_settings(MEDIA_ROOT=str(media)), rolled_back_at_exit(django_db_blocker):
            with django_db_blocker.unblock():
                mail.outbox = []
                with TestCase.captureOnCommitCallbacks(execute=True):
                    world = _build()
                world.outbox = list(mail.outbox)
                for t in world.tenants.values():
                    t.delivery = WebhookDelivery.objects.for_tenant(t.tenant).order_by("id").first()
            yield world
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture
def world(_matrix_world, db, settings) -> World:
    settings.API_RATE = "1000000/min"
    return _matrix_world
