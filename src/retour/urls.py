from django.contrib import admin
from django.urls import path

from retour.api.api import api
from retour.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
