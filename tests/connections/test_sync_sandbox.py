"""The connections sync end to end: the real LeapClient over real HTTP to the sandbox.

The sandbox runs in live_server's thread; the sync runs in the test's thread, so
CaptureQueriesContext on the test's connection sees exactly the sync's own queries.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import Connection
from connections.sync import sync_connections
from connections.tasks import sync_connections_task
from leapdash.leap.client import LeapClient
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.scenarios import SCENARIO_LIST
from leapdash.leap.sandbox.seeding import seed
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts, tracked_run

from .sandbox_checks import assert_connections_match_sandbox

pytestmark = pytest.mark.django_db(transaction=True)

KIND = SyncRun.Kind.CONNECTIONS


@pytest.fixture
def leap(live_server, settings):
    """Point leapdash at the sandbox served by live_server (what the task's client reads)."""
    settings.LEAP_API_BASE_URL = live_server.url + "/sandbox/api"
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY
    return LeapClient(settings.LEAP_API_BASE_URL, settings.LEAP_API_KEY, max_retries=0)


def _runs():
    return list(SyncRun.objects.order_by("started_at", "pk"))


def test_five_thousand_seeded_connections_sync_exactly_and_a_second_sync_writes_nothing(leap):
    seed(connections=5000, meters=0, seed=11)
    seeded = set(sandbox.Connection.objects.values_list("scenario", flat=True))
    assert seeded == {s.name for s in SCENARIO_LIST if s.seed_weight}  # every scenario is in
    per_page: list[int] = []

    def run(full: bool) -> SyncCounts:
        with tracked_run(KIND, full=full, trigger="test") as handle:
            assert handle is not None
            with CaptureQueriesContext(db) as queries:

                def on_page(counts: SyncCounts, token: str | None) -> None:
                    handle.page_done(counts, token)
                    per_page.append(len(queries.captured_queries))

                return sync_connections(
                    client=leap, since=handle.since, now=handle.started_at, on_page=on_page
                )

    first = run(full=True)
    verdicts = Counter(Connection.objects.values_list("next_action", flat=True))
    assert "REVIEW_UNKNOWN" not in verdicts  # every scenario maps onto one of Leap's steps
    assert (first.fetched, first.created, first.updated, first.errors) == (5000, 5000, 0, 0)
    assert first.pages == 10
    assert_connections_match_sandbox()
    # every full page costs the same queries: no per-row work
    sizes = [b - a for a, b in zip([0, *per_page], per_page, strict=False)]
    assert len(set(sizes)) == 1, sizes

    per_page.clear()
    second = run(full=True)
    assert (second.fetched, second.created, second.updated, second.unchanged) == (5000, 0, 0, 5000)
    sizes = [b - a for a, b in zip([0, *per_page], per_page, strict=False)]
    assert len(set(sizes)) == 1, sizes
    assert [(r.status, r.created, r.updated, r.unchanged) for r in _runs()] == [
        ("succeeded", 5000, 0, 0),
        ("succeeded", 0, 0, 5000),
    ]
    # the task (incremental, from the last good run) agrees and writes nothing either
    sync_connections_task(trigger="test")
    last = _runs()[-1]
    assert (last.status, last.full, last.created, last.updated) == ("succeeded", False, 0, 0)


def test_a_sync_interrupted_after_page_three_resumes_where_it_stopped(leap):
    seed(connections=2000, meters=0, seed=12)

    with pytest.raises(RuntimeError, match="worker lost"):  # noqa: PT012
        with tracked_run(KIND, full=True, trigger="test") as handle:
            assert handle is not None

            def on_page(counts: SyncCounts, token: str | None) -> None:
                handle.page_done(counts, token)
                if counts.pages == 3:
                    raise RuntimeError("worker lost")

            sync_connections(client=leap, since=None, now=handle.started_at, on_page=on_page)
    failed = _runs()[0]
    assert (failed.status, failed.created, failed.pages_done) == ("failed", 1500, 3)
    assert failed.page_token
    assert Connection.objects.count() == 1500

    sync_connections_task(full=True, trigger="test")
    resumed = _runs()[-1]
    assert resumed.resumed_from_id == failed.pk
    assert (resumed.status, resumed.fetched, resumed.created, resumed.pages_done) == (
        "succeeded",
        500,
        500,
        1,
    )
    assert_connections_match_sandbox()


def test_two_concurrent_syncs_let_one_run(leap):
    seed(connections=600, meters=0, seed=13)
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with tracked_run(KIND, full=True, trigger="first") as handle:
                assert handle is not None

                def on_page(counts: SyncCounts, token: str | None) -> None:
                    handle.page_done(counts, token)
                    inside.set()
                    release.wait(20)

                sync_connections(client=leap, since=None, now=handle.started_at, on_page=on_page)
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)
        finally:
            db.close()

    worker = threading.Thread(target=first)
    worker.start()
    try:
        assert inside.wait(20)
        sync_connections_task(full=True, trigger="second")
    finally:
        release.set()
        worker.join(30)
    assert errors == []
    assert sorted((r.trigger, r.status) for r in _runs()) == [
        ("first", "succeeded"),
        ("second", "skipped"),
    ]
    assert Connection.objects.count() == 600


def test_a_targeted_refresh_reads_only_the_given_refids(leap):
    seed(connections=300, meters=0, seed=14)
    wanted = list(sandbox.Connection.objects.order_by("ref_id").values_list("ref_id", flat=True))
    counts = sync_connections(
        client=leap, since=None, now=timezone.now(), ref_ids=[*wanted[:150], wanted[0]]
    )
    assert counts.created == 150
    assert set(Connection.objects.values_list("ref_id", flat=True)) == set(wanted[:150])
