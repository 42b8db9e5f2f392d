"""Reconciliation categories, each produced by a sandbox fixture built for it, with exact
members; the run's counts; a targeted re-run after a fix; partner records from links."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection as db
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leapdash.leap.sandbox.state import advance_clock, sandbox_now
from links.models import Link
from meters.models import Category, Meter, PartnerRecord, ReconciliationResult, ReconciliationRun
from meters.partners import derive_from_links
from meters.reconcile import matched_meters, reconcile, reconcile_some
from meters.sync import sync_meters

from .conftest import OVERDUE, set_sandbox_reference, sync_connections_now

pytestmark = pytest.mark.django_db(transaction=True)


def _record(reference: str, expected: int | None = None) -> PartnerRecord:
    return PartnerRecord.objects.create(reference=reference, expected_meter_count=expected)


@pytest.fixture
def world(leap, customer):
    """One fixture per category; refIds name the category they are built for."""
    customer("matched-1")
    customer("byconn-1")
    customer("unknown-1")
    customer("dup-a")
    customer("dup-b")
    customer("overdue-1")
    customer("bad-1", "badlogin")
    customer("commercial-1", "commercial")
    advance_clock(24.5)
    customer("waiting-1")  # completed just now: its meters are a day away
    sync_connections_now(leap)
    from leapdash.leap.sandbox import models as sandbox

    sandbox.Meter.objects.filter(partner_reference="overdue-1").delete()
    meters = {m.partner_reference: str(m.meter_id) for m in sandbox.Meter.objects.all()}
    set_sandbox_reference(meters["byconn-1"], "byconn-typo")
    set_sandbox_reference(meters["dup-b"], "dup-a")
    for reference in ("matched-1", "byconn-1", "dup-a", "overdue-1", "waiting-1", "bad-1"):
        _record(reference)
    _record("never-opened-1")
    _record("commercial-1", expected=5)
    sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=OVERDUE)


def _members(category: str) -> set[str]:
    """Meter rows by their first connection reference; partner-record rows by reference.
    Matched meters have no row: they are the meters matched_meters() lists."""
    if category == Category.MATCHED:
        return {m.connection_references[0] for m in matched_meters()}
    rows = ReconciliationResult.objects.filter(category=category).select_related("meter")
    return {r.meter.connection_references[0] if r.meter else r.partner_reference for r in rows}


def test_every_category_has_exactly_the_members_built_for_it(world):
    run = reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    assert _members(Category.MATCHED) == {"matched-1", "commercial-1"}
    assert _members(Category.BY_CONNECTION) == {"byconn-1"}
    assert _members(Category.UNKNOWN_METER) == {"unknown-1"}
    assert _members(Category.DUPLICATE) == {"dup-a", "dup-b"}
    assert _members(Category.WAITING) == {"waiting-1"}
    assert _members(Category.OVERDUE) == {"overdue-1"}
    assert _members(Category.REENGAGE) == {"bad-1", "never-opened-1"}
    assert _members(Category.COUNT_MISMATCH) == {"commercial-1"}
    assert run.counts == {
        Category.MATCHED: 5,  # 1 residential + 4 commercial meters
        Category.BY_CONNECTION: 1,
        Category.UNKNOWN_METER: 1,
        Category.DUPLICATE: 2,
        Category.WAITING: 1,
        Category.OVERDUE: 1,
        Category.REENGAGE: 2,
        Category.COUNT_MISMATCH: 1,
    }


def test_each_row_says_why_and_what_to_do(world):
    reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    by_connection = ReconciliationResult.objects.get(category=Category.BY_CONNECTION)
    assert by_connection.partner_reference == "byconn-typo"
    assert by_connection.suggested_reference == "byconn-1"
    assert by_connection.partner_record is not None
    assert by_connection.partner_record.reference == "byconn-1"
    mismatch = ReconciliationResult.objects.get(category=Category.COUNT_MISMATCH)
    assert mismatch.reason == "Expected 5 meters; Leap has 4 with this reference."
    never = ReconciliationResult.objects.get(partner_reference="never-opened-1")
    assert "link never opened" in never.reason
    assert all(r.reason for r in ReconciliationResult.objects.all())
    assert not ReconciliationResult.objects.filter(category=Category.MATCHED).exists()
    assert all(r.suggested_fix for r in ReconciliationResult.objects.all())


def test_a_new_run_replaces_the_results_and_keeps_the_counts_of_both(world):
    first = reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    _record("unknown-1")
    second = reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    assert set(ReconciliationResult.objects.values_list("run", flat=True)) == {second.pk}
    assert first.counts[Category.UNKNOWN_METER] == 1
    assert second.counts[Category.UNKNOWN_METER] == 0
    assert second.counts[Category.MATCHED] == 6


def test_the_pass_runs_a_fixed_number_of_queries_whatever_the_data(world):
    with CaptureQueriesContext(db) as small:
        reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    for n in range(50):
        _record(f"extra-{n:03d}", expected=2)
    with CaptureQueriesContext(db) as large:
        reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    assert len(small.captured_queries) == len(large.captured_queries)


def test_a_targeted_rerun_moves_a_fixed_meter_to_matched(world):
    reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    meter = Meter.objects.get(partner_reference="byconn-typo")
    Meter.objects.filter(pk=meter.pk).update(partner_reference="byconn-1")
    reconcile_some(
        meter_ids=[meter.pk],
        references=["byconn-typo", "byconn-1"],
        now=sandbox_now(),
        overdue_after=OVERDUE,
    )
    assert not ReconciliationResult.objects.filter(meter=meter).exists()
    assert meter in matched_meters()
    assert _members(Category.BY_CONNECTION) == set()
    assert _members(Category.MATCHED) == {"matched-1", "commercial-1", "byconn-1"}
    run = ReconciliationRun.objects.get()
    assert run.counts[Category.MATCHED] == 6
    assert run.counts[Category.BY_CONNECTION] == 0


@pytest.mark.django_db
def test_a_meter_reauthorized_under_a_second_connection_is_not_a_duplicate(leap, customer):
    """The four meters of a site share its refId; one was re-authorized under a second
    connection of the same customer, which Leap adds beside the first."""
    from leapdash.leap.sandbox import models as sandbox

    customer("zeta-site", "commercial")
    customer("other-customer")
    advance_clock(24.5)
    reauthorized = sandbox.Meter.objects.filter(partner_reference="zeta-site")[0]
    reauthorized.document["connection_references"] = ["alpha-second", "zeta-site"]
    reauthorized.save()
    stranger = sandbox.Meter.objects.get(partner_reference="other-customer")
    set_sandbox_reference(str(stranger.meter_id), "shared-by-two")
    lookalike = sandbox.Meter.objects.exclude(pk=reauthorized.pk).filter(
        partner_reference="zeta-site"
    )[0]
    set_sandbox_reference(str(lookalike.meter_id), "shared-by-two")
    _record("zeta-site")
    _record("shared-by-two")
    sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=OVERDUE)

    reconcile(now=sandbox_now(), overdue_after=OVERDUE)

    site = Meter.objects.filter(partner_reference="zeta-site")
    assert site.count() == 3
    assert set(matched_meters(site)) == set(site)
    duplicates = ReconciliationResult.objects.filter(category=Category.DUPLICATE)
    assert {r.partner_reference for r in duplicates} == {"shared-by-two"}
    assert duplicates.count() == 2  # two customers really share that one


def test_every_meter_of_a_site_matched_by_connection_only_gets_the_refid(leap, customer):
    """A commercial site's four meters carry a wrong reference: each is proposed the refId."""
    from leapdash.leap.sandbox import models as sandbox

    customer("site-77", "commercial")
    advance_clock(24.5)
    for meter in sandbox.Meter.objects.filter(partner_reference="site-77"):
        set_sandbox_reference(str(meter.meter_id), "site-77-typo")
    _record("site-77")
    sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=OVERDUE)

    reconcile(now=sandbox_now(), overdue_after=OVERDUE)

    rows = ReconciliationResult.objects.filter(category=Category.BY_CONNECTION)
    assert rows.count() == 4
    assert {r.suggested_reference for r in rows} == {"site-77"}


def test_links_become_partner_records_without_overwriting_csv_ones():
    for ref in ("link-1", "link-2", "csv-1"):
        Link.objects.create(org_name="o", ref_id=ref, customer_name=f"name {ref}", url="u")
    Link.objects.create(org_name="other", ref_id="link-1", customer_name="name link-1", url="u")
    PartnerRecord.objects.create(reference="csv-1", name="From the CSV", expected_meter_count=2)
    assert derive_from_links() == 2
    assert derive_from_links() == 0
    records = {p.reference: (p.name, p.source) for p in PartnerRecord.objects.all()}
    assert records == {
        "link-1": ("name link-1", "link"),
        "link-2": ("name link-2", "link"),
        "csv-1": ("From the CSV", "csv"),
    }


def _until_a_pass_waits_for_the_lock() -> None:
    """PostgreSQL shows the second pass queued behind the first one's advisory lock."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the second pass never waited for the first one's lock")


def test_overlapping_passes_run_one_after_the_other_and_leave_one_set(world):
    """A second pass started while the first is still open waits for it, then replaces it."""
    started, finish = threading.Event(), threading.Event()
    runs = []

    def first() -> None:
        with transaction.atomic():
            runs.append(reconcile(now=sandbox_now(), overdue_after=OVERDUE))
            started.set()
            finish.wait(10)
        db.close()

    def second() -> None:
        started.wait(10)
        runs.append(reconcile(now=sandbox_now(), overdue_after=OVERDUE))
        db.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    started.wait(10)
    _until_a_pass_waits_for_the_lock()
    assert len(runs) == 1
    finish.set()
    for thread in threads:
        thread.join(20)
    assert len(runs) == 2
    assert set(ReconciliationResult.objects.values_list("run", flat=True)) == {runs[1].pk}
    assert ReconciliationResult.objects.count() == sum(
        n for category, n in runs[1].counts.items() if category != Category.MATCHED
    )


@pytest.mark.parametrize(
    ("sent_hours_ago", "category"),
    [
        (None, Category.WAITING),  # built, never sent: nothing to re-engage yet
        (1, Category.WAITING),  # sent within the overdue margin: the customer has time
        (OVERDUE.total_seconds() / 3600 + 1, Category.REENGAGE),  # sent longer ago
    ],
)
def test_a_record_whose_link_is_unsent_or_recent_waits_instead_of_reengage(
    sent_hours_ago, category
):
    now = timezone.now()
    sent = None if sent_hours_ago is None else now - timedelta(hours=sent_hours_ago)
    Link.objects.create(org_name="demo", ref_id="new-1", url="https://x", sent_at=sent)
    _record("new-1")
    reconcile(now=now, overdue_after=OVERDUE)
    assert _members(category) == {"new-1"}
    result = ReconciliationResult.objects.get(partner_reference="new-1")
    if category == Category.WAITING:
        assert result.reason.startswith("The link is not sent yet, or was sent under")


def test_a_record_without_a_link_of_ours_is_still_reengage():
    _record("csv-only-1")
    reconcile(now=timezone.now(), overdue_after=OVERDUE)
    assert _members(Category.REENGAGE) == {"csv-only-1"}
