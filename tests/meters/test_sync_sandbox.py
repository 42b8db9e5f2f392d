"""The meters sync end to end: the real client over real HTTP to the sandbox, whose clock
advances so that Leap's ~24 h meter delay passes within the test."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from connections.choices import Action
from connections.models import Connection
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.state import advance_clock, sandbox_now
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts
from meters.arrival import update_connection_actions
from meters.models import Enrollment, Meter, MeterConnectionReference
from meters.sync import lookup_meters_of_completed, sync_meters
from meters.tasks import sync_meters_task

from .conftest import OVERDUE, sync_connections_now

pytestmark = pytest.mark.django_db(transaction=True)


def _sync(leap, **kwargs):
    return sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=OVERDUE, **kwargs)


def _actions() -> dict[str, str]:
    return dict(Connection.objects.values_list("ref_id", "next_action"))


def test_meters_of_completed_connections_arrive_after_a_day_and_flip_the_connection(leap, customer):
    customer("res-0001")
    customer("com-0001", "commercial")
    customer("bad-0001", "badlogin")
    sync_connections_now(leap)
    _sync(leap)
    assert Meter.objects.count() == 0
    assert _actions()["res-0001"] == Action.WAIT_FOR_METERS

    advance_clock(24.5)
    counts = _sync(leap)

    by_ref: dict[str, list[Meter]] = {}
    for meter in Meter.objects.all():
        by_ref.setdefault(meter.partner_reference, []).append(meter)
    assert {ref: len(ms) for ref, ms in by_ref.items()} == {"res-0001": 1, "com-0001": 4}
    assert counts.created == 10  # 5 meters + 5 enrollments
    commercial = by_ref["com-0001"][0]
    assert commercial.customer_classification == "COMMERCIAL"
    assert commercial.utility_name == "PGE"
    assert commercial.global_enrollment_status == "ELIGIBLE"
    assert commercial.has_required_actions is False  # Leap's own action, not the partner's
    assert commercial.connection_references == ["com-0001"]
    assert set(MeterConnectionReference.objects.values_list("ref_id", flat=True)) == {
        "res-0001",
        "com-0001",
    }
    assert Enrollment.objects.count() == 5
    actions = _actions()
    assert actions["res-0001"] == actions["com-0001"] == Action.METERS_ARRIVED
    assert actions["bad-0001"] != Action.METERS_ARRIVED


def test_a_completed_connection_without_meters_after_the_threshold_is_overdue(leap, customer):
    customer("late-0001")
    customer("ontime-0001")
    sync_connections_now(leap)
    sandbox.Meter.objects.filter(partner_reference="late-0001").delete()  # Leap never made them
    advance_clock(23)
    _sync(leap)
    assert _actions() == {
        "late-0001": Action.WAIT_FOR_METERS,
        "ontime-0001": Action.WAIT_FOR_METERS,
    }
    advance_clock(1.5)
    _sync(leap)
    assert _actions() == {"late-0001": Action.METERS_OVERDUE, "ontime-0001": Action.METERS_ARRIVED}


def test_the_targeted_lookup_finds_meters_of_completed_connections_by_refid(leap, customer):
    customer("look-0001")
    customer("look-0002", "commercial")
    sync_connections_now(leap)
    advance_clock(24.5)
    counts = SyncCounts()
    lookup_meters_of_completed(client=leap, now=sandbox_now(), counts=counts)
    assert sorted(Meter.objects.values_list("partner_reference", flat=True)) == [
        "look-0001",
        *["look-0002"] * 4,
    ]
    assert update_connection_actions(now=sandbox_now(), overdue_after=OVERDUE) == (2, 0)


def test_rerunning_on_unchanged_data_writes_nothing_and_archived_meters_stay_flagged(
    leap, customer
):
    customer("arch-0001")
    customer("keep-0001")
    sync_connections_now(leap)
    advance_clock(24.5)
    _sync(leap)
    again = _sync(leap)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)

    archived = sandbox.Meter.objects.get(partner_reference="arch-0001")
    archived.document["is_archived"] = True
    archived.is_archived = True
    archived.save()
    third = _sync(leap)
    assert (third.created, third.updated) == (0, 1)
    assert dict(Meter.objects.values_list("partner_reference", "is_archived")) == {
        "arch-0001": True,
        "keep-0001": False,
    }


def test_each_page_is_written_with_a_fixed_number_of_queries(leap, customer):
    for n in range(6):
        customer(f"page-{n:04d}", "commercial" if n % 2 else "residential")
    sync_connections_now(leap)
    advance_clock(24.5)
    queries = []
    for size in (2, 5):
        Meter.objects.all().delete()
        Enrollment.objects.all().delete()
        with CaptureQueriesContext(db) as ctx:
            counts = sync_meters(
                client=leap,
                since=None,
                now=sandbox_now(),
                overdue_after=OVERDUE,
                page_size=size,
            )
        per_page = len(ctx.captured_queries) / counts.pages
        queries.append((counts.pages, per_page))
    (pages_small, _), (pages_big, _) = queries
    assert pages_small > pages_big
    # same per-page cost whatever the page size (a couple of queries for the lookup aside)
    assert abs(queries[0][1] - queries[1][1]) < 2


def test_the_task_records_a_meters_run_and_reconciles(leap, customer):
    customer("task-0001")
    sync_connections_now(leap)
    advance_clock(24.5)
    sync_meters_task(full=True, trigger="manual")
    run = SyncRun.objects.get(kind=SyncRun.Kind.METERS)
    assert (run.status, run.full, run.created) == (SyncRun.Status.SUCCEEDED, True, 2)
    assert Meter.objects.filter(partner_reference="task-0001").exists()
