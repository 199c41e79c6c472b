from django.urls import path

from retour.connectors import views

app_name = "connectors"

urlpatterns = [
    path("<slug:store>/<slug:platform>/webhook", views.webhook, name="webhook"),
]
