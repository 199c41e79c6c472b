from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "retour.connectors"
    label = "connectors"
    verbose_name = _("Shop platform connectors")

    def ready(self) -> None:
        from retour.connectors import receivers  # noqa: F401 - connects to event_emitted
