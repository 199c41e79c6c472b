from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "retour.refunds"
    label = "refunds"
    verbose_name = _("Refunds")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from retour.events.outbox import event_emitted
        from retour.refunds import jobs

        # Refunds start, and are sent, from jobs enqueued in the transaction of the change.
        event_emitted.connect(jobs.on_event_emitted, dispatch_uid="refunds.jobs")
