"""Two beats and a manual "sync now" racing: exactly one sync runs, the others are recorded
as skipped. Three real threads, released together, each running the task's own code."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection as db

from connections.tasks import sync_connections_task
from leapdash.leap.sandbox import chaos as sandbox_chaos
from leapdash.leap.sandbox.seeding import seed
from leapdash.runs.models import SyncRun

from .conftest import assert_connections_match_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


ROUNDS = 3


def test_racing_beats_and_a_manual_sync_run_exactly_one(leap, chaos, monkeypatch):
    leap()  # points the tasks' client at the sandbox
    seed(connections=300, meters=0, seed=51)
    # Every answer waits until this round's two losers have been recorded skipped: the winner
    # still holds the lock when the others try, however the threads are scheduled.
    chaos(slow_rate=1.0, slow_seconds=1)
    round_number = [0]

    def until_the_others_skipped(seconds: float) -> None:
        deadline = time.monotonic() + 60
        skipped = SyncRun.objects.filter(status=SyncRun.Status.SKIPPED)
        while skipped.count() < 2 * (round_number[0] + 1) and time.monotonic() < deadline:
            time.sleep(0.01)

    monkeypatch.setattr(sandbox_chaos, "wait_slow", until_the_others_skipped)
    for n in range(ROUNDS):
        round_number[0] = n
        triggers = ["beat", "beat", "manual"]
        start = threading.Barrier(len(triggers))
        errors: list[BaseException] = []

        def run(trigger: str, start: threading.Barrier = start, errors: list = errors) -> None:
            try:
                start.wait(10)
                sync_connections_task(full=True, trigger=trigger)
            except BaseException as exc:  # handed to the test thread below
                errors.append(exc)
            finally:
                db.close()

        threads = [threading.Thread(target=run, args=(t,)) for t in triggers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        runs = list(SyncRun.objects.order_by("pk"))[3 * n :]
        statuses = sorted(r.status for r in runs)
        assert statuses == ["skipped", "skipped", "succeeded"], statuses
        skipped = [r for r in runs if r.status == SyncRun.Status.SKIPPED]
        assert {r.error for r in skipped} == {"Another sync of this kind was running."}
    assert_connections_match_sandbox()
