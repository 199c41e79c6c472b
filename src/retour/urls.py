from django.contrib import admin
from django.urls import include, path

from retour.api.api import api
from retour.core.health import healthz
from retour.notifications.views import queue_health

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/queue", queue_health, name="healthz-queue"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("returns/", include("retour.portal.urls")),
    path("dashboard/", include("retour.dashboard.urls")),
    path("connectors/", include("retour.connectors.urls")),
]
