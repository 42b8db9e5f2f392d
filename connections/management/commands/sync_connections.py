"""python manage.py sync_connections [--full] [--ref-id X ...]: the hourly sync, run here."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from connections.sync import sync_connections
from leapdash.leap.client import LeapClient
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts, tracked_run


class Command(BaseCommand):
    help = "Sync connections from Leap's Connect API now, printing a line per page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Re-read every connection.")
        parser.add_argument(
            "--ref-id",
            action="append",
            dest="ref_ids",
            default=[],
            help="Re-read only this refId (repeatable); not recorded as a sync run.",
        )

    def handle(self, *args: Any, full: bool, ref_ids: list[str], **options: Any) -> None:
        if ref_ids:
            counts = sync_connections(
                client=LeapClient.from_settings(),
                since=None,
                now=timezone.now(),
                ref_ids=ref_ids,
                on_page=self._progress,
            )
            self._summary(counts)
            return
        with tracked_run(SyncRun.Kind.CONNECTIONS, full=full, trigger="command") as run:
            if run is None:
                raise CommandError("Another connections sync is running; try again later.")
            if run.resume_token:
                self.stdout.write("Resuming the previous run where it stopped.")

            def progress(counts: SyncCounts, next_token: str | None) -> None:
                run.page_done(counts, next_token)
                self._progress(counts, next_token)

            counts = sync_connections(
                client=LeapClient.from_settings(),
                since=run.since,
                now=run.started_at,
                resume_token=run.resume_token or None,
                on_page=progress,
            )
        self._summary(counts)

    def _progress(self, counts: SyncCounts, next_token: str | None) -> None:
        self.stdout.write(
            f"page {counts.pages}: {counts.fetched} read, {counts.created} new, "
            f"{counts.updated} updated, {counts.unchanged} unchanged, {counts.errors} errors"
        )

    def _summary(self, counts: SyncCounts) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {counts.fetched} read, {counts.created} new, {counts.updated} updated, "
                f"{counts.unchanged} unchanged, {counts.errors} unreadable."
            )
        )
        for skipped in counts.skipped[:20]:
            self.stdout.write(f"  skipped {skipped['id']}: {skipped['reason']}")
