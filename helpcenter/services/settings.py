"""The tenant's help center settings: heading, introduction, forum rules, manuals for customers only."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import Tenant, User
from core.services import audit_record
from helpcenter.models import HelpCenterSettings
from plans.models import Product

FIELDS = ("title", "intro", "forum_moderation", "forum_posting")


def _snapshot(settings: HelpCenterSettings) -> dict:
    data = {name: getattr(settings, name) for name in FIELDS}
    data["customer_only_manuals"] = (sorted(settings.customer_only_manuals.values_list("code", flat=True))
                                     if settings.pk else [])
    return data


@transaction.atomic
def help_center_settings_save(*, tenant: Tenant, actor: User | None, title: str, intro: str, forum_moderation: str,
                              forum_posting: str, customer_only_manuals) -> HelpCenterSettings:
    products = list(customer_only_manuals)
    if any(product.tenant_id != tenant.pk for product in products):
        raise ValidationError({"customer_only_manuals": _("Choose your own products.")})
    settings = (HelpCenterSettings.objects.select_for_update().filter(tenant=tenant).first()
                or HelpCenterSettings(tenant=tenant))
    before = _snapshot(settings) if settings.pk else None
    settings.title, settings.intro = (title or "").strip(), (intro or "").strip()
    settings.forum_moderation, settings.forum_posting = forum_moderation, forum_posting
    settings.full_clean()
    settings.save()
    settings.customer_only_manuals.set(Product.objects.for_tenant(tenant).filter(pk__in=[p.pk for p in products]))
    audit_record(tenant=tenant, actor=actor, action="helpcenter.settings_saved", obj=settings,
                 summary=str(settings), data={"before": before, "after": _snapshot(settings)})
    return settings
