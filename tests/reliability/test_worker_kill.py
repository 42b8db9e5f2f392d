"""kill -9 of a real Celery worker in the middle of a sync.

The worker is a real `celery -A leapdash worker` process on the test database and the Redis
broker; the sandbox answers the first request and holds the next ones until the worker has
been killed, so the kill lands after exactly one page, however loaded the machine. What must
hold afterwards: the dead run's lock frees itself within SYNC_LOCK_SECONDS, the next run marks
the abandoned one failed, resumes from its page token, and ends with the local tables exactly
equal to the sandbox.

What the broker does with the killed task (acks_late + reject_on_worker_lost) is observed here:
- a prefork pool child killed: the worker notices the lost child and requeues the message, so
  the task is delivered again at once, to the fresh child;
- the whole worker killed (solo pool): nobody is left to requeue; the message waits in Redis's
  `unacked` set until the visibility timeout (2 h) or the next beat's run does the work.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.cache import cache

from connections.tasks import sync_connections_task
from leapdash.leap.sandbox import chaos as sandbox_chaos
from leapdash.leap.sandbox.seeding import seed
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import _lock_key
from meters.tasks import sync_meters_task

from .conftest import (
    LOCK_SECONDS,
    assert_connections_match_sandbox,
    assert_meters_match_sandbox,
    chaos_off,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _running_with_a_page(kind: str) -> SyncRun | None:
    return SyncRun.objects.filter(kind=kind, status="running", pages_done__gte=1).first()


def _lock_ttl_ms(kind: str, redis_url: str) -> int:
    """Milliseconds left on the kind's lock (Redis's own expiry, no stopwatch): -2 if gone."""
    ttl: Any = redis.Redis.from_url(redis_url).pttl(cache.make_key(_lock_key(kind)))
    return int(ttl)


def _lock_freed(kind: str) -> None:
    _wait(lambda: cache.get(_lock_key(kind)) is None, LOCK_SECONDS + 30, "the lock to expire")


@pytest.fixture
def one_page_then_hold(monkeypatch) -> Iterator[threading.Event]:
    """With every answer made slow (chaos), the first is given at once and the others wait
    for this event: the sync writes one page, then stands still until the test releases it."""
    release = threading.Event()
    answered = itertools.count()

    def wait(seconds: float) -> None:
        if next(answered):
            release.wait(120)

    monkeypatch.setattr(sandbox_chaos, "wait_slow", wait)
    yield release
    release.set()


def test_a_killed_pool_child_is_redelivered_and_the_connections_sync_converges(
    start_worker, chaos, one_page_then_hold
):
    kind = SyncRun.Kind.CONNECTIONS
    seed(connections=2000, meters=0, seed=31)  # four pages of 500
    chaos(slow_rate=1.0, slow_seconds=1)
    worker = start_worker(pool="prefork")
    sync_connections_task.delay(full=True, trigger="beat")

    killed = _wait(lambda: _running_with_a_page(kind), 60, "a page to be written")
    (child,) = worker.children()
    os.kill(child, signal.SIGKILL)
    pages_at_kill = SyncRun.objects.get(pk=killed.pk).pages_done
    assert pages_at_kill == 1
    worker.wait_for("WorkerLostError", 20)
    one_page_then_hold.set()  # Leap answers at once from now on

    # the requeued message runs again on the respawned child: skipped while the dead run's
    # lock lasted, or (lock already gone) a run that closes the abandoned one and resumes it
    redelivered = _wait(
        lambda: SyncRun.objects.filter(kind=kind, pk__gt=killed.pk).first(), 30, "redelivery"
    )
    assert redelivered.trigger == "beat"
    if redelivered.status != SyncRun.Status.SKIPPED:
        _wait(lambda: SyncRun.objects.get(pk=redelivered.pk).status != "running", 60, "the rerun")
    worker.stop()

    chaos_off()
    # a redelivery that was skipped leaves the dead run's lock to expire on its own first
    _lock_freed(kind)
    sync_connections_task(full=True, trigger="manual")  # the next run, whatever happened
    runs = list(SyncRun.objects.filter(kind=kind).order_by("pk"))
    abandoned = runs[0]
    assert (abandoned.pk, abandoned.status) == (killed.pk, SyncRun.Status.FAILED)
    assert "worker stopped" in abandoned.error
    assert abandoned.pages_done == pages_at_kill >= 1
    resumed = next(r for r in runs if r.resumed_from_id == abandoned.pk)
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert resumed.fetched == 2000 - 500 * abandoned.pages_done  # picked up after the last page
    assert runs[-1].status == SyncRun.Status.SUCCEEDED
    assert_connections_match_sandbox()
    print(
        f"kill -9 of the pool child after {pages_at_kill} pages; redelivered run: "
        f"{redelivered.status}; runs: {[(r.trigger, r.status) for r in runs]}"
    )


def test_a_killed_worker_leaves_its_message_unacked_and_the_meters_sync_converges(
    start_worker, chaos, settings, one_page_then_hold
):
    kind = SyncRun.Kind.METERS
    made = seed(connections=700, meters=None, seed=32)
    assert made.meters > 500  # at least two pages of meters
    chaos(slow_rate=1.0, slow_seconds=1)
    worker = start_worker(pool="solo")  # the task runs in the worker process itself
    sync_meters_task.delay(full=True, trigger="beat")

    killed = _wait(lambda: _running_with_a_page(kind), 60, "a page to be written")
    os.kill(worker.pid, signal.SIGKILL)
    worker.process.wait(10)
    pages_at_kill = SyncRun.objects.get(pk=killed.pk).pages_done
    assert pages_at_kill == 1
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert broker.hlen("unacked") == 1  # not acked, not requeued: parked until the timeout
    # the dead run's lock carries its own expiry of at most SYNC_LOCK_SECONDS: it frees itself
    ttl = _lock_ttl_ms(kind, settings.REDIS_URL)
    assert ttl == -2 or 0 < ttl <= LOCK_SECONDS * 1000  # -2: already gone
    _lock_freed(kind)
    one_page_then_hold.set()

    chaos_off()
    sync_meters_task(full=True, trigger="manual")
    runs = list(SyncRun.objects.filter(kind=kind).order_by("pk"))
    assert [(r.trigger, r.status) for r in runs] == [("beat", "failed"), ("manual", "succeeded")]
    assert "worker stopped" in runs[0].error
    assert runs[1].resumed_from_id == runs[0].pk or not runs[0].page_token
    assert_meters_match_sandbox()
    print(f"kill -9 of a solo worker after {pages_at_kill} pages; lock had {ttl} ms left")
