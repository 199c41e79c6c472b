from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "retour.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from retour.events.outbox import event_emitted
        from retour.notifications import jobs

        # The dispatcher job is enqueued inside the transaction that wrote the event.
        event_emitted.connect(jobs.on_event_emitted, dispatch_uid="notifications.dispatch")
