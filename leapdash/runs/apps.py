from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "leapdash.runs"
    label = "runs"
    verbose_name = "Sync runs"
