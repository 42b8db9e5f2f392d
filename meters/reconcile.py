"""Match Leap's meters to the partner's records by partner_reference: set-based, in SQL.

A pass never loops over rows in Python, and never touches matched meters one by one: they are
most of the 10^6 and need nothing. It first counts the meters of every reference (an
index-only scan in reference order) and full-joins that with the partner records, keeping only
the references that need a look: no record, no meter, more than one meter, or a count other
than the expected one. Two INSERT … SELECT statements then write findings from that short list:

- duplicate: the meter's partner_reference is also held by meters of another customer (no
  connection reference is common to all the meters holding it), so the reference cannot
  identify one customer. Meters of one connection share its refId, and a meter re-authorized
  under a second connection keeps the first one too: neither is a duplicate;
- matched: a partner record has its partner_reference. No row is written: a meter without a
  finding whose reference a record holds is matched (matched_meters), and the run's count of
  matched meters is the rest of its meters;
- by_connection: only one of its connection_references (the refId the customer used) names a
  partner record: propose setting partner_reference to it;
- unknown_meter: nothing of ours names it.

Each partner record without any meter (by reference or by connection reference) lands in
waiting / overdue (its connection completed, by settings.METERS_OVERDUE_HOURS), waiting too
while its link is not sent yet or was sent within that margin, else reengage (no completed
connection); a partner record whose expected meter count differs from the meters
holding its reference adds a count_mismatch row. The SQL runs on PostgreSQL and on the SQLite
demo (3.39+, for FULL JOIN) alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from connections.choices import ConnectionStatus
from connections.models import Connection
from links.models import Link

from .arrival import overdue_cutoff
from .models import (
    Category,
    Meter,
    MeterConnectionReference,
    PartnerRecord,
    ReconciliationResult,
    ReconciliationRun,
)

COLUMNS = (
    "run_id, category, partner_reference, meter_id, partner_record_id, suggested_reference, "
    "connection_status, expected_meters, found_meters"
)
METER_CATEGORIES = (Category.DUPLICATE, Category.BY_CONNECTION, Category.UNKNOWN_METER)
RECORD_CATEGORIES = (
    Category.WAITING,
    Category.OVERDUE,
    Category.REENGAGE,
    Category.COUNT_MISMATCH,
)
REFS = "reconcile_refs"  # the pass's temporary table of references worth a look
PASS_LOCK = 0x6C_64_72_63  # PostgreSQL advisory lock key: "ldrc"


def unit_of(category: str) -> str:
    """What a category counts: meters (Leap's side) or partner records (one per customer), so a
    count of one is never read against a count of the other."""
    return "meter" if category in (Category.MATCHED, *METER_CATEGORIES) else "partner record"


def normalise_reference(value: str) -> str:
    """The matching key: Leap compares references exactly, so only outer spaces go."""
    return value.strip()


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "m": q(Meter._meta.db_table),
        "r": q(MeterConnectionReference._meta.db_table),
        "p": q(PartnerRecord._meta.db_table),
        "c": q(Connection._meta.db_table),
        "l": q(Link._meta.db_table),
        "res": q(ReconciliationResult._meta.db_table),
    }


def _in(column: str, values: Sequence[str] | None) -> tuple[str, list[Any]]:
    """ " AND column IN (…)" for a targeted pass; nothing for a full one."""
    if values is None:
        return "", []
    if not values:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _fence() -> str:
    """Keeps PostgreSQL from inlining a subquery whose lookups the outer query uses several
    times (it would run them once per use)."""
    return " OFFSET 0" if connection.vendor == "postgresql" else ""


def _references_statement(references: Sequence[str] | None) -> tuple[str, list[Any]]:
    """The temporary table of references worth a look, with their meter count, their partner
    record and whether their meters belong to more than one customer (no connection reference
    common to all of them; a meter without any counts as a customer of its own)."""
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


def _meter_statement(run_id: int) -> tuple[str, list[Any]]:
    """A finding for each meter of a reference no record has or other customers share. The
    connection-reference lookup runs only for the former (the CASE evaluates it lazily)."""
    t = _tables()
    via = f"""(SELECT pr.id FROM {t["r"]} r JOIN {t["p"]} pr ON pr.reference = r.ref_id
              WHERE r.meter_id = m.id ORDER BY r.ref_id LIMIT 1)"""
    sql = f"""INSERT INTO {t["res"]} ({COLUMNS})
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


def _record_statement(
    run_id: int, now: datetime, overdue_after: timedelta
) -> tuple[str, list[Any]]:
    """A finding for each partner record without any meter (waiting, overdue or re-engage by
    its connection) or with a meter count other than the expected one. The lookups are
    correlated subqueries on purpose: an index probe for each of the few records that need
    one, where a join would hash every connection and every connection reference."""
    t = _tables()
    cutoff = connection.ops.adapt_datetimefield_value(overdue_cutoff(now, overdue_after))
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
    sql = f"""INSERT INTO {t["res"]} ({COLUMNS})
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
    overdue_params = [completed, cutoff, Category.OVERDUE, completed, Category.WAITING]
    fresh_params = [cutoff, Category.WAITING]
    categories = [Category.COUNT_MISMATCH, *overdue_params, *fresh_params, Category.REENGAGE]
    return sql, [run_id, *categories, False]


def _run_statements(
    run_id: int, now: datetime, overdue_after: timedelta, references: Sequence[str] | None
) -> None:
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # big one-off statements: JIT compiling them costs more than it saves, and the
            # per-reference counts fit in memory instead of spilling to disk
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(f"DROP TABLE IF EXISTS {REFS}")
        if postgresql:
            # both sides of the full join come sorted from covering indexes (meter_reference,
            # partnerrecord_match): merging them took half the time of the hash join the
            # planner prefers at 10^6 × 10^6
            cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute(*_references_statement(references))
        if postgresql:
            cursor.execute("SET LOCAL enable_hashjoin = on")
        cursor.execute(f"ANALYZE {REFS}")
        cursor.execute(*_meter_statement(run_id))
        cursor.execute(*_record_statement(run_id, now, overdue_after))
        cursor.execute(f"DROP TABLE {REFS}")


def _store_counts(run: ReconciliationRun) -> None:
    counts = dict.fromkeys(Category.values, 0)
    for row in (
        ReconciliationResult.objects.filter(run=run)
        .values("category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["category"]] = row["n"]
    # matched meters get no finding: they are the rest
    run.meters = Meter.objects.filter(is_archived=False).count()
    counts[Category.MATCHED] = run.meters - sum(counts[c] for c in METER_CATEGORIES)
    run.counts = counts
    run.partner_records = PartnerRecord.objects.count()


def matched_meters(meters: QuerySet[Meter] | None = None) -> QuerySet[Meter]:
    """Meters the latest pass found nothing wrong with: a partner record holds their reference
    and no finding names them. (A meter synced since the pass shows here if its reference
    matches; the next pass checks it for duplicates.)"""
    records = PartnerRecord.objects.filter(reference=OuterRef("partner_reference"))
    findings = ReconciliationResult.objects.filter(meter=OuterRef("pk"))
    rows = Meter.objects.all() if meters is None else meters
    return rows.filter(Exists(records), is_archived=False).exclude(Exists(findings))


def as_matched(meters: Iterable[Meter]) -> list[ReconciliationResult]:
    """Matched meters shown as findings (unsaved), with their partner records: one query."""
    rows = list(meters)
    references = {m.partner_reference for m in rows}
    records = {r.reference: r for r in PartnerRecord.objects.filter(reference__in=references)}
    return [
        ReconciliationResult(
            category=Category.MATCHED,
            partner_reference=m.partner_reference,
            meter=m,
            partner_record=records.get(m.partner_reference),
        )
        for m in rows
    ]


def reconcile(
    *, now: datetime, overdue_after: timedelta, user_id: int | None = None
) -> ReconciliationRun:
    """One full pass; its results replace the previous ones when it commits."""
    with transaction.atomic():
        _one_pass_at_a_time()
        run = ReconciliationRun.objects.create(started_at=timezone.now(), by_id=user_id)
        _run_statements(run.pk, now, overdue_after, None)
        # Older results go only now: readers see the previous set until this one commits.
        ReconciliationResult.objects.filter(run_id__lt=run.pk)._raw_delete(
            ReconciliationResult.objects.db
        )
        _store_counts(run)
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "meters", "partner_records", "finished_at"])
    return run


def _one_pass_at_a_time() -> None:
    """Passes, full or targeted, wait for one another until commit. Overlapping, neither would
    see the other's uncommitted findings, and both sets would stay."""
    if connection.vendor == "postgresql":  # SQLite runs one writing transaction at a time
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PASS_LOCK])


def latest_run() -> ReconciliationRun | None:
    return ReconciliationRun.objects.filter(finished_at__isnull=False).first()


def reconcile_some(
    *, meter_ids: Iterable[int], references: Iterable[str], now: datetime, overdue_after: timedelta
) -> None:
    """Redo the latest pass for a few meters and references (after a reference fix), so the
    page reflects the fix at once without a full pass."""
    ids = sorted(set(meter_ids))
    # every meter and record of the references involved is looked at again
    touched = {normalise_reference(r) for r in references if r}
    touched |= set(Meter.objects.filter(pk__in=ids).values_list("partner_reference", flat=True))
    refs = sorted(touched)
    with transaction.atomic():
        _one_pass_at_a_time()
        run = latest_run()
        if run is None:
            return
        affected = ReconciliationResult.objects.filter(run=run)
        in_scope = affected.filter(meter_id__in=ids) | affected.filter(
            meter__partner_reference__in=refs
        )
        records = affected.filter(category__in=RECORD_CATEGORIES)  # by recresult_category
        in_scope |= records.filter(meter__isnull=True, partner_reference__in=refs)
        in_scope.delete()
        _run_statements(run.pk, now, overdue_after, refs)
        _store_counts(run)
        run.save(update_fields=["counts", "meters", "partner_records"])
