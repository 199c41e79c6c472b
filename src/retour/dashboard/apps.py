from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "retour.dashboard"
    label = "dashboard"
    verbose_name = _("Staff dashboard")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from retour.dashboard.views.common import mark_seen

        # Every sign-in (the dashboard's, the admin's) starts the idle clock in the new session.
        user_logged_in.connect(
            lambda sender, request, user, **kwargs: mark_seen(request),
            weak=False,
            dispatch_uid="retour.dashboard.mark_seen",
        )
