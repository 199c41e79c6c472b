from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "retour.demo"
    label = "demo"
    verbose_name = "Demo shop"
