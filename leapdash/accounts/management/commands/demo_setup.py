"""Prepare the demo: a user holding both roles and, when the sandbox is on, its seed data.

Safe to run again: the user is updated, not duplicated, and the sandbox seeds only once.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import BaseCommand, call_command, get_commands

from leapdash.accounts.roles import ROLES

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "leapdash-demo"


class Command(BaseCommand):
    help = "Create the demo user (both roles) and seed the Leap sandbox for `make demo`."

    def handle(self, *args: Any, **options: Any) -> None:
        user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.is_staff = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(*Group.objects.filter(name__in=ROLES))
        if settings.LEAP_SANDBOX and "sandbox" in get_commands():
            call_command("sandbox", "demo")
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  leapdash demo: http://127.0.0.1:8000/  "
                f"user {DEMO_USERNAME!r}  password {DEMO_PASSWORD!r}\n"
            )
        )
