from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Tenancy, people, audit, API tokens and the delivery of webhooks: the bottom layer.

    The label stays ``helpdesk``: the tables (``helpdesk_tenant``…), ``AUTH_USER_MODEL`` and the
    migration history were created under it before this app had a folder of its own.
    """

    name = "core"
    label = "helpdesk"
    verbose_name = _("Tenants and people")

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from core import cache_versions, page_cache, tenancy_cache
        from core.models import Contact, ContactEmail, ContactPhone, Membership, Organization, User
        from core.rest import strict

        strict.install()
        request_started.connect(cache_versions.begin_request, dispatch_uid="cache-versions-begin")
        request_finished.connect(cache_versions.end_request, dispatch_uid="cache-versions-end")
        tenancy_cache.connect()
        # the ticket page's contacts of the organization, the staff a ticket may be assigned to and the
        # queue's filter choices
        page_cache.invalidate_on([Contact, ContactEmail, ContactPhone, Membership, Organization])
        page_cache.invalidate_on([User], tenant_ids=lambda user: list(
            Membership.objects.filter(user_id=user.pk).values_list("tenant_id", flat=True)))
