"""Meters v2 / Enrollments v2: every MeterFilterRequest filter and limit, errors, visibility."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from leapdash.leap.sandbox import api_meters
from leapdash.leap.sandbox.models import Meter
from leapdash.leap.sandbox.seeding import seed
from leapdash.leap.sandbox.state import advance_clock, sandbox_now


@pytest.fixture
def meters(db):
    seed(connections=80, seed=11)
    advance_clock(48)  # every seeded meter is visible
    return list(Meter.objects.order_by("pk"))


def _ids(response):
    assert response.status_code == 200, response.content
    return {m["meter_id"] for m in response.json()["meters"]}


def _expect(rows):
    return {str(m.meter_id) for m in rows}


def test_search_pages_with_tokens_through_every_visible_meter(api, meters):
    seen, token = [], None
    while True:
        body = {"page_size": 7} | ({"page_token": token} if token else {})
        page = api.post("/v2/meters/search", body).json()
        seen += [m["meter_id"] for m in page["meters"]]
        token = page.get("next_page_token")
        if not token:
            break
        assert "+" in token
        assert "/" in token
        assert "=" in token
    assert seen == [str(m.meter_id) for m in meters]


def test_meters_stay_hidden_until_their_delay_has_passed(api, flow):
    from tests.sandbox.conftest import submit

    submit(api, "form-ca", "pge", "residential", ref_id="soon-1")
    meter = Meter.objects.get(partner_reference="soon-1")
    assert api.get(f"/v2/meters/{meter.meter_id}").status_code == 404
    advance_clock(23)
    assert api.post("/v2/meters/search", {}).json()["meters"] == []
    advance_clock(1.1)
    assert api.get(f"/v2/meters/{meter.meter_id}").json()["meter_id"] == str(meter.meter_id)


def test_each_filter_selects_the_matching_meters(api, meters):
    some = meters[:3]
    m = meters[0]
    cases: list[tuple[dict[str, Any], list[Meter]]] = [
        ({"meter_ids": [str(x.meter_id) for x in some]}, some),
        (
            {"partner_references": [m.partner_reference]},
            [x for x in meters if x.partner_reference == m.partner_reference],
        ),
        (
            {"connection_reference_ids": [m.partner_reference]},
            [x for x in meters if x.partner_reference == m.partner_reference],
        ),
        ({"transmission_region": "NYISO"}, [x for x in meters if x.transmission_region == "NYISO"]),
        (
            {"customer_classification": "COMMERCIAL"},
            [x for x in meters if x.customer_classification == "COMMERCIAL"],
        ),
        (
            {"global_enrollment_statuses": ["INELIGIBLE", "PENDING"]},
            [x for x in meters if x.global_enrollment_status in ("INELIGIBLE", "PENDING")],
        ),
        ({"meter_types": ["DEVICE"]}, []),
        ({"load_types": ["HVAC"]}, meters),
        ({"load_types": ["PUMPING"]}, []),
        ({"customer_groups": ["nobody"]}, []),
        ({"tags": ["tag1"]}, []),
        ({"partner_action_required": True}, [x for x in meters if x.partner_action_required]),
        (
            {"action_type": ["IS_AUTHORIZED"]},
            [x for x in meters if "|IS_AUTHORIZED|" in x.action_types],
        ),
        ({"exclude_archived": True}, meters),
        (
            {"created_after_date_time": m.created_at.isoformat()},
            [x for x in meters if x.created_at > m.created_at],
        ),
        (
            {"created_before_date_time": m.created_at.isoformat()},
            [x for x in meters if x.created_at < m.created_at],
        ),
        ({"last_modified_date_time": (sandbox_now() + timedelta(days=1)).isoformat()}, []),
    ]
    for body, expected in cases:
        assert _ids(api.post("/v2/meters/search", {**body, "page_size": 500})) == _expect(
            expected
        ), body
    assert any(x.partner_action_required for x in meters)  # the mix exercises that filter


def test_enrollment_search_takes_the_same_filters(api, meters):
    body = {"global_enrollment_statuses": ["ACTIVE"], "page_size": 500}
    response = api.post("/v2/meters/enrollments/search", body)
    assert _ids(response) == _expect([x for x in meters if x.global_enrollment_status == "ACTIVE"])
    assert all(m["global_enrollment_status"] == "ACTIVE" for m in response.json()["meters"])


def _many(n, fmt="ref-{}"):
    return [fmt.format(i) for i in range(n)]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([1, 2], id="not-an-object"),
        pytest.param({"page_size": 0}, id="page_size-0"),
        pytest.param({"page_size": 501}, id="page_size-501"),
        pytest.param({"page_size": "10"}, id="page_size-string"),
        pytest.param({"meter_ids": [str(uuid.uuid4()) for _ in range(1001)]}, id="meter_ids-1001"),
        pytest.param({"meter_ids": ["abcdef"]}, id="meter_ids-not-uuid"),
        pytest.param({"partner_references": []}, id="partner_references-empty"),
        pytest.param({"partner_references": _many(1001)}, id="partner_references-1001"),
        pytest.param({"partner_references": ["a/b"]}, id="partner_references-pattern"),
        pytest.param({"partner_references": ["ab"]}, id="partner_references-short"),
        pytest.param({"partner_references": ["abc", "abc"]}, id="partner_references-repeated"),
        pytest.param({"connection_reference_ids": _many(101)}, id="connection_ref_ids-101"),
        pytest.param({"global_enrollment_statuses": ["ACTIVE", "GONE"]}, id="status-unknown"),
        pytest.param(
            {
                "global_enrollment_statuses": [
                    "ACTIVE",
                    "ELIGIBLE",
                    "INELIGIBLE",
                    "PENDING",
                    "NOT_PARTICIPATING",
                    "ACTIVE",
                ]
            },
            id="statuses-6",
        ),
        pytest.param({"meter_types": ["TOASTER"]}, id="meter_types-unknown"),
        pytest.param({"load_types": _many(21)}, id="load_types-21"),
        pytest.param({"customer_groups": _many(21)}, id="customer_groups-21"),
        pytest.param({"tags": _many(21)}, id="tags-21"),
        pytest.param({"action_type": ["NAP"]}, id="action_type-unknown"),
        pytest.param({"transmission_region": "MARS"}, id="region-unknown"),
        pytest.param({"customer_classification": "INDUSTRIAL"}, id="classification-unknown"),
        pytest.param({"created_after_date_time": "last week"}, id="date-unparseable"),
        pytest.param({"exclude_archived": "yes"}, id="bool-string"),
        pytest.param({"colour": "green"}, id="unknown-field"),
        pytest.param({"page_token": "not-a-token"}, id="page_token-forged"),
    ],
)
def test_invalid_search_bodies_get_400_with_leaps_error_body(api, db, body):
    for path in ("/v2/meters/search", "/v2/meters/enrollments/search"):
        response = api.post(path, body)
        assert response.status_code == 400, (path, response.content)
        error = response.json()
        assert set(error) == {"title", "status", "details"}
        assert error["status"] == 400
        assert error["title"]


def test_malformed_json_is_400(api, db):
    assert api.post("/v2/meters/search", "{not json").status_code == 400


def test_get_meter_errors(api, db):
    response = api.get("/v2/meters/abcdef")
    assert response.status_code == 400
    assert response.json() == {
        "title": "Meter id is not a UUID",
        "status": 400,
        "details": {"meter_id": "abcdef"},
    }
    missing = str(uuid.uuid4())
    for path in (f"/v2/meters/{missing}", f"/v2/meters/{missing}/enrollments"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["title"] == "Meter not found"


def test_wrong_method_and_auth_errors(api, db):
    from tests.sandbox.conftest import Api

    assert api.get("/v2/meters/search").status_code == 405
    assert Api(key=None).post("/v2/meters/search", {}).status_code == 401
    response = Api(key="staging-key").post("/v2/meters/search", {})
    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_an_internal_error_is_a_plain_text_500(api, db, monkeypatch):
    def broken():
        raise RuntimeError("database on fire")

    monkeypatch.setattr(api_meters, "visible_meters", broken)
    response = api.post("/v2/meters/search", {})
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"An error happened whilst processing your request"
