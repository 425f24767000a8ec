"""What a tenant configures of its help center (one row per tenant; no row means the defaults)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TenantOwned
from plans.models import Product


class HelpCenterSettings(TenantOwned):
    class Moderation(models.TextChoices):
        FIRST = "first", _("a customer's first post waits for approval")
        ALL = "all", _("every customer post waits for approval")
        OFF = "off", _("posts appear at once")

    class Posting(models.TextChoices):
        CUSTOMERS = "customers", _("customers and staff")
        STAFF = "staff", _("staff only (customers read)")

    title = models.CharField(_("heading"), max_length=200, blank=True,
                             help_text=_("Empty: “How can we help?” with your company's name."))
    intro = models.TextField(_("introduction"), blank=True, max_length=2000,
                             help_text=_("A few words under the heading, e.g. hours of the hotline."))
    forum_moderation = models.CharField(_("forum moderation"), max_length=10, choices=Moderation.choices,
                                        default=Moderation.FIRST)
    forum_posting = models.CharField(_("who may post on the forum"), max_length=10, choices=Posting.choices,
                                     default=Posting.CUSTOMERS)
    customer_only_manuals = models.ManyToManyField(
        Product, blank=True, related_name="+", verbose_name=_("manuals for logged-in customers only"),
        help_text=_("The manuals of these products are not shown to visitors who are not logged in."))
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("help center settings")
        verbose_name_plural = _("help center settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="helpcentersettings_tenant_uniq")]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def of(cls, tenant) -> "HelpCenterSettings":
        """The tenant's settings, or the defaults (unsaved) when it never changed them."""
        return cls.objects.for_tenant(tenant).first() or cls(tenant=tenant)
