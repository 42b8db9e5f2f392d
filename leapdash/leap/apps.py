from django.apps import AppConfig


class LeapConfig(AppConfig):
    """Leap's API client and records; installed only for its `leap` management command."""

    name = "leapdash.leap"
    label = "leap"
    verbose_name = "Leap API"
