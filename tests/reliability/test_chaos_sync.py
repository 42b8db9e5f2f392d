"""Syncs under each of the sandbox's chaos knobs alone, then all together: the local tables end
equal to the sandbox (count and per field), nothing lost, nothing duplicated, and the SyncRuns
say what happened. A run that fails is simply followed by the next one, as the next beat
would: the reruns must converge (resuming from the failed run's page token)."""

from __future__ import annotations

from typing import Any

import pytest

from connections.choices import Action
from connections.models import Connection, UtilityConnection
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.seeding import seed
from leapdash.leap.sandbox.state import sandbox_now
from leapdash.runs.models import SyncRun
from meters.models import Meter

from .conftest import (
    assert_connections_match_sandbox,
    assert_meters_match_sandbox,
    chaos_off,
    connections_run,
    meters_run,
    until_success,
)

pytestmark = pytest.mark.django_db(transaction=True)

SEEDED = 300  # six pages of 50
KNOBS: dict[str, dict[str, Any]] = {
    "rate_limit": {"rate_limit_every": 3, "retry_after_seconds": 2},
    "server_errors": {"error_rate": 0.4, "error_bodies": "html,empty", "seed": 3},
    "slow": {"slow_rate": 0.3, "slow_seconds": 0.8, "seed": 4},
    "truncated": {"truncate_rate": 0.3, "seed": 5},
    "repeats": {"repeat_across_pages": True},
    "unknown_values": {"unknown_values": True},
}
# together, at rates that let runs fail midway (one retry fewer) but still make progress
ALL = {k: v for knobs in KNOBS.values() for k, v in knobs.items() if k != "seed"} | {
    "seed": 8,
    "error_rate": 0.2,
    "slow_rate": 0.15,
    "truncate_rate": 0.15,
}


def _timeout(knob: str) -> float:
    """Slow answers hang until the test ends (slow_answers), so any timeout expires on them;
    a short one keeps the waits brief while staying far above an ordinary answer's time."""
    return 1.5 if knob in ("slow", "all") else 5


def _seeded() -> None:
    seed(connections=SEEDED, meters=0, seed=21)


@pytest.mark.parametrize("knob", list(KNOBS))
def test_connections_sync_under_one_chaos_knob_ends_equal_to_the_sandbox(
    knob, leap, chaos, sleeps, slow_answers
):
    _seeded()
    chaos(**KNOBS[knob])
    runs = until_success(lambda: connections_run(leap(timeout=_timeout(knob)), full=True))
    odd = assert_connections_match_sandbox()
    assert UtilityConnection.objects.filter(connection__isnull=True).count() == 0
    last = runs[-1]
    total = sum(r.created for r in runs)
    assert (total, Connection.objects.count()) == (SEEDED, SEEDED)  # 0 lost, 0 duplicated
    if knob == "rate_limit":
        assert len(runs) == 1
        assert last.retries >= 2
        assert sleeps.count(2.0) >= 2  # Retry-After honoured
    elif knob in ("server_errors", "slow", "truncated"):
        # a cut-off body is asked again like a 5xx (it used to fail the whole run)
        assert len(runs) == 1
        assert last.retries > 0
    elif knob == "repeats":
        assert len(runs) == 1
        assert last.fetched == SEEDED + last.pages_done - 1  # each page repeats one record
        assert (last.created, last.updated) == (SEEDED, 0)
    elif knob == "unknown_values":
        assert odd == last.pages_done  # one odd record per page, stored raw
        review = Connection.objects.filter(next_action=Action.REVIEW_UNKNOWN)
        assert review.count() == odd
        assert all("ON_HOLD" in " ".join(c.unknown_values) for c in review)
        # once Leap's answers are plain again, a full run brings every row back in line
        chaos_off()
        again = connections_run(leap(), full=True)
        assert (again.status, again.updated) == ("succeeded", odd)
        assert assert_connections_match_sandbox() == 0


def test_connections_sync_under_every_knob_at_once_converges_and_reports_what_happened(
    leap, chaos, sleeps, slow_answers
):
    _seeded()
    broken = sandbox.Connection.objects.order_by("pk")[120]
    broken.document["last_interaction_date_time_utc"] = "yesterday-ish"
    broken.save(update_fields=["document"])
    chaos(**ALL)
    # one retry per request only, so that runs fail midway and the next ones must resume
    runs = until_success(
        lambda: connections_run(leap(timeout=_timeout("all"), max_retries=2), full=True),
        limit=30,
    )
    failed = runs[:-1]
    assert failed, "no run failed: the test proves no resume"
    for before, after in zip(failed, runs[1:], strict=True):
        if before.page_token:  # resumed from the failed run's token, + / = intact
            assert set("+/=") <= set(before.page_token)
            assert after.resumed_from_id == before.pk
    # counted once: the first run to write the bad record's page reported it
    skipped = [s for r in runs for s in r.skipped_records]
    assert {s["id"] for s in skipped} == {broken.ref_id}
    assert "last_interaction_date_time_utc" in skipped[0]["reason"]
    assert sum(r.retries for r in runs) > 0
    assert Connection.objects.count() == SEEDED - 1
    assert assert_connections_match_sandbox(except_ids=frozenset({broken.ref_id})) > 0
    print(
        f"all knobs: {len(runs)} runs, {sum(r.retries for r in runs)} retries, "
        f"errors: {[r.error[:60] for r in runs if r.error]}"
    )


@pytest.mark.parametrize("knob", [*KNOBS, "all"])
def test_meters_sync_under_chaos_ends_equal_to_the_sandbox(knob, leap, chaos, sleeps, slow_answers):
    seed(connections=120, meters=None, seed=22)
    visible = sandbox.Meter.objects.filter(created_at__lte=sandbox_now()).count()
    assert visible > 100  # at least three pages of meters and of enrollments
    chaos(**(ALL if knob == "all" else KNOBS[knob]))
    runs = until_success(lambda: meters_run(leap(timeout=_timeout(knob)), full=True), limit=20)
    if knob == "unknown_values":
        assert assert_meters_match_sandbox() == runs[-1].pages_done
        chaos_off()
        meters_run(leap(), full=True)
        assert assert_meters_match_sandbox() == 0
    else:
        assert_meters_match_sandbox()
    assert Meter.objects.count() == visible
    if knob in ("rate_limit", "server_errors", "slow", "truncated", "all"):
        assert sum(r.retries for r in runs) > 0
    if knob in ("truncated", "repeats", "unknown_values"):
        assert len(runs) == 1
    assert runs[-1].status == SyncRun.Status.SUCCEEDED
