from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Plans and calendars")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from core.tenancy_cache import bump_now_and_on_commit
        from core import page_cache
        from plans.models import (Calendar, CalendarDate, CalendarWindow, Plan, PlanTerms, Product, Subscription,
                                  SubscriptionAddon, SubscriptionChange)

        # the product names of the ticket page are cached with the tenancy answers
        post_save.connect(bump_now_and_on_commit, sender=Product, dispatch_uid="tenancy-save-Product")
        post_delete.connect(bump_now_and_on_commit, sender=Product, dispatch_uid="tenancy-delete-Product")
        # the plan in force of the pages (plans.selectors.plan_in_force_for_page)
        page_cache.invalidate_on([Plan, PlanTerms, Calendar, Subscription, SubscriptionAddon, SubscriptionChange])
        page_cache.invalidate_on([CalendarWindow, CalendarDate], tenant_ids=lambda row: list(
            Calendar.objects.filter(pk=row.calendar_id).values_list("tenant_id", flat=True)))
