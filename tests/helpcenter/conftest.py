"""Two tenants ("alpha", "beta") with a small help center each, built through the services."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from helpcenter.models import Article, ForumCategory, HelpCategory, Viewer, Visibility
from helpcenter.services.kb import article_publish, article_save
from plans.models import Product


@dataclass
class Help:
    world: object
    product: Product
    chapter: Article
    section: Article
    section2: Article
    howto: Article
    customers_only: Article
    internal: Article
    draft: Article
    category: HelpCategory
    forum: ForumCategory

    @property
    def tenant(self):
        return self.world.tenant

    def anonymous(self) -> Viewer:
        return Viewer(tenant=self.tenant)

    def customer(self) -> Viewer:
        w = self.world
        return Viewer(tenant=w.tenant, user=w.customer, contact=w.contact)

    def staff(self) -> Viewer:
        w = self.world
        return Viewer(tenant=w.tenant, user=w.agent.user, membership=w.agent)


def build_help(world) -> Help:
    tenant, actor = world.tenant, world.admin.user
    product = Product.objects.for_tenant(tenant).get(code="main")
    category = HelpCategory.objects.create(tenant=tenant, slug="faktury", name="Faktury i dokumenty")
    forum = ForumCategory.objects.create(tenant=tenant, slug="ogolne", name="Pytania ogólne", product=product)

    def article(slug, title, body, *, publish=True, **fields):
        a = article_save(tenant=tenant, actor=actor, slug=slug, title=title, body=body, **fields)
        return article_publish(tenant=tenant, article=a, actor=actor) if publish else a

    chapter = article("pierwsze-kroki", "Pierwsze kroki", "Instalacja programu.", kind="manual", product=product,
                      position=1)
    section = article("instalacja", "Instalacja na serwerze", "Uruchom instalator i podaj klucz licencji.",
                      kind="manual", product=product, parent=chapter, position=1)
    section2 = article("aktualizacja", "Aktualizacja programu", "Pobierz nową wersję.", kind="manual",
                       product=product, parent=chapter, position=2)
    howto = article("korekta-faktury", "Jak poprawić fakturę", "Korektę **faktury** wystawisz w module sprzedaży.",
                    category=category)
    customers_only = article("cennik-uslug", "Cennik usług dodatkowych", "Stawki dla klientów.",
                             category=category, visibility=Visibility.CUSTOMERS)
    internal = article("procedura-wewnetrzna", "Procedura eskalacji faktur", "Tylko dla zespołu.",
                       category=category, visibility=Visibility.INTERNAL)
    draft = article("szkic", "Szkic o fakturach zbiorczych", "Jeszcze nie gotowe.", category=category,
                    publish=False)
    return Help(world=world, product=product, chapter=chapter, section=section, section2=section2, howto=howto,
                customers_only=customers_only, internal=internal, draft=draft, category=category, forum=forum)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def helps(two_tenants):
    alpha, beta = two_tenants
    return build_help(alpha), build_help(beta)


@pytest.fixture
def help_alpha(helps):
    return helps[0]
