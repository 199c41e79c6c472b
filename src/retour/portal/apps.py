from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "retour.portal"
    label = "portal"
    verbose_name = _("Shopper portal")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from retour.commerce.models import Store
        from retour.portal.pages import forget_stores

        post_save.connect(forget_stores, sender=Store, dispatch_uid="portal-forget-stores")
        post_delete.connect(forget_stores, sender=Store, dispatch_uid="portal-forget-stores-del")
