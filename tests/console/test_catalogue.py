"""Categories and products in the settings: added and changed through the services, audited."""
from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent
from plans.models import Product
from tickets.models import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(demo, client):
    client.force_login(demo.user("admin@wysylki.example.com"))
    return client


def test_add_and_change_a_category_with_audit(demo, admin_client):
    url = reverse("console:catalogue")
    admin_client.post(url, {"kind": "category", "new-category-code": "integration", "new-category-name": "Integracje",
                            "new-category-in_scope": "on", "new-category-position": "7",
                            "new-category-active": "on"})
    category = Category.objects.get(tenant=demo.wysylki, code="integration")
    assert (category.name, category.is_bug, category.in_scope, category.position) == ("Integracje", False, True, 7)
    admin_client.post(reverse("console:category_edit", args=[category.pk]),
                      {f"c{category.pk}-name": "Integracje z CRM", f"c{category.pk}-is_bug": "on",
                       f"c{category.pk}-position": "3", f"c{category.pk}-active": "on"})
    category.refresh_from_db()
    assert (category.name, category.is_bug, category.in_scope, category.position) == ("Integracje z CRM", True,
                                                                                      False, 3)
    event = AuditEvent.objects.filter(action="category.saved", object_id=str(category.pk)).latest("id")
    assert event.data["before"]["name"] == "Integracje" and event.data["after"]["is_bug"] is True


def test_products_are_added_renamed_and_codes_stay(demo, admin_client):
    admin_client.post(reverse("console:catalogue"), {"kind": "product", "new-product-code": "etykiety",
                                                     "new-product-name": "Etykiety"})
    product = Product.objects.get(tenant=demo.wysylki, code="etykiety")
    admin_client.post(reverse("console:product_edit", args=[product.pk]),
                      {f"p{product.pk}-name": "Drukarka etykiet", f"p{product.pk}-code": "inny"})
    product.refresh_from_db()
    assert (product.code, product.name) == ("etykiety", "Drukarka etykiet")
    duplicate = admin_client.post(reverse("console:catalogue"), {"kind": "product", "new-product-code": "etykiety",
                                                                 "new-product-name": "X"}, follow=True)
    assert Product.objects.filter(tenant=demo.wysylki, code="etykiety").count() == 1
    assert "Produkt o tym kodzie już istnieje." in [str(m) for m in duplicate.context["messages"]]


def test_another_tenants_rows_are_404(demo, admin_client):
    category = Category.objects.filter(tenant=demo.kjm).first()
    product = Product.objects.filter(tenant=demo.kjm).first()
    assert admin_client.post(reverse("console:category_edit", args=[category.pk]),
                             {f"c{category.pk}-name": "X", f"c{category.pk}-position": "1"}).status_code == 404
    assert admin_client.post(reverse("console:product_edit", args=[product.pk]),
                             {f"p{product.pk}-name": "X"}).status_code == 404
    category.refresh_from_db()
    product.refresh_from_db()
    assert category.name != "X" and product.name != "X"
