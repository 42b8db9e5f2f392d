"""Match Leap's meters to the partner's records by partner_reference: set-based, in SQL.

One pass is a handful of INSERT … SELECT statements, each a join or an anti-join on indexed
columns, so 10^6 meters against 10^6 partner records never loops over rows in Python. Each
meter (archived ones aside) lands in exactly one category, tried in this order:

- duplicate: its partner_reference is also held by meters of another customer (their
  connection references differ), so the reference cannot identify one customer;
- matched: a partner record has its partner_reference;
- by_connection: only one of its connection_references (the refId the customer used) names a
  partner record: propose setting partner_reference to it;
- unknown_meter: nothing of ours names it.

Each partner record without any meter lands in waiting / overdue (its connection completed, by
settings.METERS_OVERDUE_HOURS) or reengage (no completed connection); a partner record whose
expected meter count differs from the meters holding its reference adds a count_mismatch row.
The SQL is plain enough for PostgreSQL and the SQLite demo alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from connections.models import Connection
from connections.status import ConnectionStatus

from .models import (
    Category,
    Meter,
    MeterConnectionReference,
    PartnerRecord,
    ReconciliationResult,
    ReconciliationRun,
)

COLUMNS = (
    "run_id, category, partner_reference, meter_id, partner_record_id, reason, "
    "suggested_reference, suggested_fix"
)

REASONS = {
    Category.DUPLICATE: (
        "Meters of more than one customer (different connections) hold this reference.",
        "Give each customer's meters their own reference: fix the wrong ones below.",
    ),
    Category.MATCHED: ("A partner record has this reference.", ""),
    Category.BY_CONNECTION: (
        "Its partner_reference matches no record, but a connection it came from does.",
        "Set the meter's reference to the suggested one.",
    ),
    Category.UNKNOWN_METER: (
        "No partner record has its reference or any of its connection references.",
        "Add the customer to your records, or set the meter's reference to one of yours.",
    ),
}


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
        "res": q(ReconciliationResult._meta.db_table),
    }


def _in(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    if not values:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join(['%s'] * len(values))})", list(values)


class _Scope:
    """Which meters and partner references a pass covers: all, or those a fix touched."""

    def __init__(self, meter_ids: Sequence[int] | None, references: Sequence[str] | None) -> None:
        self.meter_ids = meter_ids
        self.references = references

    def meters(self, alias: str) -> tuple[str, list[Any]]:
        if self.meter_ids is None or self.references is None:
            return "", []
        ids, id_params = _in(f"{alias}.id", self.meter_ids)
        refs, ref_params = _in(f"{alias}.partner_reference", self.references)
        # "AND 1 = 0" when empty: strip the leading AND to combine with OR
        return f" AND (({ids[5:]}) OR ({refs[5:]}))", [*id_params, *ref_params]

    def records(self, alias: str) -> tuple[str, list[Any]]:
        if self.references is None:
            return "", []
        return _in(f"{alias}.reference", self.references)


def _run_statements(run_id: int, now: datetime, overdue_after: timedelta, scope: _Scope) -> None:
    t = _tables()
    cutoff = connection.ops.adapt_datetimefield_value(now - overdue_after)
    hours = f"{overdue_after.total_seconds() / 3600:g}"
    m_scope, m_params = scope.meters("m")
    p_scope, p_params = scope.records("p")
    not_done = f"NOT EXISTS (SELECT 1 FROM {t['res']} x WHERE x.run_id = %s AND x.meter_id = m.id)"
    statements: list[tuple[str, list[Any]]] = []

    reason, fix = REASONS[Category.DUPLICATE]
    statements.append(
        (
            f"""INSERT INTO {t["res"]} ({COLUMNS})
            SELECT %s, %s, m.partner_reference, m.id, p.id, %s, '', %s
            FROM {t["m"]} m LEFT JOIN {t["p"]} p ON p.reference = m.partner_reference
            WHERE m.is_archived = %s{m_scope} AND m.partner_reference IN (
                SELECT o.partner_reference FROM (
                    SELECT m2.partner_reference, COALESCE(
                        (SELECT MIN(r.ref_id) FROM {t["r"]} r WHERE r.meter_id = m2.id),
                        m2.meter_id) AS owner
                    FROM {t["m"]} m2
                    WHERE m2.is_archived = %s AND m2.partner_reference <> ''
                ) o GROUP BY o.partner_reference HAVING COUNT(DISTINCT o.owner) > 1)""",
            [run_id, Category.DUPLICATE, reason, fix, False, *m_params, False],
        )
    )
    reason, fix = REASONS[Category.MATCHED]
    statements.append(
        (
            f"""INSERT INTO {t["res"]} ({COLUMNS})
            SELECT %s, %s, m.partner_reference, m.id, p.id, %s, '', %s
            FROM {t["m"]} m JOIN {t["p"]} p ON p.reference = m.partner_reference
            WHERE m.is_archived = %s{m_scope} AND {not_done}""",
            [run_id, Category.MATCHED, reason, fix, False, *m_params, run_id],
        )
    )
    reason, fix = REASONS[Category.BY_CONNECTION]
    statements.append(
        (
            f"""INSERT INTO {t["res"]} ({COLUMNS})
            SELECT %s, %s, m.partner_reference, m.id, p.id, %s, p.reference, %s
            FROM (SELECT r.meter_id AS mid, MIN(r.ref_id) AS ref
                  FROM {t["r"]} r JOIN {t["p"]} pr ON pr.reference = r.ref_id
                  GROUP BY r.meter_id) x
            JOIN {t["m"]} m ON m.id = x.mid
            JOIN {t["p"]} p ON p.reference = x.ref
            WHERE m.is_archived = %s{m_scope} AND {not_done}
            AND NOT EXISTS (SELECT 1 FROM {t["p"]} p2 WHERE p2.reference = m.partner_reference)""",
            [run_id, Category.BY_CONNECTION, reason, fix, False, *m_params, run_id],
        )
    )
    reason, fix = REASONS[Category.UNKNOWN_METER]
    statements.append(
        (
            f"""INSERT INTO {t["res"]} ({COLUMNS})
            SELECT %s, %s, m.partner_reference, m.id, NULL, %s, '', %s
            FROM {t["m"]} m WHERE m.is_archived = %s{m_scope} AND {not_done}""",
            [run_id, Category.UNKNOWN_METER, reason, fix, False, *m_params, run_id],
        )
    )
    completed = ConnectionStatus.COMPLETED
    overdue_when = "c.status = %s AND c.last_interaction_at <= %s"
    statements.append(
        (
            f"""INSERT INTO {t["res"]} ({COLUMNS})
            SELECT %s,
              CASE WHEN {overdue_when} THEN %s WHEN c.status = %s THEN %s ELSE %s END,
              p.reference, NULL, p.id,
              CASE WHEN {overdue_when}
                     THEN %s
                   WHEN c.status = %s THEN %s
                   ELSE 'No completed connection (Leap status: '
                        || COALESCE(c.status, 'link never opened') || ').' END,
              '',
              CASE WHEN {overdue_when} THEN %s WHEN c.status = %s THEN %s ELSE %s END
            FROM {t["p"]} p LEFT JOIN {t["c"]} c ON c.ref_id = p.reference
            WHERE 1 = 1{p_scope}
            AND NOT EXISTS (SELECT 1 FROM {t["m"]} m
                            WHERE m.partner_reference = p.reference AND m.is_archived = %s)
            AND NOT EXISTS (SELECT 1 FROM {t["r"]} r JOIN {t["m"]} m ON m.id = r.meter_id
                            WHERE r.ref_id = p.reference AND m.is_archived = %s)""",
            [
                run_id,
                completed,
                cutoff,
                Category.OVERDUE,
                completed,
                Category.WAITING,
                Category.REENGAGE,
                completed,
                cutoff,
                f"The connection completed over {hours} hours ago and no meter has arrived.",
                completed,
                "The connection completed; Leap creates meters about a day later.",
                completed,
                cutoff,
                "Ask Leap support why the meters are missing.",
                completed,
                "Wait: the meters sync looks them up every hour.",
                "Re-engage the customer: resend the link or follow up.",
                *p_params,
                False,
                False,
            ],
        )
    )
    cast = "CAST({} AS VARCHAR(12))"
    statements.append(
        (
            f"""INSERT INTO {t["res"]} ({COLUMNS})
            SELECT %s, %s, p.reference, NULL, p.id,
              'Expected ' || {cast.format("p.expected_meter_count")} || ' meters; Leap has '
                || {cast.format("n.found")} || ' with this reference.',
              '',
              CASE WHEN n.found < p.expected_meter_count THEN %s ELSE %s END
            FROM {t["p"]} p JOIN (
                SELECT partner_reference, COUNT(*) AS found FROM {t["m"]}
                WHERE is_archived = %s GROUP BY partner_reference) n
              ON n.partner_reference = p.reference
            WHERE p.expected_meter_count IS NOT NULL
            AND n.found <> p.expected_meter_count{p_scope}""",
            [
                run_id,
                Category.COUNT_MISMATCH,
                "Ask the customer to connect the accounts still missing (or correct the "
                "expected count).",
                "Check the extra meters' references, or correct the expected count.",
                False,
                *p_params,
            ],
        )
    )
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def _store_counts(run: ReconciliationRun) -> None:
    counts = dict.fromkeys(Category.values, 0)
    for row in (
        ReconciliationResult.objects.filter(run=run)
        .values("category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["category"]] = row["n"]
    run.counts = counts
    run.meters = Meter.objects.filter(is_archived=False).count()
    run.partner_records = PartnerRecord.objects.count()


def reconcile(
    *, now: datetime, overdue_after: timedelta, user_id: int | None = None
) -> ReconciliationRun:
    """One full pass; its results replace the previous ones when it commits."""
    with transaction.atomic():
        run = ReconciliationRun.objects.create(started_at=timezone.now(), by_id=user_id)
        _run_statements(run.pk, now, overdue_after, _Scope(None, None))
        # Older results go only now, and only older ones: of two overlapping passes the later
        # one's results survive, and readers see the previous set until this one commits.
        ReconciliationResult.objects.filter(run_id__lt=run.pk)._raw_delete(
            ReconciliationResult.objects.db
        )
        _store_counts(run)
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "meters", "partner_records", "finished_at"])
    return run


def latest_run() -> ReconciliationRun | None:
    return ReconciliationRun.objects.filter(finished_at__isnull=False).first()


def reconcile_some(
    *, meter_ids: Iterable[int], references: Iterable[str], now: datetime, overdue_after: timedelta
) -> None:
    """Redo the latest pass for a few meters and references (after a reference fix), so the
    page reflects the fix at once without a full pass."""
    run = latest_run()
    if run is None:
        return
    ids = sorted(set(meter_ids))
    refs = sorted({normalise_reference(r) for r in references if r})
    with transaction.atomic():
        affected = ReconciliationResult.objects.filter(run=run)
        in_scope = affected.filter(meter_id__in=ids) | affected.filter(
            meter__partner_reference__in=refs
        )
        in_scope |= affected.filter(meter__isnull=True, partner_reference__in=refs)
        in_scope.delete()
        _run_statements(run.pk, now, overdue_after, _Scope(ids, refs))
        _store_counts(run)
        run.save(update_fields=["counts", "meters", "partner_records"])
