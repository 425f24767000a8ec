"""Help center settings: heading and introduction, manuals for logged-in customers only, forum moderation
and who may post; each change audited."""
from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent
from helpcenter.models import HelpCenterSettings
from plans.models import Product

pytestmark = pytest.mark.django_db


def test_the_page_saves_heading_and_manuals_and_the_help_center_shows_them(demo, client):
    client.force_login(demo.user("admin@wysylki.example.com"))
    product = Product.objects.for_tenant(demo.wysylki).order_by("pk").first()
    foreign = Product.objects.for_tenant(demo.kjm).first()
    data = {"title": "Pomoc dla klientów Wysyłek", "intro": "Infolinia: pn–pt 8–16.", "forum_moderation": "all",
            "forum_posting": "customers", "customer_only_manuals": [product.pk]}
    assert client.get(reverse("console:help_center")).status_code == 200
    bad = client.post(reverse("console:help_center"), {**data, "customer_only_manuals": [foreign.pk]})
    assert bad.status_code == 200 and "customer_only_manuals" in bad.context["form"].errors
    assert client.post(reverse("console:help_center"), {**data, "forum_moderation": "sometimes"}).status_code == 200
    assert client.post(reverse("console:help_center"), data).status_code == 302
    settings = HelpCenterSettings.objects.get(tenant=demo.wysylki)
    assert settings.forum_moderation == "all" and list(settings.customer_only_manuals.all()) == [product]
    event = AuditEvent.objects.get(tenant=demo.wysylki, action="helpcenter.settings_saved")
    assert event.data["after"]["customer_only_manuals"] == [product.code]
    client.logout()
    home = client.get(reverse("help:home"), HTTP_HOST=demo.wysylki.domain).content.decode()
    assert "Pomoc dla klientów Wysyłek" in home and "Infolinia: pn–pt 8–16." in home
