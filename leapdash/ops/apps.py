from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "leapdash.ops"
    label = "ops"
    verbose_name = "Operations"
