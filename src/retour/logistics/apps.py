from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "retour.logistics"
    label = "logistics"
    verbose_name = _("Logistics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from retour.events.outbox import event_emitted
        from retour.logistics import jobs

        # An approved return gets its label from a job enqueued in the approving transaction.
        event_emitted.connect(jobs.on_event_emitted, dispatch_uid="logistics.labels")
