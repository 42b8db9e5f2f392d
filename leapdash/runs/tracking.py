"""tracked_run: single-flight sync runs with a lock in the shared cache and a SyncRun record.

A run takes a non-blocking lock per kind (cache.add) whose short expiry page_done renews, so a
worker killed mid-run frees the lock within SYNC_LOCK_SECONDS. While it runs, each page updates
the SyncRun's counts, progress and resume token; an exception is recorded, then re-raised.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from leapdash.db import is_postgresql

from .models import SyncRun

log = logging.getLogger(__name__)

# Leap refreshes Connect data hourly, so an incremental run re-reads the hour before the last
# good run started: a record written late in Leap's refresh is still picked up.
SYNC_OVERLAP = timedelta(hours=1)
MAX_SKIPPED_KEPT = 200
# The error of a run that never started because the cache was down; the next run ignores it
# when looking for a failed run to resume.
NO_LOCK = "Could not take the sync lock, the cache is unreachable"


class LockLost(RuntimeError):
    """Another process took this kind's lock: this run must stop writing."""


@dataclass
class SyncCounts:
    """What a sync saw and wrote; kept by the sync code, copied to the SyncRun per page."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    retries: int = 0
    pages: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)

    def skip(self, record_id: str, reason: str) -> None:
        """Count a record that could not be read; keep the first few for the run's report."""
        self.errors += 1
        if len(self.skipped) < MAX_SKIPPED_KEPT:
            self.skipped.append({"id": record_id[:200], "reason": reason[:500]})


def _lock_key(kind: str) -> str:
    return f"sync-lock:{kind}"


class RunHandle:
    """What the body of `with tracked_run(...)` gets: the run, its window and page_done."""

    def __init__(self, run: SyncRun, token: str, resume_token: str) -> None:
        self.run = run
        self._token = token
        self.resume_token = resume_token

    @property
    def since(self) -> datetime | None:
        return self.run.since

    @property
    def started_at(self) -> datetime:
        return self.run.started_at

    @property
    def full(self) -> bool:
        return self.run.full

    def page_done(self, counts: SyncCounts, next_token: str | None = None) -> None:
        """Record one page's progress and renew the lock; raise LockLost if it was taken."""
        self._renew()
        _copy_counts(self.run, counts)
        self.run.page_token = next_token or ""
        with transaction.atomic():
            commit_without_waiting_for_disk()
            self.run.save(update_fields=[*COUNT_FIELDS, "page_token"])

    def _renew(self) -> None:
        key = _lock_key(self.run.kind)
        if cache.get(key) != self._token:
            raise LockLost(f"the {self.run.kind} lock expired or was taken by another run")
        cache.touch(key, settings.SYNC_LOCK_SECONDS)


def commit_without_waiting_for_disk() -> None:
    """Inside a transaction: its commit returns before PostgreSQL has flushed it to disk.

    For sync pages and their progress: a crash may lose the last few, which are then read
    again from Leap (the writes are idempotent). PostgreSQL makes commits durable in order, so
    a stored resume token never skips a page that was lost. Nothing to do elsewhere."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


COUNT_FIELDS = [
    "fetched",
    "created",
    "updated",
    "unchanged",
    "errors",
    "retries",
    "pages_done",
    "skipped_records",
]


def _copy_counts(run: SyncRun, counts: SyncCounts) -> None:
    run.fetched = counts.fetched
    run.created = counts.created
    run.updated = counts.updated
    run.unchanged = counts.unchanged
    run.errors = counts.errors
    run.retries = counts.retries
    run.pages_done = counts.pages
    run.skipped_records = counts.skipped


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    return text[:1000]


def _close_abandoned(kind: str, now: datetime) -> None:
    """Runs still marked running while nobody holds the lock died with their worker."""
    SyncRun.objects.filter(kind=kind, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.FAILED,
        finished_at=now,
        error="The worker stopped before the run finished (lock expired).",
    )


def _window(kind: str, full: bool) -> tuple[datetime | None, SyncRun | None]:
    """The `since` of a new run, and the failed run it should resume, if any."""
    last_good = (
        SyncRun.objects.filter(kind=kind, status=SyncRun.Status.SUCCEEDED)
        .order_by("-started_at")
        .first()
    )
    since = None if full or last_good is None else last_good.started_at - SYNC_OVERLAP
    latest = (
        SyncRun.objects.filter(kind=kind)
        .exclude(status=SyncRun.Status.SKIPPED)
        .exclude(error__startswith=NO_LOCK)
        .order_by("-started_at", "-pk")
        .first()
    )
    if latest and latest.status == SyncRun.Status.FAILED and latest.page_token:
        if latest.full == full:
            return latest.since, latest
    return since, None


@contextmanager
def tracked_run(kind: str, *, full: bool = False, trigger: str = "") -> Iterator[RunHandle | None]:
    """Run one sync of `kind` at most once at a time; yield None when another run holds it.

    The SyncRun ends succeeded when the body returns, failed (with the error) when it raises;
    the exception is re-raised. A failed run with a page token is resumed by the next run of
    the same kind and mode.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    try:
        locked = cache.add(_lock_key(kind), token, settings.SYNC_LOCK_SECONDS)
    except Exception as exc:
        # the cache (Redis) is down: leave a failed run saying so, not just a task traceback
        _never_ran(kind, full, trigger, now, SyncRun.Status.FAILED, f"{NO_LOCK}: {_one_line(exc)}")
        raise
    if not locked:
        _never_ran(
            kind,
            full,
            trigger,
            now,
            SyncRun.Status.SKIPPED,
            "Another sync of this kind was running.",
        )
        log.info("sync %s skipped: another run holds the lock", kind)
        yield None
        return
    try:
        handle = _start(kind, full, trigger, now, token)
        try:
            yield handle
        except BaseException as exc:
            _failed(handle.run, exc)
            raise
        _succeeded(handle.run)
    finally:
        if cache.get(_lock_key(kind)) == token:
            cache.delete(_lock_key(kind))


def _never_ran(
    kind: str, full: bool, trigger: str, now: datetime, status: SyncRun.Status, error: str
) -> None:
    SyncRun.objects.create(
        kind=kind,
        full=full,
        trigger=trigger,
        status=status,
        started_at=now,
        finished_at=now,
        error=error,
    )


def _start(kind: str, full: bool, trigger: str, now: datetime, token: str) -> RunHandle:
    """With the lock held: close runs that died, and open this one (resuming a failed one)."""
    _close_abandoned(kind, now)
    since, resumed = _window(kind, full)
    run = SyncRun.objects.create(
        kind=kind, full=full, trigger=trigger, started_at=now, since=since, resumed_from=resumed
    )
    return RunHandle(run, token, resumed.page_token if resumed else "")


def _failed(run: SyncRun, exc: BaseException) -> None:
    run.status = SyncRun.Status.FAILED
    run.error = _one_line(exc)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    log.warning("sync %s failed after %s pages: %s", run.kind, run.pages_done, run.error)


def _succeeded(run: SyncRun) -> None:
    run.status = SyncRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.page_token = ""
    run.save(update_fields=["status", "finished_at", "page_token"])


# The kinds that run on their own schedule. Enrollments and the meters of completed
# connections are read inside the meters run, so they never get a run (nor a health card) of
# their own.
SCHEDULED_KINDS: tuple[str, ...] = (SyncRun.Kind.CONNECTIONS, SyncRun.Kind.METERS)


def last_runs() -> dict[str, SyncRun]:
    """The newest non-skipped run of each kind, for the home page and sync health."""
    runs: dict[str, SyncRun] = {}
    for kind in SCHEDULED_KINDS:
        run = SyncRun.objects.filter(kind=kind).exclude(status=SyncRun.Status.SKIPPED).first()
        if run is not None:
            runs[kind] = run
    return runs


def last_success_at(kind: str) -> datetime | None:
    run = SyncRun.objects.filter(kind=kind, status=SyncRun.Status.SUCCEEDED).first()
    return run.finished_at if run else None


@dataclass(frozen=True)
class Freshness:
    """How old one kind's data is: the one meaning of "stale" on every page, probe and alert."""

    kind: str
    label: str
    last_success_at: datetime | None
    stale: bool

    def age_seconds(self, now: datetime) -> float | None:
        if self.last_success_at is None:
            return None
        return (now - self.last_success_at).total_seconds()


def is_stale(last_success: datetime | None, now: datetime, stale_hours: float) -> bool:
    """Stale: no good run ever, or the last good one ended more than stale_hours ago."""
    return last_success is None or now - last_success > timedelta(hours=stale_hours)


def freshness(now: datetime) -> list[Freshness]:
    """Each scheduled kind's last good run and whether it is stale (SYNC_STALE_WARNING_HOURS)."""
    labels = dict(SyncRun.Kind.choices)
    result = []
    for kind in SCHEDULED_KINDS:
        at = last_success_at(kind)
        stale = is_stale(at, now, settings.SYNC_STALE_WARNING_HOURS)
        result.append(Freshness(kind, str(labels[kind]), at, stale))
    return result
