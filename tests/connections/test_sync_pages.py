"""write_page / sync_connections on real PostgreSQL, fed with hand-made pages.

The end-to-end tests over real HTTP to the sandbox are in test_sync_sandbox.py; these pin the
per-page rules (counts, unchanged detection, repeats, query counts) on small hand-made pages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from connections.choices import Action
from connections.models import Connection, UtilityConnection
from connections.sync import write_page
from leapdash.leap.client import Page
from leapdash.leap.records import ConnectionRecord, RecordError
from leapdash.runs.tracking import SyncCounts
from links.models import Link

from .builders import NOW, PGE, SCE, conn, page_of, util


def _records(n: int, prefix: str = "r") -> list[ConnectionRecord]:
    return [
        conn(
            "PARTIAL",
            util(PGE, "ERROR", "BAD_LOGIN"),
            util(SCE, required=False),
            ref_id=f"{prefix}{i}",
            raw={"ref_id": f"{prefix}{i}", "n": i},
        )
        for i in range(n)
    ]


pytestmark = pytest.mark.django_db


def test_a_page_creates_connections_with_their_utilities_and_verdict():
    counts = SyncCounts()
    write_page(page_of(_records(3)), now=NOW, counts=counts)
    assert (counts.fetched, counts.created, counts.updated, counts.unchanged) == (3, 3, 0, 0)
    row = Connection.objects.get(ref_id="r1")
    assert row.status == "PARTIAL"
    assert row.next_action == Action.OTHER_UTILITY_CONNECTED
    assert row.required_missing is True
    assert row.raw == {"ref_id": "r1", "n": 1}
    assert row.first_synced_at == row.last_synced_at == NOW
    assert list(row.utilities.values_list("utility_id", "status", "error_code", "position")) == [
        ("pge", "ERROR", "BAD_LOGIN", 0),
        ("sce", "CONNECTED", "", 1),
    ]
    assert row.utility_ids == ",pge,sce,"  # what the table's utility filter matches


def test_the_same_page_again_writes_nothing():
    write_page(page_of(_records(5)), now=NOW, counts=SyncCounts())
    counts = SyncCounts()
    with CaptureQueriesContext(db) as queries:
        write_page(page_of(_records(5)), now=NOW, counts=counts)
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 5)
    writes = [
        q["sql"]
        for q in queries
        if not q["sql"].lstrip().startswith(("SELECT", "SAVEPOINT", "RELEASE"))
    ]
    assert writes == []


def test_a_changed_record_is_updated_and_its_utilities_replaced():
    write_page(page_of(_records(2)), now=NOW, counts=SyncCounts())
    first_ids = set(UtilityConnection.objects.values_list("pk", flat=True))
    later = NOW + timedelta(hours=2)
    changed = replace(_records(2)[1], status="COMPLETED", utilities=(util(PGE),), raw={"v": 2})
    counts = SyncCounts()
    write_page(page_of([_records(2)[0], changed]), now=later, counts=counts)
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 1)
    row = Connection.objects.get(ref_id="r1")
    assert row.next_action == Action.WAIT_FOR_METERS
    assert row.first_synced_at == NOW
    assert row.last_synced_at == later
    assert list(row.utilities.values_list("utility_id", "status")) == [("pge", "CONNECTED")]
    assert row.utility_ids == ",pge,"
    assert Connection.objects.get(ref_id="r0").utilities.count() == 2
    assert (
        first_ids
        & set(UtilityConnection.objects.filter(connection=row).values_list("pk", flat=True))
        == set()
    )


def test_a_refid_repeated_in_a_page_is_stored_once_and_the_last_one_wins():
    first, second = conn("NOT_STARTED", ref_id="dup"), conn("COMPLETED", util(), ref_id="dup")
    counts = SyncCounts()
    write_page(page_of([first, second]), now=NOW, counts=counts)
    assert Connection.objects.get(ref_id="dup").status == "COMPLETED"
    assert counts.created == 1


def test_unreadable_records_are_counted_with_their_id_and_the_rest_lands():
    error = RecordError("connection", "Test1012", "connection_status")
    counts = SyncCounts()
    write_page(page_of(_records(2), errors=[error], retries=2), now=NOW, counts=counts)
    assert (counts.fetched, counts.created, counts.errors, counts.retries) == (3, 2, 1, 2)
    assert counts.skipped == [
        {"id": "Test1012", "reason": "connection Test1012: missing field 'connection_status'"}
    ]
    assert Connection.objects.count() == 2


def test_a_connection_is_tied_to_the_link_with_its_refid():
    link = Link.objects.create(org_name="acme", ref_id="r0", url="https://x.test/")
    write_page(page_of(_records(2)), now=NOW, counts=SyncCounts())
    assert Connection.objects.get(ref_id="r0").link == link
    assert Connection.objects.get(ref_id="r1").link is None
    # a link created after the connection is picked up by the next sync
    late = Link.objects.create(org_name="acme", ref_id="r1", url="https://x.test/")
    counts = SyncCounts()
    write_page(page_of(_records(2)), now=NOW, counts=counts)
    assert counts.updated == 1
    assert Connection.objects.get(ref_id="r1").link == late


def test_a_row_leaving_the_quiet_hour_is_reclassified():
    fresh = conn("NOT_STARTED", ref_id="q", last=NOW - timedelta(minutes=30))
    write_page(page_of([fresh]), now=NOW, counts=SyncCounts())
    assert Connection.objects.get(ref_id="q").next_action == Action.IN_PROGRESS
    counts = SyncCounts()
    write_page(page_of([fresh]), now=NOW + timedelta(minutes=31), counts=counts)
    assert counts.updated == 1
    assert Connection.objects.get(ref_id="q").next_action == Action.RESEND_LINK


def _count_queries(page: Page[ConnectionRecord]) -> int:
    with CaptureQueriesContext(db) as queries:
        write_page(page, now=NOW, counts=SyncCounts())
    return len(queries)


def test_queries_per_page_do_not_grow_with_the_page():
    # a page of new refIds only is copied straight in, others go through the upsert
    small_new = _count_queries(page_of(_records(5, "a")))
    big_new = _count_queries(page_of(_records(400, "b")))
    assert small_new == big_new
    small_update = _count_queries(page_of([replace(r, raw={"x": 1}) for r in _records(5, "a")]))
    big_update = _count_queries(page_of([replace(r, raw={"x": 1}) for r in _records(400, "b")]))
    assert small_update == big_update
    mixed = page_of([replace(r, raw={"y": 1}) for r in _records(5, "a")[:2] + _records(400, "c")])
    mixed_queries = _count_queries(mixed)  # 2 stored refIds changed, 400 new: the upsert
    again_queries = _count_queries(mixed)  # the same page again: unchanged, nothing written
    assert mixed_queries == small_update
    assert again_queries < min(small_new, small_update)
