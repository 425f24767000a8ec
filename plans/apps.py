from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Plans and calendars")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from core.tenancy_cache import bump_now_and_on_commit
        from plans.models import Product

        # the product names of the ticket page are cached with the tenancy answers
        post_save.connect(bump_now_and_on_commit, sender=Product, dispatch_uid="tenancy-save-Product")
        post_delete.connect(bump_now_and_on_commit, sender=Product, dispatch_uid="tenancy-delete-Product")
