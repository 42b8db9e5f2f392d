"""PATCH partner_meter_ref, single and bulk: pattern, length, shared references, schema 400s."""

from __future__ import annotations

import uuid

import pytest

from leapdash.leap.sandbox.models import Meter
from leapdash.leap.sandbox.state import advance_clock
from tests.sandbox.conftest import submit


@pytest.fixture
def two_meters(api, flow):
    submit(api, "form-ca", "pge", "residential", ref_id="cust-1")
    submit(api, "form-ca", "sce", "residential", ref_id="cust-2")
    advance_clock(25)
    return Meter.objects.get(partner_reference="cust-1"), Meter.objects.get(
        partner_reference="cust-2"
    )


def test_updating_a_reference_changes_both_documents(api, two_meters):
    meter, _ = two_meters
    response = api.patch(
        f"/v1.1/meters/{meter.meter_id}/partner_meter_ref", {"partner_reference": "site-42"}
    )
    assert response.status_code == 200
    assert response.json() == {"meter_id": str(meter.meter_id), "partner_reference": "site-42"}
    assert api.get(f"/v2/meters/{meter.meter_id}").json()["partner_reference"] == "site-42"
    enrollment = api.get(f"/v2/meters/{meter.meter_id}/enrollments").json()
    assert enrollment["partner_reference"] == "site-42"
    found = api.post("/v2/meters/search", {"partner_references": ["site-42"]}).json()["meters"]
    assert [m["meter_id"] for m in found] == [str(meter.meter_id)]


@pytest.mark.parametrize("reference", ["ab", "x" * 257, "a/b", "a?b", "has#hash", "50%", None, 7])
def test_an_invalid_reference_is_400(api, two_meters, reference):
    meter, _ = two_meters
    response = api.patch(
        f"/v1.1/meters/{meter.meter_id}/partner_meter_ref", {"partner_reference": reference}
    )
    assert response.status_code == 400
    assert response.json()["title"] == "Invalid partner_reference"


def test_a_reference_another_meter_holds_is_accepted(api, two_meters):
    """Leap writes a connection's refId on every meter of it: references are shared."""
    meter, other = two_meters
    response = api.patch(
        f"/v1.1/meters/{meter.meter_id}/partner_meter_ref", {"partner_reference": "cust-2"}
    )
    assert response.status_code == 200
    found = api.post("/v2/meters/search", {"partner_references": ["cust-2"]}).json()["meters"]
    assert {m["meter_id"] for m in found} == {str(meter.meter_id), str(other.meter_id)}


@pytest.mark.parametrize(
    "body", [None, [], "site-1", {"partner_reference": "site-1", "extra": 1}, {"ref": "site-1"}]
)
def test_a_schema_violating_single_body_is_400(api, two_meters, body):
    meter, _ = two_meters
    response = api.patch(f"/v1.1/meters/{meter.meter_id}/partner_meter_ref", body)
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_an_unknown_meter_is_404(api, db):
    response = api.patch(
        f"/v1.1/meters/{uuid.uuid4()}/partner_meter_ref", {"partner_reference": "abc"}
    )
    assert response.status_code == 404


def test_bulk_applies_shared_references_and_reports_unknown_meters(api, two_meters):
    meter, other = two_meters
    unknown = str(uuid.uuid4())
    response = api.patch(
        "/v1.1/meters/partner_meter_ref",
        {
            "meters": [
                {"meter_id": str(meter.meter_id), "partner_reference": "new-ref"},
                {"meter_id": str(other.meter_id), "partner_reference": "new-ref"},
                {"meter_id": unknown, "partner_reference": "whatever"},
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["updated"] == [
        {"meter_id": str(meter.meter_id), "partner_reference": "new-ref"},
        {"meter_id": str(other.meter_id), "partner_reference": "new-ref"},
    ]
    assert body["errors"] == [{"meter_id": unknown, "title": "METER_NOT_FOUND"}]
    other.refresh_from_db()
    assert other.partner_reference == "new-ref"


def test_a_bulk_body_with_one_bad_item_is_400_and_applies_nothing(api, two_meters):
    meter, other = two_meters
    response = api.patch(
        "/v1.1/meters/partner_meter_ref",
        {
            "meters": [
                {"meter_id": str(meter.meter_id), "partner_reference": "new-ref"},
                {"meter_id": str(other.meter_id), "partner_reference": "bad/ref"},
            ]
        },
    )
    assert response.status_code == 400
    assert response.json()["details"]["index"] == 1
    meter.refresh_from_db()
    assert meter.partner_reference == "cust-1"


ITEM = {"meter_id": "0b6f3c1e-1d9a-4b7e-8c55-3f3c2a1b0d9e", "partner_reference": "site-1"}


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {},
        {"meters": []},
        {"meters": "x"},
        {"meters": [{}] * 1001},
        {"meters": [ITEM] * 1001},
        {"meters": [ITEM], "extra": True},
        {"meters": [ITEM | {"meter_id": "not-a-uuid"}]},
        {"meters": [ITEM | {"meter_id": 7}]},
        {"meters": [ITEM | {"partner_reference": "ab"}]},
        {"meters": [ITEM | {"partner_reference": None}]},
        {"meters": [ITEM | {"note": "x"}]},
        {"meters": [{"meter_id": ITEM["meter_id"]}]},
        {"meters": [ITEM | {"partner_reference": "nul\u0000"}]},
    ],
)
def test_a_schema_violating_bulk_body_is_400(api, db, body):
    response = api.patch("/v1.1/meters/partner_meter_ref", body)
    assert response.status_code == 400
    assert set(response.json()) == {"title", "status", "details"}
