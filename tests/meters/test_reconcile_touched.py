"""The hourly targeted reconciliation (meters.reconcile.reconcile_touched) leaves exactly the
findings and counts a full pass would, after random changes of every kind: meters added,
moved to another reference, archived, deleted, or given another connection reference; partner
records added, removed or given an expected count; connections completing; links sent; and the
clock crossing the overdue margin. The log of touched references is written by PostgreSQL
triggers, whatever writes the rows (the ORM here, the syncs' COPY in production)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from connections.models import Connection
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link
from meters.models import (
    Meter,
    MeterConnectionReference,
    PartnerRecord,
    ReconciliationResult,
    ReconciliationRun,
    TouchedReference,
)
from meters.reconcile import latest_run, reconcile, reconcile_touched
from tests.connections.builders import conn, page_of

pytestmark = pytest.mark.django_db(transaction=True)
OVERDUE = timedelta(hours=24)
REFS = [f"cust-{n:03d}" for n in range(40)]
STATUSES = ["COMPLETED", "IN_PROGRESS", "NOT_STARTED", "ERROR"]


def _meter(rng: random.Random, n: int, now: datetime) -> Meter:
    reference = rng.choice([*REFS, "", "stray-1", "stray-2"])
    connection_refs = rng.sample(REFS, rng.choice([0, 1, 1, 2]))
    meter = Meter.objects.create(
        meter_id=f"m-{n:05d}",
        partner_reference=reference,
        connection_references=connection_refs,
        transmission_region="CAISO",
        created_at=now,
        fingerprint="f",
        first_synced_at=now,
        synced_at=now,
    )
    MeterConnectionReference.objects.bulk_create(
        MeterConnectionReference(meter=meter, ref_id=r) for r in connection_refs
    )
    return meter


def _world(rng: random.Random, now: datetime) -> None:
    for n in range(60):
        _meter(rng, n, now)
    for ref in rng.sample(REFS, 25):
        PartnerRecord.objects.create(reference=ref, expected_meter_count=rng.choice([None, 1, 2]))
    records = [
        conn(
            rng.choice(STATUSES),
            ref_id=ref,
            last=now - timedelta(hours=rng.choice([1, 20, 23.5, 30, 60])),
        )
        for ref in rng.sample(REFS, 20)
    ]
    write_page(page_of(records), now=now, counts=SyncCounts())
    for ref in rng.sample(REFS, 20):
        sent = rng.choice([None, now - timedelta(hours=rng.choice([1, 23, 30]))])
        Link.objects.create(org_name="o", ref_id=ref, url="https://x", sent_at=sent)


def _change(rng: random.Random, now: datetime, serial: int) -> None:
    """One random change through the ORM (the triggers log what it touched)."""
    kind = rng.randrange(9)
    meters = list(Meter.objects.order_by("pk"))
    meter = rng.choice(meters) if meters else None
    if kind == 0 or meter is None:
        _meter(rng, 1000 + serial, now)
    elif kind == 1:
        Meter.objects.filter(pk=meter.pk).update(partner_reference=rng.choice([*REFS, ""]))
    elif kind == 2:
        Meter.objects.filter(pk=meter.pk).update(is_archived=not meter.is_archived)
    elif kind == 3:
        meter.delete()
    elif kind == 4:
        ref = rng.choice(REFS)
        MeterConnectionReference.objects.filter(meter=meter).delete()
        MeterConnectionReference.objects.create(meter=meter, ref_id=ref)
        Meter.objects.filter(pk=meter.pk).update(connection_references=[ref])
    elif kind == 5:
        ref = rng.choice(REFS)
        record = PartnerRecord.objects.filter(reference=ref).first()
        if record is None:
            PartnerRecord.objects.create(reference=ref, expected_meter_count=rng.choice([None, 1]))
        elif rng.random() < 0.5:
            record.delete()
        else:
            PartnerRecord.objects.filter(pk=record.pk).update(expected_meter_count=3)
    elif kind == 6:
        Connection.objects.filter(ref_id=rng.choice(REFS)).update(
            status="COMPLETED", last_interaction_at=now - timedelta(hours=rng.choice([1, 23.9]))
        )
    elif kind == 7:
        Link.objects.filter(ref_id=rng.choice(REFS)).update(sent_at=now - timedelta(hours=23.9))
    else:
        Link.objects.filter(ref_id=rng.choice(REFS)).delete()


def _findings() -> list[tuple]:
    rows = ReconciliationResult.objects.values_list(
        "category",
        "partner_reference",
        "meter__meter_id",
        "partner_record__reference",
        "suggested_reference",
        "connection_status",
        "expected_meters",
        "found_meters",
    )
    return sorted(rows, key=repr)


def _state() -> tuple[list[tuple], dict]:
    run = latest_run()
    assert run is not None
    return _findings(), {**run.counts, "meters": run.meters, "records": run.partner_records}


@pytest.mark.parametrize("seed", range(40))
def test_a_targeted_pass_leaves_what_a_full_pass_would(seed):
    rng = random.Random(seed)
    now = timezone.now()
    _world(rng, now)
    reconcile(now=now, overdue_after=OVERDUE)
    assert not TouchedReference.objects.exists()  # a full pass consumes the log
    for hour in range(3):
        now += timedelta(hours=rng.choice([0.5, 1, 6]))  # the margin moves, rows cross it
        for serial in range(rng.randrange(1, 6)):
            _change(rng, now, hour * 10 + serial)
        targeted = reconcile_touched(now=now, overdue_after=OVERDUE)
        after_targeted = _state()
        assert not TouchedReference.objects.exists()
        reconcile(now=now, overdue_after=OVERDUE)
        full = _state()
        missed = set(full[0]) ^ set(after_targeted[0])
        assert full == after_targeted, f"seed {seed}, hour {hour}: {missed}"
        assert ReconciliationRun.objects.filter(pk=targeted.pk).exists()


def test_the_triggers_log_old_and_new_references_of_every_table():
    now = timezone.now()
    meter = Meter.objects.create(
        meter_id="m-1",
        partner_reference="old-ref",
        transmission_region="CAISO",
        created_at=now,
        fingerprint="f",
        first_synced_at=now,
        synced_at=now,
    )
    Meter.objects.filter(pk=meter.pk).update(partner_reference="new-ref")
    MeterConnectionReference.objects.create(meter=meter, ref_id="conn-ref")
    PartnerRecord.objects.create(reference="record-ref")
    Link.objects.create(org_name="o", ref_id="link-ref", url="https://x")
    write_page(page_of([conn("COMPLETED", ref_id="connection-ref")]), now=now, counts=SyncCounts())
    meter.delete()
    rows = TouchedReference.objects.all()
    logged = set(rows.exclude(reference=None).values_list("reference", flat=True))
    assert {"old-ref", "new-ref", "conn-ref", "record-ref", "link-ref", "connection-ref"} <= logged
    # the totals' changes ride on rows without a reference: one meter in and out, one record
    totals = rows.filter(reference=None).aggregate(m=Sum("meters_delta"), r=Sum("records_delta"))
    assert totals == {"m": 0, "r": 1}
    assert rows.filter(reference=None, meters_delta=1).exists()


def test_an_hourly_pass_without_a_previous_one_is_a_full_pass():
    PartnerRecord.objects.create(reference="alone")
    run = reconcile_touched(now=timezone.now(), overdue_after=OVERDUE)
    assert run.counts["reengage"] == 1
    assert run.overdue_cutoff is not None
