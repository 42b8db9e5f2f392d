"""Fill the demo dashboard once its server is up: sync connections and meters from the
embedded sandbox over HTTP, exactly as the hourly jobs would."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import BaseCommand, CommandError, call_command

from leapdash.leap.client import LeapClient
from leapdash.leap.errors import LeapServerError
from meters.partners import derive_from_links


class Command(BaseCommand):
    help = "Wait for the demo server, then run the connections and meters syncs once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--wait", type=float, default=60.0, help="Seconds to wait for it.")

    def handle(self, *args: Any, wait: float, **options: Any) -> None:
        client = LeapClient.from_settings(timeout=2, max_retries=0)  # this loop is the retry
        deadline = time.monotonic() + wait
        with client:
            while True:
                try:
                    client.ping()
                    break
                except LeapServerError:
                    if time.monotonic() > deadline:
                        raise CommandError(
                            f"The demo server did not answer at {client.base_url}."
                        ) from None
                    time.sleep(0.5)
        call_command("sync_connections", stdout=self.stdout)
        # The partner's records come from the links "sent" to the demo customers, so that the
        # meters sync's reconciliation has both sides to match.
        derive_from_links()
        call_command("sync_meters", stdout=self.stdout)
