"""The meters app's hand-written SQL: each statement named, with why it is not the ORM.

Reconciliation (meters.reconcile) runs a short script of set-based statements in one
transaction: planner settings, the temporary table of references worth a look, two
INSERT … SELECT of findings, then the removal of the previous pass's findings. The ORM cannot
say CREATE TEMPORARY TABLE … AS, a FULL JOIN or INSERT … SELECT, and the lookups are
correlated subqueries on purpose (an index probe for each of the few rows that need one).
Every statement runs on PostgreSQL and on the SQLite demo (3.39+, for FULL JOIN); the
PostgreSQL-only ones come from a function that returns none on SQLite. Each builder returns
`(sql, params)` for `cursor.execute(*statement)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from connections.choices import ConnectionStatus
from connections.models import Connection
from leapdash.db import is_postgresql
from links.models import Link

from .models import (
    Category,
    Meter,
    MeterConnectionReference,
    PartnerRecord,
    ReconciliationResult,
    TouchedReference,
)

Statement = tuple[str, list[Any]]

RESULT_COLUMNS = (
    "run_id, category, partner_reference, meter_id, partner_record_id, suggested_reference, "
    "connection_status, expected_meters, found_meters"
)
METER_CATEGORIES = (Category.DUPLICATE, Category.BY_CONNECTION, Category.UNKNOWN_METER)
RECORD_CATEGORIES = (Category.WAITING, Category.OVERDUE, Category.REENGAGE, Category.COUNT_MISMATCH)
REFS = "reconcile_refs"  # the pass's temporary table of references worth a look
PASS_LOCK = 0x6C_64_72_63  # PostgreSQL advisory lock key: "ldrc"

# Passes, full or targeted, wait for one another until commit (PostgreSQL only: SQLite runs
# one writing transaction at a time).
PASS_LOCK_STATEMENT: Statement = ("SELECT pg_advisory_xact_lock(%s)", [PASS_LOCK])
DROP_REFS_IF_ANY: Statement = (f"DROP TABLE IF EXISTS {REFS}", [])
DROP_REFS: Statement = (f"DROP TABLE {REFS}", [])
# fresh statistics, so the two INSERTs plan for the short list and not a default guess
ANALYZE_REFS: Statement = (f"ANALYZE {REFS}", [])


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "m": q(Meter._meta.db_table),
        "r": q(MeterConnectionReference._meta.db_table),
        "p": q(PartnerRecord._meta.db_table),
        "c": q(Connection._meta.db_table),
        "l": q(Link._meta.db_table),
        "res": q(ReconciliationResult._meta.db_table),
        "log": q(TouchedReference._meta.db_table),
    }


def analyze_results() -> Statement:
    """Fresh statistics for the results once a full pass wrote them: without them the planner
    takes a new run id for one row, and a tab's far page nests a loop over every finding."""
    return (f"ANALYZE {_tables()['res']}", [])


def _in(column: str, values: Sequence[Any] | None) -> Statement:
    """ " AND column IN (…)" for a targeted pass (one array parameter on PostgreSQL, however
    many references an hour touched); nothing for a full one."""
    if values is None:
        return "", []
    if not values:
        return " AND 1 = 0", []
    if is_postgresql():
        return f" AND {column} = ANY(%s)", [list(values)]
    return f" AND {column} IN ({', '.join(['%s'] * len(values))})", list(values)


def delete_scoped_findings(run_id: int, ids: Sequence[int], refs: Sequence[str]) -> list[Statement]:
    """DELETE the findings a targeted pass finds again: those of meters `ids`, those of the
    meters holding a reference of `refs`, and the partner-record findings of `refs`. Three
    statements, so that each reads its own index (recresult_meter, recresult_category)."""
    t = _tables()
    by_meter, meter_params = _in("m.partner_reference", refs)
    by_record, record_params = _in("f.partner_reference", refs)
    kinds = ", ".join(["%s"] * len(RECORD_CATEGORIES))
    statements: list[Statement] = [
        (
            f"""DELETE FROM {t["res"]} AS f WHERE f.run_id = %s
            AND f.meter_id IN (SELECT m.id FROM {t["m"]} m WHERE 1 = 1{by_meter})""",
            [run_id, *meter_params],
        ),
        (
            f"""DELETE FROM {t["res"]} AS f WHERE f.run_id = %s AND f.meter_id IS NULL
            AND f.category IN ({kinds}){by_record}""",
            [run_id, *RECORD_CATEGORIES, *record_params],
        ),
    ]
    if ids:
        by_id, id_params = _in("f.meter_id", ids)
        statements.append(
            (f"DELETE FROM {t['res']} AS f WHERE f.run_id = %s{by_id}", [run_id, *id_params])
        )
    return statements


def log_deltas(upto: int) -> Statement:
    """SELECT the change in meters (not archived) and partner records the triggers logged up to
    id `upto`: a targeted pass updates the run's totals without counting 10^6 rows."""
    sums = "COALESCE(SUM(meters_delta), 0), COALESCE(SUM(records_delta), 0)"
    sql = f"SELECT {sums} FROM {_tables()['log']} WHERE id <= %s"
    return sql, [upto]


def touched_references(upto: int, since: datetime, cutoff: datetime) -> Statement:
    """SELECT the references a targeted pass looks at again (PostgreSQL): those the triggers
    logged up to id `upto` (meters.touched), the completed connections and the links sent that
    crossed the overdue margin's start between `since` and `cutoff`, and the partner references
    of the meters holding a logged partner record's reference as a connection reference (that
    record is the one such a meter matches by connection)."""
    t = _tables()
    adapt = connection.ops.adapt_datetimefield_value
    sql = f"""SELECT t.reference FROM {t["log"]} t WHERE t.id <= %s AND t.reference IS NOT NULL
        UNION SELECT c.ref_id FROM {t["c"]} c WHERE c.status = %s
          AND c.last_interaction_at > %s AND c.last_interaction_at <= %s
        UNION SELECT l.ref_id FROM {t["l"]} l WHERE l.sent_at > %s AND l.sent_at <= %s
        UNION SELECT m.partner_reference FROM {t["r"]} r JOIN {t["m"]} m ON m.id = r.meter_id
          WHERE r.ref_id IN (SELECT e.reference FROM {t["log"]} e
                             WHERE e.id <= %s AND e.expand)"""
    window = [adapt(since), adapt(cutoff)]
    return sql, [upto, ConnectionStatus.COMPLETED, *window, *window, upto]


def _fence() -> str:
    """Keeps PostgreSQL from inlining a subquery whose lookups the outer query uses several
    times (it would run them once per use)."""
    return " OFFSET 0" if is_postgresql() else ""


def pass_settings() -> list[Statement]:
    """SET LOCALs for the whole pass (PostgreSQL; none on SQLite): the statements are big
    one-off ones, so JIT compiling them costs more than it saves, and the per-reference counts
    fit in memory instead of spilling to disk."""
    if not is_postgresql():
        return []
    return [("SET LOCAL jit = off", []), ("SET LOCAL work_mem = '64MB'", [])]


def merge_join(enabled: bool) -> list[Statement]:
    """Around the references statement (PostgreSQL; none on SQLite): both sides of its full
    join come sorted from covering indexes (meter_reference, partnerrecord_match), and merging
    them took half the time of the hash join the planner prefers at 10^6 × 10^6."""
    if not is_postgresql():
        return []
    return [(f"SET LOCAL enable_hashjoin = {'off' if enabled else 'on'}", [])]


def create_refs(references: Sequence[str] | None) -> Statement:
    """CREATE TEMPORARY TABLE reconcile_refs: the references worth a look (no record, no meter,
    more than one meter, or a count other than the expected one), with their meter count
    (found), their partner record (pid, expected) and whether their meters belong to more than
    one customer (dup: no connection reference common to all of them; a meter without any
    counts as a customer of its own). `references` scopes a targeted pass; None is all."""
    t = _tables()
    n_scope, n_params = _in("m.partner_reference", references)
    p_scope, p_params = _in("p.reference", references)
    # One customer's meters share a connection reference (Leap writes the refId on every
    # meter of a connection, and a re-authorization adds the new refId beside the old one):
    # the reference is fine when one connection reference is held by all of its meters.
    shared = f"""SELECT CASE WHEN EXISTS (
            SELECT 1 FROM {t["r"]} r JOIN {t["m"]} m2 ON m2.id = r.meter_id
            WHERE m2.partner_reference = n.reference AND m2.is_archived = %s
            GROUP BY r.ref_id HAVING COUNT(DISTINCT r.meter_id) = n.found
        ) THEN 0 ELSE 1 END"""
    sql = f"""CREATE TEMPORARY TABLE {REFS} AS
        SELECT x.reference, x.found, x.pid, x.expected,
          CASE WHEN x.found > 1 AND x.reference <> '' THEN x.shared ELSE 0 END AS dup
        FROM (
          SELECT COALESCE(n.reference, p.reference) AS reference, n.found, p.id AS pid,
            p.expected_meter_count AS expected,
            CASE WHEN n.found > 1 AND n.reference <> '' THEN ({shared}) END AS shared
          FROM (SELECT m.partner_reference AS reference, COUNT(*) AS found FROM {t["m"]} m
                WHERE m.is_archived = %s{n_scope} GROUP BY m.partner_reference) n
          FULL JOIN (SELECT p.id, p.reference, p.expected_meter_count FROM {t["p"]} p
                     WHERE 1 = 1{p_scope}) p ON p.reference = n.reference
          WHERE n.found IS NULL OR p.id IS NULL OR n.found > 1
             OR (p.expected_meter_count IS NOT NULL AND n.found <> p.expected_meter_count)
        ) x"""
    return sql, [False, False, *n_params, *p_params]


def insert_meter_findings(run_id: int) -> Statement:
    """INSERT … SELECT a finding for each meter of a reference no record has (by_connection or
    unknown_meter) or other customers share (duplicate), from reconcile_refs. The
    connection-reference lookup runs only for the former (the CASE evaluates it lazily)."""
    t = _tables()
    via = f"""(SELECT pr.id FROM {t["r"]} r JOIN {t["p"]} pr ON pr.reference = r.ref_id
              WHERE r.meter_id = m.id ORDER BY r.ref_id LIMIT 1)"""
    sql = f"""INSERT INTO {t["res"]} ({RESULT_COLUMNS})
        SELECT %s,
          CASE WHEN y.dup = 1 THEN %s WHEN y.via IS NOT NULL THEN %s ELSE %s END,
          y.partner_reference, y.id, CASE WHEN y.dup = 1 THEN y.pid ELSE y.via END,
          CASE WHEN y.dup = 0 AND y.via IS NOT NULL
               THEN (SELECT pv.reference FROM {t["p"]} pv WHERE pv.id = y.via) ELSE '' END,
          '', NULL, NULL
        FROM (
          SELECT m.id, m.partner_reference, x.pid, x.dup,
            CASE WHEN x.dup = 0 THEN {via} END AS via
          FROM {REFS} x JOIN {t["m"]} m ON m.partner_reference = x.reference
          WHERE m.is_archived = %s AND x.found IS NOT NULL AND (x.dup = 1 OR x.pid IS NULL)
          {_fence()}
        ) y ORDER BY 2, 3"""
    return sql, [run_id, *METER_CATEGORIES, False]


def insert_record_findings(run_id: int, cutoff: datetime) -> Statement:
    """INSERT … SELECT a finding for each partner record without any meter (waiting, overdue
    or reengage by its connection and link; `cutoff` is the overdue margin's start) or with a
    meter count other than the expected one (count_mismatch), from reconcile_refs. The lookups
    are correlated subqueries on purpose: an index probe for each of the few records that need
    one, where a join would hash every connection and every connection reference."""
    t = _tables()
    at = connection.ops.adapt_datetimefield_value(cutoff)
    completed = ConnectionStatus.COMPLETED
    status = f"(SELECT c.status FROM {t['c']} c WHERE c.ref_id = x.reference)"
    overdue = f"""(SELECT c.last_interaction_at FROM {t["c"]} c
                   WHERE c.ref_id = x.reference) <= %s"""
    via_connection = f"""(SELECT COUNT(*) FROM {t["r"]} r JOIN {t["m"]} m ON m.id = r.meter_id
                          WHERE r.ref_id = x.reference AND m.is_archived = %s)"""
    # a link not sent yet, or sent within the margin: the customer still has time (the same
    # margin as a completed connection's meters)
    fresh_link = f"""EXISTS (SELECT 1 FROM {t["l"]} l WHERE l.ref_id = x.reference
                     AND (l.sent_at IS NULL OR l.sent_at > %s))"""
    sql = f"""INSERT INTO {t["res"]} ({RESULT_COLUMNS})
        SELECT %s,
          CASE WHEN x.found IS NOT NULL THEN %s
               WHEN x.status = %s AND {overdue} THEN %s
               WHEN x.status = %s THEN %s
               WHEN {fresh_link} THEN %s ELSE %s END,
          x.reference, NULL, x.pid, '', COALESCE(x.status, ''),
          CASE WHEN x.found IS NOT NULL THEN x.expected END, x.found
        FROM (
          SELECT x.*, CASE WHEN x.found IS NULL THEN {status} END AS status FROM {REFS} x
          WHERE x.pid IS NOT NULL AND CASE WHEN x.found IS NULL THEN {via_connection} = 0
                ELSE x.expected IS NOT NULL AND x.found <> x.expected END
          {_fence()}
        ) x ORDER BY 2, 3"""
    overdue_params = [completed, at, Category.OVERDUE, completed, Category.WAITING]
    fresh_params = [at, Category.WAITING]
    categories = [Category.COUNT_MISMATCH, *overdue_params, *fresh_params, Category.REENGAGE]
    return sql, [run_id, *categories, False]


def delete_results_before(run_id: int) -> Statement:
    """DELETE the findings of every pass older than `run_id`: one statement, no rows fetched,
    no signals or cascades to collect (nothing references a finding)."""
    return f"DELETE FROM {_tables()['res']} WHERE run_id < %s", [run_id]


def insert_records_from_links(now: datetime) -> Statement:
    """INSERT … SELECT a partner record for every link refId that has none yet, named after
    its link (records from a CSV are never overwritten by a link)."""
    t = _tables()
    at = connection.ops.adapt_datetimefield_value(now)
    sql = f"""INSERT INTO {t["p"]}
            (reference, name, address, program, expected_meter_count, source,
             created_at, updated_at)
        SELECT l.ref_id, MAX(l.customer_name), '', '', NULL, %s, %s, %s
        FROM {t["l"]} l
        WHERE NOT EXISTS (SELECT 1 FROM {t["p"]} p WHERE p.reference = l.ref_id)
        GROUP BY l.ref_id"""
    return sql, [PartnerRecord.Source.LINK, at, at]
