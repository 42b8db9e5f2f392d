"""tracked_run against the real Redis cache and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import LockLost, SyncCounts, tracked_run

KIND = SyncRun.Kind.CONNECTIONS
LOCK_KEY = "sync-lock:connections"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_of_one_kind_let_exactly_one_through():
    inside = threading.Event()
    release = threading.Event()
    outcome: dict[str, object] = {}

    def first():
        try:
            with tracked_run(KIND, trigger="beat") as run:
                outcome["first"] = run
                inside.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=first)
    worker.start()
    assert inside.wait(10)
    with tracked_run(KIND, trigger="manual") as second:
        outcome["second"] = second
    release.set()
    worker.join(10)

    assert outcome["first"] is not None
    assert outcome["second"] is None
    statuses = sorted(SyncRun.objects.values_list("trigger", "status"))
    assert statuses == [("beat", "succeeded"), ("manual", "skipped")]


@pytest.mark.django_db(transaction=True)
def test_runs_of_different_kinds_do_not_block_each_other():
    with tracked_run(SyncRun.Kind.CONNECTIONS) as a, tracked_run(SyncRun.Kind.METERS) as b:
        assert a is not None
        assert b is not None


@pytest.mark.django_db(transaction=True)
def test_a_failure_is_recorded_and_re_raised_and_frees_the_lock():
    def body():
        with tracked_run(KIND) as run:
            assert run is not None
            run.page_done(SyncCounts(fetched=10, created=4, pages=2), next_token="tok+en/=")
            raise ValueError("page 3 broke\nwith a traceback line")

    with pytest.raises(ValueError, match="page 3 broke"):
        body()
    failed = SyncRun.objects.get()
    assert failed.status == SyncRun.Status.FAILED
    assert failed.error == "ValueError: page 3 broke"
    assert (failed.fetched, failed.created, failed.pages_done) == (10, 4, 2)
    assert failed.page_token == "tok+en/="
    assert failed.finished_at is not None
    with tracked_run(KIND) as again:
        assert again is not None


@pytest.mark.django_db(transaction=True)
def test_the_next_run_resumes_a_failed_run_from_its_page_token():
    def body():
        with tracked_run(KIND) as run:
            assert run is not None
            run.page_done(SyncCounts(pages=3), next_token="page-4-token")
            raise RuntimeError("Leap kept answering 503")

    with pytest.raises(RuntimeError):
        body()
    failed = SyncRun.objects.get()
    with tracked_run(KIND) as resumed:
        assert resumed is not None
        assert resumed.resume_token == "page-4-token"
        assert resumed.run.resumed_from == failed
        assert resumed.since == failed.since


@pytest.mark.django_db(transaction=True)
def test_an_incremental_run_reads_from_an_hour_before_the_last_good_run():
    with tracked_run(KIND) as first:
        assert first is not None
        assert first.since is None
    good = SyncRun.objects.get()
    with tracked_run(KIND) as second:
        assert second is not None
        assert second.since == good.started_at - timedelta(hours=1)
    with tracked_run(KIND, full=True) as full:
        assert full is not None
        assert full.since is None


def _lock_ttl_ms() -> int:
    """What Redis itself says is left of the lock: no stopwatch, no sleeping past it."""
    ttl: Any = redis.Redis.from_url(settings.REDIS_URL).pttl(cache.make_key(LOCK_KEY))
    return int(ttl)


@pytest.mark.django_db(transaction=True)
def test_a_run_holds_its_lock_with_an_expiry_of_sync_lock_seconds(settings):
    settings.SYNC_LOCK_SECONDS = 90
    with tracked_run(KIND) as run:
        assert run is not None
        assert 80_000 < _lock_ttl_ms() <= 90_000  # a killed worker's lock frees itself
    assert _lock_ttl_ms() == -2  # released at the end


@pytest.mark.django_db(transaction=True)
def test_a_dead_workers_lock_expires_and_its_run_is_closed(settings):
    # A worker took the lock and was killed: its lock and its "running" row are left behind.
    cache.add(LOCK_KEY, "dead-worker", 60)
    SyncRun.objects.create(kind=KIND, started_at=timezone.now())
    with tracked_run(KIND) as blocked:
        assert blocked is None
    cache.delete(LOCK_KEY)  # what Redis does once the lock's expiry has passed
    with tracked_run(KIND) as run:
        assert run is not None
    abandoned = SyncRun.objects.filter(error__contains="worker stopped").get()
    assert abandoned.status == SyncRun.Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_page_done_stops_a_run_whose_lock_was_taken_over():
    def body():
        with tracked_run(KIND) as run:
            assert run is not None
            cache.set("sync-lock:connections", "someone-else", 60)
            run.page_done(SyncCounts(pages=1))

    with pytest.raises(LockLost):
        body()
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED
    assert cache.get("sync-lock:connections") == "someone-else"


@pytest.mark.django_db(transaction=True)
def test_page_done_renews_the_lock(settings):
    settings.SYNC_LOCK_SECONDS = 90
    client = redis.Redis.from_url(settings.REDIS_URL)
    with tracked_run(KIND) as run:
        assert run is not None
        for _ in range(3):
            client.pexpire(cache.make_key(LOCK_KEY), 500)  # nearly expired, as after a long page
            run.page_done(SyncCounts(pages=1))
            assert _lock_ttl_ms() > 80_000  # a full SYNC_LOCK_SECONDS again
