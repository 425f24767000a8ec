from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpcenterConfig(AppConfig):
    name = "helpcenter"
    verbose_name = _("Help center")

    def ready(self) -> None:
        from core import outbox
        from helpcenter.tasks import POST_ADDED, post_added_deliver

        outbox.handler_register(POST_ADDED, post_added_deliver)
