"""3. Reconciliation: N meters × N partner records with every category present, against a bare
SQL join of the same two tables on partner_reference (its result materialised into a temporary
table, as reconcile materialises its results) plus a COPY of as many finding rows as the pass
writes; the bare join alone is reported beside it.

Generated in PostgreSQL (deterministic): 85% of meters match their record, 5% share a
reference with another customer's meter (duplicate), 5% match only through a connection
reference, 5% are unknown; 10% of the records have no meter (waiting / overdue / re-engage by
their connection), some expect more meters than they have (count mismatch); 1 meter in 997 is
archived.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import (
    REPS,
    Row,
    child_env,
    child_main,
    db_name,
    db_url,
    ensure_db,
    median,
    ratio_row,
    run_child,
    say,
    sql,
)

GENERATE = """
INSERT INTO meters_partnerrecord (reference, name, address, program, expected_meter_count,
  source, created_at, updated_at)
SELECT 'ref-' || j, 'Customer ' || j, j || ' Market Street, San Francisco, CA', 'dr-2026',
  CASE WHEN j % 100 = 0 THEN 4 WHEN j % 20 = 0 THEN 1 END, 'csv', now(), now()
FROM generate_series(1, {n}) AS j;

INSERT INTO connections_connection (ref_id, leap_id, transmission_region, started_at,
  last_interaction_at, status, prohibited_resource_attestation, demand_response_participation,
  required_missing, unknown_values, next_action, next_action_reason, message_key,
  message_subjects, actionable_at, fingerprint, raw, first_synced_at, last_synced_at)
SELECT 'ref-' || j, md5(j::text), 'CAISO', t, t, s, 'NOT_REQUIRED', 'NOT_REQUIRED', false, '[]',
  'WAIT_FOR_METERS', '', '', '[]', NULL, md5(j::text), '{{}}', t, t
FROM (
  SELECT j,
    CASE WHEN j % 3 = 2 THEN 'ERROR' ELSE 'COMPLETED' END AS s,
    CASE WHEN j % 3 = 0 THEN now() - INTERVAL '2 hours' ELSE now() - INTERVAL '9 days' END AS t
  FROM generate_series(1, {n}) AS j WHERE j % 11 <> 0
) x;

INSERT INTO meters_meter (meter_id, partner_reference, connection_references,
  transmission_region, customer_classification, meter_type, utility_name,
  service_account_number, customer_name, service_address, is_archived,
  global_enrollment_status, has_required_actions, required_action_codes, created_at,
  last_modified_at, unknown_values, fingerprint, raw, first_synced_at, synced_at)
SELECT md5('m' || i)::uuid::text, pref, jsonb_build_array(cref), 'CAISO', 'RESIDENTIAL',
  'ELECTRIC', 'PG&E: Pacific Gas & Electric', lpad(i::text, 10, '0'), 'Customer ' || i,
  i || ' Market Street, San Francisco, CA', i % 997 = 0, 'ACTIVE', false, '[]',
  now() - INTERVAL '1 day', now() - INTERVAL '1 day', '[]', md5(i::text),
  jsonb_build_object('meter_id', md5('m' || i)::uuid::text, 'partner_reference', pref,
    'connection_references', jsonb_build_array(cref), 'transmission_region', 'CAISO',
    'customer_classification', 'RESIDENTIAL', 'meter_type', 'ELECTRIC',
    'utility_name', 'PG&E: Pacific Gas & Electric',
    'service_account_number', lpad(i::text, 10, '0'),
    'service_address', i || ' Market Street, San Francisco, CA', 'is_archived', i % 997 = 0),
  now(), now()
FROM (
  SELECT i,
    CASE WHEN i <= {n} * 85 / 100 THEN 'ref-' || i
         WHEN i <= {n} * 90 / 100 THEN 'ref-' || (i - {n} * 85 / 100)
         WHEN i <= {n} * 95 / 100 THEN 'wrong-' || i
         ELSE 'unk-' || i END AS pref,
    CASE WHEN i <= {n} * 85 / 100 THEN 'ref-' || i
         WHEN i <= {n} * 90 / 100 THEN 'other-' || i
         WHEN i <= {n} * 95 / 100 THEN 'ref-' || i
         ELSE 'unk-' || i END AS cref
  FROM generate_series(1, {n}) AS i
) x;

INSERT INTO meters_meterconnectionreference (meter_id, ref_id)
SELECT m.id, r FROM meters_meter m, jsonb_array_elements_text(m.connection_references) r;

-- the generated rows are the starting state, not changes since a pass
TRUNCATE meters_touchedreference;
"""
# the hourly case: 1% of the meters moved to another reference since the last pass
CHANGE_ONE_PERCENT = "UPDATE meters_meter SET partner_reference = 'moved-' || id WHERE id % 100 = 7"

BARE_JOIN = (
    "CREATE TEMP TABLE bench_join AS SELECT m.id AS meter, p.id AS record "
    "FROM meters_meter m JOIN meters_partnerrecord p ON p.reference = m.partner_reference"
)


def reconcile_db(n: int) -> str:
    database = db_name(f"reconcile_{n}")

    def build(name: str) -> None:
        import psycopg

        started = time.monotonic()
        with psycopg.connect(db_url(name), autocommit=True) as conn:
            conn.execute(GENERATE.format(n=int(n)))
            conn.execute("VACUUM ANALYZE")
        say(f"generated {n:,} meters and partner records in {time.monotonic() - started:.0f}s")

    ensure_db(database, {"kind": "reconcile", "n": n, "v": 1}, build)
    return database


def measure(n: int) -> list[Row]:
    database = reconcile_db(n)
    env = child_env(database)
    joins, runs, rss = [], [], []
    counts: dict[str, int] = {}
    statements: list[list[Any]] = []
    for rep in range(REPS):
        sql(database, "VACUUM ANALYZE meters_reconciliationresult")
        answer = run_child("reconcile", "reconcile", {}, env)
        runs.append(answer.data["seconds"])
        rss.append(answer.peak_rss_mb)
        counts = answer.data["counts"]
        statements = answer.data["statements"]
        say(f"reconcile {rep + 1}/{REPS}: {runs[-1]:.1f}s, peak RSS {rss[-1]:.0f} MB, {counts}")
    # after the passes: the baseline writes as many finding rows as the last pass stored
    written = []
    for rep in range(REPS):
        answer = run_child("reconcile", "join", {}, env)
        joins.append(answer.data["seconds"])
        written.append(answer.data["seconds"] + answer.data["copy_seconds"])
        findings = answer.data["findings"]
        say(f"bare join {rep + 1}/{REPS}: {joins[-1]:.1f}s ({answer.data['rows']:,} rows), "
            f"COPY of {findings:,} finding rows {answer.data['copy_seconds']:.1f}s")  # fmt: skip
    targeted = []
    for rep in range(REPS):
        answer = run_child("reconcile", "targeted", {}, env)
        targeted.append(answer.data["seconds"])
        moved, logged = answer.data["changed"], answer.data["references"]
        say(f"targeted pass {rep + 1}/{REPS}: {targeted[-1]:.2f}s after {moved:,} meters "
            f"moved ({logged:,} references logged)")  # fmt: skip
    section = f"3. Reconciliation ({n:,} meters × {n:,} partner records)"
    missing = sorted(c for c, v in counts.items() if not v)
    note = "categories: " + ", ".join(f"{c} {v:,}" for c, v in counts.items())
    return [
        ratio_row(section, f"reconcile: full pass vs bare join + COPY of {findings:,} findings",
                  median(runs), median(written), "s", "bare join + COPY", 2, note=note,
                  samples=runs),
        Row(section, "reconcile: full pass vs bare join alone (the old ratio)", median(runs), "s",
            median(joins), "bare SQL join", median(runs) / median(joins), samples=joins),
        ratio_row(section, "reconcile: targeted pass, 1% of meters changed, vs the full pass",
                  median(targeted), median(runs), "s", "full pass", 0.05,
                  note="the hourly pass after a sync; the changes are rolled back after each run",
                  samples=targeted),
        Row(section, "reconcile: every category present", len(counts) - len(missing), "categories",
            target="all", passed=not missing, note=f"missing: {missing}" if missing else ""),
        Row(section, "reconcile: peak RSS", max(rss), "MB", target="< 300 MB",
            passed=max(rss) < 300, samples=rss),
        Row(section, "reconcile: slowest statements of the last run", statements[0][0], "s",
            note="; ".join(f"{label} {t:.1f}s" for t, label in statements)),
    ]  # fmt: skip


# --- child ----------------------------------------------------------------------------------


def _join(args: dict[str, Any]) -> dict[str, Any]:
    """The bare join, then a COPY of as many finding rows as the latest pass stored into the
    findings table (same indexes), in the order a pass writes them; the COPY is rolled back."""
    from django.db import connection, transaction

    from meters.models import ReconciliationResult
    from meters.reconcile import latest_run

    run = latest_run()
    assert run is not None, "the baseline copies as many findings as a pass stored"
    findings = ReconciliationResult.objects.filter(run=run).count()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(BARE_JOIN)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_join")
        rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_join")
    with transaction.atomic(), connection.cursor() as cursor:
        copy_sql = (
            "COPY meters_reconciliationresult (run_id, category, partner_reference, meter_id, "
            "partner_record_id, suggested_reference, connection_status, expected_meters, "
            "found_meters) FROM STDIN"
        )
        started = time.perf_counter()
        with cursor.cursor.copy(copy_sql) as copy:
            for i in range(findings):
                copy.write_row((run.pk + 1, "duplicate", f"ref-{i:09d}", i, i, "", "", None, None))
        copy_seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": seconds, "rows": rows, "findings": findings, "copy_seconds": copy_seconds}


def _reconcile(args: dict[str, Any]) -> dict[str, Any]:
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from meters.models import Category
    from meters.reconcile import reconcile

    statements: list[tuple[float, str]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            label = " ".join(sql.split()[:3])
            if "INSERT INTO" in sql and "reconciliationresult" in sql and params:
                kind = "meters" if params[1] == Category.DUPLICATE else "partner records"
                label = f"findings for {kind}"
            elif sql.lstrip().startswith("CREATE TEMPORARY TABLE"):
                label = "references worth a look"
            statements.append((time.perf_counter() - began, label))

    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        run = reconcile(now=timezone.now(), overdue_after=timedelta(hours=24))
    seconds = time.perf_counter() - started
    top = sorted(statements, reverse=True)[:4]
    return {"seconds": seconds, "counts": run.counts, "statements": top}


def _targeted(args: dict[str, Any]) -> dict[str, Any]:
    """1% of the meters moved, then the hourly targeted pass; all of it rolled back so that
    every run starts from the same database."""
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from meters.models import TouchedReference
    from meters.reconcile import latest_run, reconcile, reconcile_touched

    overdue = timedelta(hours=24)
    run = latest_run()
    if run is None or run.overdue_cutoff is None:
        reconcile(now=timezone.now(), overdue_after=overdue)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(CHANGE_ONE_PERCENT)
            changed = cursor.rowcount
        references = TouchedReference.objects.count()
        started = time.perf_counter()
        reconcile_touched(now=timezone.now(), overdue_after=overdue)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": seconds, "changed": changed, "references": references}


if __name__ == "__main__":
    child_main({"join": _join, "reconcile": _reconcile, "targeted": _targeted})
