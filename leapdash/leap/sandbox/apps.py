from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "leapdash.leap.sandbox"
    label = "sandbox"
    verbose_name = "Leap sandbox"
