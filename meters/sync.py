"""Make Meter and Enrollment rows match Leap, one page at a time, with set-based upserts.

Like connections.sync: each page is one transaction with a fixed number of queries whatever its
size (read fingerprints, upsert the changed rows, replace their connection references, copy the
enrollment summary onto the meters); an unchanged record writes nothing. Archived meters are
kept and flagged, never deleted.

After the listings, completed connections still waiting for meters are looked up by their refId
(Leap's advice: connection_reference_ids with created_after_date_time = the last interaction),
and their next action is moved by meters.arrival, the one owner of that rule.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery

from connections.choices import ConnectionStatus
from connections.models import Connection
from leapdash.runs.tracking import SyncCounts

from .arrival import AWAITING, update_connection_actions
from .models import (
    ENROLLMENT_SYNCED_FIELDS,
    SYNCED_FIELDS,
    Enrollment,
    Meter,
    MeterConnectionReference,
)

if TYPE_CHECKING:
    from leapdash.leap.client import LeapClient, Page
    from leapdash.leap.records import EnrollmentRecord, MeterRecord

OnPage = Callable[[SyncCounts, str | None], None]
PAGE_SIZE = 500
LOOKUP_BATCH = 100  # Leap's limit on connection_reference_ids per search
# Leap's partner action type that asks the end customer to authorize data sharing again.
REAUTHORIZATION_ACTION = "IS_AUTHORIZED"


def _no_progress(counts: SyncCounts, next_token: str | None) -> None:
    return None


def sync_meters(
    *,
    client: LeapClient,
    since: datetime | None,
    now: datetime,
    overdue_after: timedelta,
    full: bool = False,
    resume_token: str | None = None,
    on_page: OnPage = _no_progress,
    page_size: int = PAGE_SIZE,
) -> SyncCounts:
    """Read meters and enrollments changed since `since` (everything when `full` or None),
    look up meters of completed connections, and move those connections' next action.

    `resume_token` continues the meter-details listing where a stopped run left it;
    `on_page(counts, next_token)` runs after each committed page.
    """
    counts = SyncCounts()
    changed_since = None if full else since
    for page in client.iter_meters(
        last_modified_since=changed_since, page_token=resume_token or None, page_size=page_size
    ):
        write_meter_page(page, now=now, counts=counts)
        on_page(counts, page.next_token)
    for enrollments in client.iter_enrollments(
        last_modified_since=changed_since, page_size=page_size
    ):
        write_enrollment_page(enrollments, now=now, counts=counts)
        on_page(counts, None)  # not resumable mid-enrollments: the rerun repeats them
    lookup_meters_of_completed(client=client, now=now, counts=counts, on_page=on_page)
    update_connection_actions(now=now, overdue_after=overdue_after)
    return counts


def lookup_meters_of_completed(
    *, client: LeapClient, now: datetime, counts: SyncCounts, on_page: OnPage = _no_progress
) -> None:
    """Ask Leap for the meters of completed connections that have none here yet, 100 refIds
    per search, each batch created after the earliest last interaction among its refIds."""
    waiting = (
        Connection.objects.filter(status=ConnectionStatus.COMPLETED, next_action__in=AWAITING)
        .exclude(Exists(MeterConnectionReference.objects.filter(ref_id=OuterRef("ref_id"))))
        .order_by("last_interaction_at", "pk")
        .values_list("ref_id", "last_interaction_at")
    )
    for batch in _batches(waiting.iterator(chunk_size=2000), LOOKUP_BATCH):
        refs = [ref for ref, _ in batch]
        created_after = min(at for _, at in batch)
        for page in client.iter_meters(
            connection_reference_ids=refs, created_after=created_after, page_size=PAGE_SIZE
        ):
            write_meter_page(page, now=now, counts=counts)
            on_page(counts, None)


def _batches(
    rows: Iterator[tuple[str, datetime]], size: int
) -> Iterator[list[tuple[str, datetime]]]:
    batch: list[tuple[str, datetime]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _changed(
    ids: list[str],
    latest: Mapping[str, MeterRecord] | Mapping[str, EnrollmentRecord],
    stored: Mapping[str, str],
    counts: SyncCounts,
) -> Iterator[tuple[str, str]]:
    """(meter id, new fingerprint) of each record that differs from what is stored; counts
    every record as created, updated or unchanged."""
    for meter_id in ids:
        fingerprint = _fingerprint(latest[meter_id].raw)
        if stored.get(meter_id) == fingerprint:
            counts.unchanged += 1
            continue
        if meter_id in stored:
            counts.updated += 1
        else:
            counts.created += 1
        yield meter_id, fingerprint


# --- meter details ----------------------------------------------------------------------------


def write_meter_page(page: Page[MeterRecord], *, now: datetime, counts: SyncCounts) -> None:
    """Store one page of meter details: upsert what changed, leave the rest untouched."""
    _count_page(page.records, page.errors, page.retries, counts)
    latest = {record.meter_id: record for record in page.records}  # repeats: last wins
    if not latest:
        return
    ids = sorted(latest)  # one lock order for every writer
    with transaction.atomic():
        stored = dict(Meter.objects.filter(meter_id__in=ids).values_list("meter_id", "fingerprint"))
        changed = [
            _meter_row(latest[meter_id], fingerprint, now)
            for meter_id, fingerprint in _changed(ids, latest, stored, counts)
        ]
        if not changed:
            return
        changed_ids = [row.meter_id for row in changed]
        Meter.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["meter_id"],
            update_fields=SYNCED_FIELDS,
        )
        pks = dict(Meter.objects.filter(meter_id__in=changed_ids).values_list("meter_id", "pk"))
        MeterConnectionReference.objects.filter(meter_id__in=pks.values()).delete()
        MeterConnectionReference.objects.bulk_create(
            MeterConnectionReference(meter_id=pks[meter_id], ref_id=ref)
            for meter_id in changed_ids
            for ref in dict.fromkeys(latest[meter_id].connection_references)  # Leap repeats some
        )
        _copy_enrollment_summary(changed_ids)


def _meter_row(record: MeterRecord, fingerprint: str, now: datetime) -> Meter:
    name = record.customer_name or record.customer_company_name or ""
    if record.customer_name and record.customer_company_name:
        name = f"{record.customer_name} ({record.customer_company_name})"
    return Meter(
        meter_id=record.meter_id,
        partner_reference=record.partner_reference or "",
        connection_references=list(dict.fromkeys(record.connection_references)),
        transmission_region=record.transmission_region,
        customer_classification=record.customer_classification or "",
        meter_type=record.meter_type or "",
        utility_name=record.utility_name or "",
        service_account_number=record.service_account_number or "",
        customer_name=name[:256],
        service_address=(record.service_address or "")[:600],
        is_archived=record.is_archived,
        created_at=record.created_at,
        last_modified_at=record.last_modified_at,
        unknown_values=list(record.unknown_values),
        fingerprint=fingerprint,
        raw=dict(record.raw),
        first_synced_at=now,
        synced_at=now,
    )


# --- enrollments ------------------------------------------------------------------------------


def write_enrollment_page(
    page: Page[EnrollmentRecord], *, now: datetime, counts: SyncCounts
) -> None:
    """Store one page of enrollments and copy their summary onto the meters."""
    _count_page(page.records, page.errors, page.retries, counts)
    latest = {record.meter_id: record for record in page.records}
    if not latest:
        return
    ids = sorted(latest)
    with transaction.atomic():
        stored = dict(
            Enrollment.objects.filter(meter_id__in=ids).values_list("meter_id", "fingerprint")
        )
        changed = [
            _enrollment_row(latest[meter_id], fingerprint, now)
            for meter_id, fingerprint in _changed(ids, latest, stored, counts)
        ]
        if not changed:
            return
        Enrollment.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["meter_id"],
            update_fields=ENROLLMENT_SYNCED_FIELDS,
        )
        _copy_enrollment_summary([row.meter_id for row in changed])


def _enrollment_row(record: EnrollmentRecord, fingerprint: str, now: datetime) -> Enrollment:
    return Enrollment(
        meter_id=record.meter_id,
        partner_reference=record.partner_reference or "",
        global_status=record.global_status,
        programs=[_jsonable(asdict(p)) for p in record.programs],
        partner_actions=[_jsonable(asdict(a)) for a in record.partner_actions],
        leap_actions=[_jsonable(asdict(a)) for a in record.leap_actions],
        partner_action_codes=sorted({a.code for a in record.partner_actions}),
        has_partner_actions=bool(record.partner_actions),
        needs_reauthorization=any(
            a.action_type == REAUTHORIZATION_ACTION for a in record.partner_actions
        ),
        is_archived=record.is_archived,
        last_modified_at=record.last_modified_at,
        unknown_values=list(record.unknown_values),
        fingerprint=fingerprint,
        raw=dict(record.raw),
        synced_at=now,
    )


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _copy_enrollment_summary(meter_ids: list[str]) -> None:
    """One UPDATE: each meter's enrollment status and partner actions, from its Enrollment."""
    enrollment = Enrollment.objects.filter(meter_id=OuterRef("meter_id"))
    Meter.objects.filter(meter_id__in=meter_ids).filter(Exists(enrollment)).update(
        global_enrollment_status=Subquery(enrollment.values("global_status")[:1]),
        required_action_codes=Subquery(enrollment.values("partner_action_codes")[:1]),
        has_required_actions=Subquery(enrollment.values("has_partner_actions")[:1]),
        needs_reauthorization=Subquery(enrollment.values("needs_reauthorization")[:1]),
    )


def _count_page(
    records: Iterable[object], errors: Iterable[Any], retries: int, counts: SyncCounts
) -> None:
    records, errors = list(records), list(errors)
    counts.pages += 1
    counts.fetched += len(records) + len(errors)
    counts.retries += retries
    for error in errors:
        counts.skip(error.record_id, str(error))


def _fingerprint(raw: Mapping[str, Any]) -> str:
    text = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def refetch_meters(*, client: LeapClient, meter_ids: list[str], now: datetime) -> SyncCounts:
    """Re-read chosen meters and their enrollments (1,000 ids per search)."""
    counts = SyncCounts()
    for page in client.iter_meters(meter_ids=meter_ids, page_size=PAGE_SIZE):
        write_meter_page(page, now=now, counts=counts)
    for enrollments in client.iter_enrollments(meter_ids=meter_ids, page_size=PAGE_SIZE):
        write_enrollment_page(enrollments, now=now, counts=counts)
    return counts
