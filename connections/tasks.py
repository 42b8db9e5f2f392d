"""Thin Celery tasks: take the run, call the sync, stop."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from leapdash.leap.client import LeapClient
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import tracked_run

from . import overview
from .hooks import LOCK_SECONDS, HookUnavailable, post_due_touches
from .reclassify import reclassify, reclassify_due
from .sync import sync_connections


@shared_task(
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.SYNC_TASK_TIME_LIMIT,
)
def sync_connections_task(full: bool = False, trigger: str = "beat") -> None:
    """The hourly (or ops-triggered) sync of every connection changed since the last good one."""
    with tracked_run(SyncRun.Kind.CONNECTIONS, full=full, trigger=trigger) as run:
        if run is None:
            return  # another worker holds the lock; the run was recorded as skipped
        with LeapClient.from_settings() as client:
            sync_connections(
                client=client,
                since=run.since,
                now=run.started_at,
                resume_token=run.resume_token or None,
                on_page=run.page_done,
            )
        # verdicts that changed with the clock, a new link or flow setting, or the rules
        reclassify_due(run.started_at)
    overview.refresh(funnel=True)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, time_limit=10 * 60)
def refresh_connections_task(ref_ids: list[str]) -> None:
    """Re-read a few refIds (a webhook, the admin's refresh action).

    Deliberately outside tracked_run: it must not wait for, nor be skipped by, the hourly
    sync, and it must not count as the last good full listing that the next `since` is
    computed from. Its upserts are idempotent, so overlapping with a running sync is safe.
    """
    with LeapClient.from_settings() as client:
        sync_connections(client=client, since=None, now=timezone.now(), ref_ids=ref_ids)
    overview.forget_all()  # a webhook's refresh: the next page works the counts out


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, time_limit=10 * 60)
def reclassify_connections_task(ref_ids: list[str]) -> None:
    """Classify these refIds again from their stored records (a link or a flow changed)."""
    reclassify(ref_ids, now=timezone.now())
    overview.forget_all()


@shared_task(
    name="connections.hooks.post_due_touches_task",  # its name before it moved here
    ignore_result=True,
    autoretry_for=(HookUnavailable,),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=5,
    time_limit=LOCK_SECONDS,
)
def post_due_touches_task() -> None:
    """Every 15 minutes (beat): post the due touches. A receiver that is unavailable is retried
    with backoff, at most five times; the same keys go again, so nothing is sent twice."""
    post_due_touches(timezone.now())
    overview.refresh()
