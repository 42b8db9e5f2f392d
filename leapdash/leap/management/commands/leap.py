"""`manage.py leap ping | connections | meters`: look at Leap through the client, for ops.

ping checks the configured base URL and key; connections and meters print the records exactly as
Leap sent them, as JSON on stdout, with unreadable records and unknown values noted on stderr.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leapdash.leap.client import LeapClient, LeapError, Page

ENVIRONMENTS = {"api.leap.energy": "production", "api.staging.leap.energy": "staging"}


def environment(base_url: str) -> str:
    host = urlsplit(base_url).hostname or ""
    return ENVIRONMENTS.get(host, "not Leap's own servers (the local sandbox?)")


class Command(BaseCommand):
    help = "Talk to Leap with the configured key: ping, or print connections or meters as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("ping", help="check the base URL and whether Leap accepts the key")
        connections = sub.add_parser("connections", help="print Connect API entries as JSON")
        connections.add_argument(
            "--ref-id", action="append", required=True, dest="ref_ids", help="repeatable"
        )
        meters = sub.add_parser("meters", help="print meters (or their enrollments) as JSON")
        meters.add_argument(
            "--partner-reference",
            action="append",
            required=True,
            dest="partner_references",
            help="repeatable",
        )
        meters.add_argument(
            "--enrollments", action="store_true", help="print enrollment status instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client = LeapClient.from_settings()
        try:
            if options["action"] == "ping":
                self._ping(client)
            elif options["action"] == "connections":
                self._print(client.iter_connections(ref_ids=options["ref_ids"]))
            elif options["enrollments"]:
                refs = options["partner_references"]
                self._print(client.iter_enrollments(partner_references=refs))
            else:
                self._print(client.iter_meters(partner_references=options["partner_references"]))
        except LeapError as exc:
            raise CommandError(f"Leap: {exc}") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        finally:
            client.close()

    def _ping(self, client: LeapClient) -> None:
        self.stdout.write(f"Leap API: {client.base_url} ({environment(client.base_url)})")
        started = time.monotonic()
        client.ping()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Key accepted (answered in {elapsed:.2f}s)."))

    def _print(self, pages: Iterator[Page[Any]]) -> None:
        found = []
        for page in pages:
            for error in page.errors:
                self.stderr.write(f"unreadable record skipped: {error}")
            for record in page.records:
                if record.unknown_values:
                    values = ", ".join(record.unknown_values)
                    self.stderr.write(f"values leapdash does not know yet: {values}")
                found.append(record.raw)
        self.stdout.write(json.dumps(found, indent=2, sort_keys=True))
        self.stderr.write(f"{len(found)} record(s)")
