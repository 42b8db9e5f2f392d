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

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from leapdash.db import is_postgresql

from . import sql
from .arrival import overdue_cutoff
from .models import (
    Category,
    Meter,
    PartnerRecord,
    ReconciliationResult,
    ReconciliationRun,
    TouchedReference,
)
from .sql import METER_CATEGORIES


def unit_of(category: str) -> str:
    """What a category counts: meters (Leap's side) or partner records (one per customer), so a
    count of one is never read against a count of the other."""
    return "meter" if category in (Category.MATCHED, *METER_CATEGORIES) else "partner record"


def normalise_reference(value: str) -> str:
    """The matching key: Leap compares references exactly, so only outer spaces go."""
    return value.strip()


def _run_statements(
    run_id: int, now: datetime, overdue_after: timedelta, references: Sequence[str] | None
) -> None:
    """The pass's script (meters.sql has each statement and why)."""
    script = [
        *sql.pass_settings(),
        sql.DROP_REFS_IF_ANY,
        *sql.merge_join(True),
        sql.create_refs(references),
        *sql.merge_join(False),
        sql.ANALYZE_REFS,
        sql.insert_meter_findings(run_id),
        sql.insert_record_findings(run_id, overdue_cutoff(now, overdue_after)),
        sql.DROP_REFS,
    ]
    with connection.cursor() as cursor:
        for statement in script:
            cursor.execute(*statement)


def _store_counts(
    run: ReconciliationRun, meters: int | None = None, records: int | None = None
) -> None:
    """The run's counts per category, from its findings; the totals of meters (not archived)
    and partner records counted unless given."""
    counts = dict.fromkeys(Category.values, 0)
    for row in (
        ReconciliationResult.objects.filter(run=run)
        .values("category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["category"]] = row["n"]
    # matched meters get no finding: they are the rest
    run.meters = Meter.objects.filter(is_archived=False).count() if meters is None else meters
    counts[Category.MATCHED] = run.meters - sum(counts[c] for c in METER_CATEGORIES)
    run.counts = counts
    run.partner_records = PartnerRecord.objects.count() if records is None else records


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
    """One full pass; its results replace the previous ones when it commits. It also consumes
    the touched-references log (meters.touched): everything is looked at."""
    with transaction.atomic():
        _one_pass_at_a_time()
        upto = _log_end()
        run = ReconciliationRun.objects.create(
            started_at=timezone.now(),
            by_id=user_id,
            overdue_cutoff=overdue_cutoff(now, overdue_after),
        )
        _run_statements(run.pk, now, overdue_after, None)
        # Older results go only now: readers see the previous set until this one commits.
        with connection.cursor() as cursor:
            cursor.execute(*sql.delete_results_before(run.pk))
            if is_postgresql():
                cursor.execute(*sql.analyze_results())
        _consume_log(upto)
        _store_counts(run)
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "meters", "partner_records", "finished_at"])
    return run


def reconcile_touched(*, now: datetime, overdue_after: timedelta) -> ReconciliationRun:
    """The hourly pass: the latest pass redone for the references touched since (the triggers'
    log, and the connections and links that crossed the overdue margin), which leaves exactly
    the findings a full pass would. A full pass instead on SQLite (no triggers there) or when
    no pass has run yet."""
    if not is_postgresql():
        return reconcile(now=now, overdue_after=overdue_after)
    with transaction.atomic():
        _one_pass_at_a_time()
        run = latest_run()
        if run is None or run.overdue_cutoff is None:
            return reconcile(now=now, overdue_after=overdue_after)
        cutoff = overdue_cutoff(now, overdue_after)
        upto = _log_end()
        with connection.cursor() as cursor:
            cursor.execute(*sql.touched_references(upto, run.overdue_cutoff, cutoff))
            refs = sorted({reference for (reference,) in cursor.fetchall()})
            cursor.execute(*sql.log_deltas(upto))
            meters, records = cursor.fetchone()
        _redo(run, [], refs, now, overdue_after, (meters, records))
        _consume_log(upto)
        run.overdue_cutoff, run.finished_at = cutoff, timezone.now()
        run.save(update_fields=["overdue_cutoff", "finished_at"])
    return run


def _log_end() -> int:
    last = TouchedReference.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def _consume_log(upto: int) -> None:
    TouchedReference.objects.filter(id__lte=upto).delete()


def _one_pass_at_a_time() -> None:
    """Passes, full or targeted, wait for one another until commit. Overlapping, neither would
    see the other's uncommitted findings, and both sets would stay."""
    if is_postgresql():  # SQLite runs one writing transaction at a time
        with connection.cursor() as cursor:
            cursor.execute(*sql.PASS_LOCK_STATEMENT)


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
        _redo(run, ids, refs, now, overdue_after)


def _redo(
    run: ReconciliationRun,
    ids: Sequence[int],
    refs: Sequence[str],
    now: datetime,
    overdue_after: timedelta,
    totals: tuple[int, int] | None = None,
) -> None:
    """The findings of meters `ids` and of references `refs` dropped and found again. The
    findings are counted again (one index-only scan); the meters and partner records too,
    unless `totals` gives their change since the pass (the triggers' log), which spares a
    targeted pass counting 10^6 rows."""
    with connection.cursor() as cursor:
        for statement in sql.delete_scoped_findings(run.pk, ids, refs):
            cursor.execute(*statement)
    _run_statements(run.pk, now, overdue_after, refs)
    if totals is None:
        _store_counts(run)
    else:
        _store_counts(run, run.meters + totals[0], run.partner_records + totals[1])
    run.save(update_fields=["counts", "meters", "partner_records"])
