from django.apps import AppConfig


class LeapConfig(AppConfig):
    """Leap's API client and records; installed for its `leap` management command and the
    sandbox's deployment checks."""

    name = "leapdash.leap"
    label = "leap"
    verbose_name = "Leap API"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers them)
