"""Meter pages: filters, htmx partials, pinned query counts, CSV export, detail, partner-record
import (preview, per-row errors, all-or-nothing), fix preview and CSRF."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection
from meters.models import (
    Enrollment,
    Meter,
    PartnerImport,
    PartnerRecord,
    ReconciliationResult,
    ReferenceChange,
)
from meters.reconcile import reconcile

pytestmark = pytest.mark.django_db


def make_meter(n: int, **fields) -> Meter:
    now = timezone.now()
    values = {
        "meter_id": f"00000000-0000-0000-0000-{n:012d}",
        "partner_reference": f"ref-{n}",
        "connection_references": [f"ref-{n}"],
        "transmission_region": "CAISO",
        "customer_classification": "RESIDENTIAL",
        "utility_name": "PGE",
        "service_account_number": f"SA{n}",
        "customer_name": f"Customer {n}",
        "created_at": now - timedelta(minutes=n),
        "fingerprint": "x",
        "first_synced_at": now,
        "synced_at": now,
        **fields,
    }
    meter = Meter.objects.create(**values)
    for ref in values["connection_references"]:
        meter.connection_refs.create(ref_id=ref)
    return meter


def _rows(response) -> int:
    return response.content.decode().count('<a href="/meters/00000000')


def test_the_table_filters_by_region_archived_actions_and_search(pm_client):
    make_meter(1)
    make_meter(2, transmission_region="NYISO", utility_name="CECONY")
    make_meter(3, is_archived=True, has_required_actions=True)
    url = reverse("meters:list")
    assert _rows(pm_client.get(url)) == 3
    assert _rows(pm_client.get(url, {"transmission_region": "NYISO"})) == 1
    assert _rows(pm_client.get(url, {"archived": "yes"})) == 1
    assert _rows(pm_client.get(url, {"actions": "no"})) == 2
    assert _rows(pm_client.get(url, {"utility_name": "CECONY"})) == 1
    assert _rows(pm_client.get(url, {"q": "SA3"})) == 1
    assert _rows(pm_client.get(url, {"q": "00000000-0000-0000-0000-000000000002"})) == 1


def test_the_reconciliation_filter_uses_the_latest_results(pm_client):
    make_meter(1)
    make_meter(2)
    PartnerRecord.objects.create(reference="ref-1")
    reconcile(now=timezone.now(), overdue_after=timedelta(hours=24))
    response = pm_client.get(reverse("meters:list"), {"reconciliation": "unknown_meter"})
    assert _rows(response) == 1
    assert "ref-2" in response.content.decode()


def test_htmx_gets_the_table_alone_and_responses_vary_on_it(pm_client):
    make_meter(1)
    response = pm_client.get(reverse("meters:list"), headers={"HX-Request": "true"})
    assert b"<html" not in response.content
    assert _rows(response) == 1
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("rows", [1, 30])
def test_the_table_runs_the_same_queries_for_1_and_30_rows(
    pm_client, django_assert_num_queries, rows
):
    for n in range(rows):
        make_meter(n)
    pm_client.get(reverse("meters:list"))  # warm the session and role caches
    # session, user, roles, utility choices, count, page, last good meters sync
    with django_assert_num_queries(7):
        response = pm_client.get(reverse("meters:list"))
    assert _rows(response) == rows


@pytest.mark.parametrize("rows", [1, 30])
def test_the_reconciliation_page_runs_the_same_queries_for_1_and_30_rows(
    pm_client, django_assert_num_queries, rows
):
    for n in range(rows):
        make_meter(n)
    reconcile(now=timezone.now(), overdue_after=timedelta(hours=24))
    url = reverse("meters:reconciliation") + "?category=unknown_meter"
    pm_client.get(url)
    # session, user, roles, latest run, count, page
    with django_assert_num_queries(6):
        response = pm_client.get(url)
    assert response.content.decode().count("data-reference=") == rows


def test_the_csv_export_streams_neutralised_cells(pm_client):
    make_meter(1, customer_name="=HYPERLINK(1)")
    response = pm_client.get(reverse("meters:export"))
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][0] == "meter_id"
    assert lines[1][8] == "'=HYPERLINK(1)"


def test_the_reconciliation_page_shows_tabs_with_counts_and_exports(pm_client):
    make_meter(1, partner_reference="typo", connection_references=["ref-1"])
    PartnerRecord.objects.create(reference="ref-1")
    reconcile(now=timezone.now(), overdue_after=timedelta(hours=24))
    page = pm_client.get(reverse("meters:reconciliation")).content.decode()
    assert 'Matched by connection only <span class="badge" data-unit="meter">1 meter</span>' in page
    assert f'value="{Meter.objects.get().pk}:ref-1"' in page
    export = pm_client.get(reverse("meters:reconciliation_export"), {"category": "by_connection"})
    body = b"".join(export.streaming_content).decode()
    assert "typo" in body
    assert "ref-1" in body


def test_the_detail_shows_enrollment_actions_and_the_audit(pm_client, pm_user):
    meter = make_meter(1)
    Enrollment.objects.create(
        meter_id=meter.meter_id,
        global_status="PENDING",
        partner_actions=[{"code": "AUTH_0001", "description": "Re-authorize <now>"}],
        fingerprint="x",
        synced_at=timezone.now(),
    )
    ReferenceChange.objects.create(
        meter=meter,
        old_reference="a-1",
        new_reference="b-1",
        status="failed",
        leap_title="METER_NOT_FOUND",
        by=pm_user,
        requested_at=timezone.now(),
    )
    page = pm_client.get(reverse("meters:detail", args=[meter.meter_id])).content.decode()
    assert "AUTH_0001" in page
    assert "Re-authorize &lt;now&gt;" in page
    assert "METER_NOT_FOUND" in page
    assert "pat-pm" in page


def test_the_overdue_list_shows_overdue_connections_only(pm_client):
    now = timezone.now()
    for ref, action in (("late-1", "METERS_OVERDUE"), ("fine-1", "METERS_ARRIVED")):
        Connection.objects.create(
            ref_id=ref,
            leap_id=ref,
            transmission_region="CAISO",
            last_interaction_at=now,
            status="COMPLETED",
            prohibited_resource_attestation="NOT_REQUIRED",
            demand_response_participation="NOT_REQUIRED",
            next_action=action,
            fingerprint="x",
            first_synced_at=now,
            last_synced_at=now,
        )
    page = pm_client.get(reverse("meters:overdue")).content.decode()
    assert "late-1" in page
    assert "fine-1" not in page


def _upload(client, text: str):
    file = SimpleUploadedFile("records.csv", text.encode(), content_type="text/csv")
    return client.post(reverse("meters:partner_upload"), {"file": file})


def test_a_csv_with_a_bad_row_is_previewed_with_its_errors_and_imports_nothing(pm_client):
    response = _upload(
        pm_client,
        "reference,name,expected_meter_count\nok-1,Ann,1\nno/slash,Bob,2\nok-2,Cy,many\nok-1,D,\n",
    )
    batch = PartnerImport.objects.get()
    assert response["Location"] == reverse("meters:partner_import", args=[batch.pk])
    assert [(e["line"], e["column"]) for e in batch.errors] == [
        (3, "reference"),
        (4, "expected_meter_count"),
        (5, "reference"),
    ]
    page = pm_client.get(response["Location"]).content.decode()
    assert "Nothing is imported while any row has an error" in page
    pm_client.post(reverse("meters:partner_import_confirm", args=[batch.pk]))
    assert not PartnerRecord.objects.exists()


def test_a_clean_csv_imports_every_row_once(pm_client):
    _upload(pm_client, "ref_id,name,address,program,expected_meters\nsite-1,Ann,1 Main St,DR,4\n")
    batch = PartnerImport.objects.get()
    pm_client.post(reverse("meters:partner_import_confirm", args=[batch.pk]))
    pm_client.post(reverse("meters:partner_import_confirm", args=[batch.pk]))
    record = PartnerRecord.objects.get()
    assert (record.reference, record.expected_meter_count, record.source) == ("site-1", 4, "csv")


def test_the_fix_preview_checks_references_and_sends_nothing(pm_client):
    meter = make_meter(1)
    response = pm_client.post(reverse("meters:fix"), {"meter": meter.pk, "reference": "a/b"})
    page = response.content.decode()
    assert "Leap does not allow" in page
    assert "Send to Leap" not in page
    assert not ReferenceChange.objects.exists()
    assert not ReconciliationResult.objects.exists()


def test_fixing_needs_the_csrf_token(pm_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pm_user)
    meter = make_meter(1)
    response = client.post(
        reverse("meters:fix"), {"meter": meter.pk, "reference": "ref-9", "confirm": "1"}
    )
    assert response.status_code == 403


def _matched_world() -> tuple[Meter, Meter]:
    """ref-1 and ref-2 match their records; ref-3 has no record; ref-4 is archived."""
    matched = make_meter(1)
    make_meter(2)
    unknown = make_meter(3)
    make_meter(4, is_archived=True)
    for n in (1, 2, 4):
        PartnerRecord.objects.create(reference=f"ref-{n}", name=f"Record {n}")
    reconcile(now=timezone.now(), overdue_after=timedelta(hours=24))
    return matched, unknown


def test_matched_meters_are_listed_live_with_the_runs_count(pm_client, django_assert_num_queries):
    _matched_world()
    assert not ReconciliationResult.objects.filter(category="matched").exists()
    url = reverse("meters:reconciliation") + "?category=matched"
    pm_client.get(url)
    # session, user, roles, latest run, page of meters, their partner records (no COUNT)
    with django_assert_num_queries(6):
        page = pm_client.get(url).content.decode()
    assert 'Matched <span class="badge" data-unit="meter">2 meters</span>' in page
    assert page.count("data-reference=") == 2
    assert "Record 1" in page
    assert "Record 2" in page
    assert "A partner record has this reference." in page
    assert "ref-3" not in page
    assert "ref-4" not in page
    export = pm_client.get(reverse("meters:reconciliation_export"), {"category": "matched"})
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [line[1] for line in lines[1:]] == ["ref-1", "ref-2"]
    assert lines[1][0] == "matched"


def test_the_meters_table_labels_and_filters_matched_meters(pm_client):
    matched, unknown = _matched_world()
    page = pm_client.get(reverse("meters:list")).content.decode()
    assert page.count("<td>Matched</td>") == 2
    assert page.count("<td>Unknown to us</td>") == 1
    only = pm_client.get(reverse("meters:list"), {"reconciliation": "matched"})
    assert _rows(only) == 2
    assert "ref-3" not in only.content.decode()
    detail = pm_client.get(reverse("meters:detail", args=[matched.meter_id])).content.decode()
    assert "Matched: A partner record has this reference." in detail
    other = pm_client.get(reverse("meters:detail", args=[unknown.meter_id])).content.decode()
    assert "Unknown to us: No partner record" in other
