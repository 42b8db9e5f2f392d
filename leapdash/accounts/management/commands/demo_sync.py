"""Fill the demo dashboard once its server is up: sync connections and meters from the
embedded sandbox over HTTP, exactly as the hourly jobs would."""

from __future__ import annotations

import time
from typing import Any

import requests
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command

from meters.partners import derive_from_links


class Command(BaseCommand):
    help = "Wait for the demo server, then run the connections and meters syncs once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--wait", type=float, default=60.0, help="Seconds to wait for it.")

    def handle(self, *args: Any, wait: float, **options: Any) -> None:
        url = settings.LEAP_API_BASE_URL.rstrip("/") + "/v1.1/connections?page-size=1"
        deadline = time.monotonic() + wait
        while True:
            try:
                requests.get(
                    url, timeout=2, headers={"Authorization": f"Bearer {settings.LEAP_API_KEY}"}
                )
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise CommandError(f"The demo server did not answer at {url}.") from None
                time.sleep(0.5)
        call_command("sync_connections", stdout=self.stdout)
        # The partner's records come from the links "sent" to the demo customers, so that the
        # meters sync's reconciliation has both sides to match.
        derive_from_links()
        call_command("sync_meters", stdout=self.stdout)
