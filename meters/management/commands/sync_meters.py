"""python manage.py sync_meters [--full]: the meters sync, run here, a line per page."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leapdash.leap.client import LeapClient
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts, tracked_run
from meters.arrival import overdue_after
from meters.reconcile import reconcile
from meters.sync import sync_meters


class Command(BaseCommand):
    help = "Sync meters and enrollments from Leap now, then reconcile; a line per page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Re-read every meter.")

    def handle(self, *args: Any, full: bool, **options: Any) -> None:
        with tracked_run(SyncRun.Kind.METERS, full=full, trigger="command") as run:
            if run is None:
                raise CommandError("Another meters sync is running; try again later.")
            if run.resume_token:
                self.stdout.write("Resuming the previous run where it stopped.")

            def progress(counts: SyncCounts, next_token: str | None) -> None:
                run.page_done(counts, next_token)
                self.stdout.write(
                    f"page {counts.pages}: {counts.fetched} read, {counts.created} new, "
                    f"{counts.updated} updated, {counts.unchanged} unchanged, "
                    f"{counts.errors} errors"
                )

            counts = sync_meters(
                client=LeapClient.from_settings(),
                since=run.since,
                now=run.started_at,
                overdue_after=overdue_after(),
                full=full,
                resume_token=run.resume_token or None,
                on_page=progress,
            )
        result = reconcile(now=timezone.now(), overdue_after=overdue_after())
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {counts.fetched} read, {counts.created} new, {counts.updated} updated, "
                f"{counts.unchanged} unchanged, {counts.errors} unreadable. Reconciled: "
                + ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
            )
        )
        for skipped in counts.skipped[:20]:
            self.stdout.write(f"  skipped {skipped['id']}: {skipped['reason']}")
