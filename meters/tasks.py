"""Thin Celery tasks: take the run, call the sync (or the reconciliation), stop."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from connections import overview
from leapdash.leap.client import LeapClient
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import tracked_run

from .arrival import overdue_after
from .reconcile import reconcile, reconcile_touched
from .sync import refetch_meters, sync_meters


@shared_task(
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.SYNC_TASK_TIME_LIMIT,
)
def sync_meters_task(full: bool = False, trigger: str = "beat") -> None:
    """Hourly: meters and enrollments changed since the last good run, the meters of completed
    connections, then a reconciliation. Daily with full=True: every meter re-read."""
    with tracked_run(SyncRun.Kind.METERS, full=full, trigger=trigger) as run:
        if run is None:
            return  # another worker holds the lock; the run was recorded as skipped
        with LeapClient.from_settings() as client:
            sync_meters(
                client=client,
                since=run.since,
                now=run.started_at,
                overdue_after=overdue_after(),
                full=full,
                resume_token=run.resume_token or None,
                on_page=run.page_done,
            )
    # meters arrived, and completed connections moved to or from "meters overdue"
    overview.refresh(funnel=True)
    # hourly, what the sync (and everything since the last pass) touched; daily, everything
    if full:
        reconcile(now=timezone.now(), overdue_after=overdue_after())
    else:
        reconcile_touched(now=timezone.now(), overdue_after=overdue_after())


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, time_limit=10 * 60)
def refetch_meters_task(meter_ids: list[str]) -> None:
    """Re-read a few meters (the admin's action); outside tracked_run like the connections
    refresh: idempotent upserts, and it must not count as a full listing."""
    with LeapClient.from_settings() as client:
        refetch_meters(client=client, meter_ids=meter_ids, now=timezone.now())


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60)
def reconcile_task(user_id: int | None = None) -> None:
    reconcile(now=timezone.now(), overdue_after=overdue_after(), user_id=user_id)
