"""Each statement of meters.sql, run on PostgreSQL against a few rows built for it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection as db

from connections.models import Connection
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link
from meters import sql
from meters.models import (
    Category,
    Meter,
    MeterConnectionReference,
    PartnerRecord,
    ReconciliationResult,
    ReconciliationRun,
    TouchedReference,
)
from tests.connections.builders import NOW, PGE, conn, page_of, util

pytestmark = pytest.mark.django_db


def _run(*statements: sql.Statement) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    with db.cursor() as cursor:
        for statement in statements:
            cursor.execute(*statement)
            if cursor.description:
                rows = cursor.fetchall()
    return rows


def _meter(meter_id: str, reference: str, *refs: str, archived: bool = False) -> Meter:
    meter = Meter.objects.create(
        meter_id=meter_id,
        partner_reference=reference,
        transmission_region="CAISO",
        is_archived=archived,
        created_at=NOW,
        first_synced_at=NOW,
        synced_at=NOW,
        fingerprint=meter_id,
    )
    MeterConnectionReference.objects.bulk_create(
        MeterConnectionReference(meter=meter, ref_id=r) for r in refs
    )
    return meter


def _record(reference: str, expected: int | None = None) -> PartnerRecord:
    return PartnerRecord.objects.create(reference=reference, expected_meter_count=expected)


@pytest.fixture
def world() -> dict[str, PartnerRecord]:
    """A reference for each case the statements tell apart."""
    _meter("m-ok", "ok-1", "ok-1")  # matched: not worth a look
    _meter("m-old", "ok-1", archived=True)  # archived meters never count
    _meter("m-dup-a", "dup-1", "dup-a")
    _meter("m-dup-b", "dup-1", "dup-b")  # two customers under one reference
    _meter("m-same-a", "same-1", "same-c")
    _meter("m-same-b", "same-1", "same-c")  # one customer's two meters
    _meter("m-typo", "byconn-typo", "byconn-1")  # its refId names a record
    _meter("m-stray", "stray-1")  # nothing names it
    _meter("m-count", "count-1", "count-1")
    records = {
        r: _record(r) for r in ("ok-1", "dup-1", "same-1", "byconn-1", "late-1", "wait-1", "gone-1")
    }
    records["count-1"] = _record("count-1", expected=3)
    write_page(
        page_of([conn("COMPLETED", util(PGE), ref_id="late-1")]), now=NOW, counts=SyncCounts()
    )
    Link.objects.create(org_name="acme", ref_id="wait-1", url="https://l.example/wait-1")
    return records


def _refs() -> dict[str, tuple[Any, ...]]:
    rows = _run(("SELECT reference, found, pid, expected, dup FROM reconcile_refs", []))
    return {reference: tuple(rest) for reference, *rest in rows}


def _findings(run: ReconciliationRun) -> set[tuple[str, str, str | None]]:
    rows = ReconciliationResult.objects.filter(run=run)
    return {(r.category, r.partner_reference, r.meter.meter_id if r.meter else None) for r in rows}


def _new_run() -> ReconciliationRun:
    return ReconciliationRun.objects.create(started_at=NOW)


def test_pass_settings_and_merge_join_are_local_planner_settings():
    _run(*sql.pass_settings(), *sql.merge_join(True))
    assert _run(("SHOW jit", [])) == [("off",)]
    assert _run(("SHOW work_mem", [])) == [("64MB",)]
    assert _run(("SHOW enable_hashjoin", [])) == [("off",)]
    _run(*sql.merge_join(False))
    assert _run(("SHOW enable_hashjoin", [])) == [("on",)]


def test_pass_lock_statement_takes_the_pass_advisory_lock():
    _run(sql.PASS_LOCK_STATEMENT)
    held = _run(
        (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s"
            " AND pid = pg_backend_pid()",
            [sql.PASS_LOCK],
        )
    )
    assert held == [(1,)]


def test_refs_table_holds_only_the_references_worth_a_look(world):
    _run(sql.DROP_REFS_IF_ANY, sql.create_refs(None), sql.ANALYZE_REFS)
    p = {ref: r.pk for ref, r in world.items()}
    assert _refs() == {
        "dup-1": (2, p["dup-1"], None, 1),
        "same-1": (2, p["same-1"], None, 0),
        "byconn-typo": (1, None, None, 0),
        "stray-1": (1, None, None, 0),
        "count-1": (1, p["count-1"], 3, 0),
        "byconn-1": (None, p["byconn-1"], None, 0),
        "late-1": (None, p["late-1"], None, 0),
        "wait-1": (None, p["wait-1"], None, 0),
        "gone-1": (None, p["gone-1"], None, 0),
    }


def test_refs_table_of_a_targeted_pass_holds_only_its_references(world):
    _run(sql.create_refs(["dup-1", "gone-1", "ok-1"]))
    assert set(_refs()) == {"dup-1", "gone-1"}
    _run(sql.DROP_REFS, sql.create_refs([]))
    assert _refs() == {}


def test_drop_refs_removes_the_temporary_table(world):
    _run(sql.DROP_REFS_IF_ANY, sql.DROP_REFS_IF_ANY, sql.create_refs(None), sql.DROP_REFS)
    assert _run(("SELECT to_regclass('reconcile_refs')", [])) == [(None,)]


def test_meter_findings_are_duplicates_by_connection_and_unknown_meters(world):
    run = _new_run()
    _run(sql.create_refs(None), sql.insert_meter_findings(run.pk))
    assert _findings(run) == {
        (Category.DUPLICATE, "dup-1", "m-dup-a"),
        (Category.DUPLICATE, "dup-1", "m-dup-b"),
        (Category.BY_CONNECTION, "byconn-typo", "m-typo"),
        (Category.UNKNOWN_METER, "stray-1", "m-stray"),
    }
    proposal = ReconciliationResult.objects.get(run=run, category=Category.BY_CONNECTION)
    assert proposal.suggested_reference == "byconn-1"
    assert proposal.partner_record == world["byconn-1"]


def test_record_findings_are_waiting_overdue_reengage_and_count_mismatch(world):
    run = _new_run()
    cutoff = NOW + timedelta(hours=1)  # the completed connection is past the margin
    _run(sql.create_refs(None), sql.insert_record_findings(run.pk, cutoff))
    assert _findings(run) == {
        (Category.OVERDUE, "late-1", None),
        (Category.WAITING, "wait-1", None),  # its link is not sent yet
        (Category.REENGAGE, "gone-1", None),
        (Category.COUNT_MISMATCH, "count-1", None),
    }
    mismatch = ReconciliationResult.objects.get(run=run, category=Category.COUNT_MISMATCH)
    assert (mismatch.expected_meters, mismatch.found_meters) == (3, 1)
    late = ReconciliationResult.objects.get(run=run, category=Category.OVERDUE)
    assert late.connection_status == "COMPLETED"


def test_a_completed_connection_within_the_margin_is_waiting(world):
    run = _new_run()
    _run(sql.create_refs(["late-1"]), sql.insert_record_findings(run.pk, NOW - timedelta(days=1)))
    assert _findings(run) == {(Category.WAITING, "late-1", None)}


def test_delete_results_before_keeps_the_given_run_and_later_ones(world):
    runs = [_new_run() for _ in range(3)]
    for run in runs:
        ReconciliationResult.objects.create(run=run, category=Category.REENGAGE)
    with db.cursor() as cursor:
        cursor.execute(*sql.delete_results_before(runs[1].pk))
        assert cursor.rowcount == 1
    kept = ReconciliationResult.objects.values_list("run_id", flat=True)
    assert sorted(kept) == [runs[1].pk, runs[2].pk]


def test_records_from_links_are_added_once_and_never_overwrite_a_csv_record(world):
    Link.objects.create(org_name="acme", ref_id="new-1", url="https://l.example/1")
    Link.objects.create(
        org_name="other", ref_id="new-1", url="https://l.example/2", customer_name="Ann"
    )
    Link.objects.create(org_name="acme", ref_id="ok-1", url="https://l.example/3")
    with db.cursor() as cursor:
        cursor.execute(*sql.insert_records_from_links(NOW))
        assert cursor.rowcount == 1  # new-1 once; ok-1 and wait-1 have their records
    new = PartnerRecord.objects.get(reference="new-1")
    assert (new.name, new.source, new.created_at) == ("Ann", PartnerRecord.Source.LINK, NOW)
    assert PartnerRecord.objects.get(reference="ok-1").source == PartnerRecord.Source.CSV


def _full_pass(run: ReconciliationRun) -> None:
    _run(
        sql.DROP_REFS_IF_ANY,
        sql.create_refs(None),
        sql.insert_meter_findings(run.pk),
        sql.insert_record_findings(run.pk, NOW - timedelta(hours=24)),
        sql.DROP_REFS,
    )


def test_touched_references_are_the_log_the_crossings_and_the_meters_matching_by_connection(
    world,
):
    TouchedReference.objects.all().delete()
    TouchedReference.objects.create(reference="byconn-1", expand=True)  # a record, by refId
    TouchedReference.objects.create(reference="later")
    late_at = Connection.objects.get(ref_id="late-1").last_interaction_at
    Link.objects.create(org_name="acme", ref_id="sent-1", url="https://x", sent_at=late_at)
    upto = TouchedReference.objects.get(reference="byconn-1").pk
    window = (late_at - timedelta(minutes=1), late_at)  # both crossed the margin's start
    rows = {r for (r,) in _run(sql.touched_references(upto, *window))}
    assert rows == {"byconn-1", "byconn-typo", "late-1", "sent-1"}  # not "later": after upto
    empty = (late_at + timedelta(minutes=1), late_at + timedelta(minutes=2))
    assert {r for (r,) in _run(sql.touched_references(upto, *empty))} == {"byconn-1", "byconn-typo"}


def test_scoped_deletes_drop_the_findings_of_the_meters_and_records_named_only(world):
    run = _new_run()
    _full_pass(run)
    before = _findings(run)
    typo = Meter.objects.get(meter_id="m-typo").pk
    _run(*sql.delete_scoped_findings(run.pk, [typo], ["dup-1", "wait-1"]))
    gone = before - _findings(run)
    assert {ref for _category, ref, _meter in gone} == {"byconn-typo", "dup-1", "wait-1"}
    assert len(gone) == 4  # both duplicate meters, the typo meter, the waiting record
    assert {ref for _category, ref, _meter in _findings(run)} >= {"late-1", "count-1"}


def test_log_deltas_sum_the_totals_up_to_the_id_given():
    TouchedReference.objects.all().delete()
    first = TouchedReference.objects.create(reference=None, meters_delta=3, records_delta=1)
    TouchedReference.objects.create(reference=None, meters_delta=-1, records_delta=0)
    TouchedReference.objects.create(reference=None, meters_delta=100, records_delta=100)
    last = first.pk + 1
    assert _run(sql.log_deltas(last)) == [(2, 1)]
    assert _run(sql.log_deltas(first.pk - 1)) == [(0, 0)]
