"""Chaos knobs: off by default, each fault reproducible under its seed."""

from __future__ import annotations

import json
import time

import pytest

from leapdash.leap.sandbox.models import Chaos
from leapdash.leap.sandbox.seeding import seed
from tests.sandbox.conftest import KEY


@pytest.fixture
def seeded(db):
    seed(connections=12, seed=5)


def _statuses(api, n):
    return [api.get("/v1.1/connections").status_code for _ in range(n)]


def test_no_chaos_by_default(api, seeded):
    assert set(_statuses(api, 10)) == {200}


def test_every_nth_request_is_429_with_retry_after(api, seeded):
    Chaos.objects.create(api_key=KEY, rate_limit_every=3, retry_after_seconds=7)
    responses = [api.get("/v1.1/connections") for _ in range(9)]
    assert [r.status_code for r in responses] == [200, 200, 429] * 3
    assert responses[2]["Retry-After"] == "7"


def test_server_errors_come_with_html_json_or_empty_bodies(api, seeded):
    Chaos.objects.create(api_key="", error_rate=1.0, seed=1)
    responses = [api.get("/v1.1/connections") for _ in range(40)]
    assert {r.status_code for r in responses} == {500, 502, 503, 504}
    kinds = {r["Content-Type"].split(";")[0] for r in responses}
    assert kinds == {"text/html", "application/json", "text/plain"}
    assert any(r.content == b"" for r in responses)
    assert any(r.content.startswith(b"<html>") for r in responses)


def test_faults_are_reproducible_under_the_seed(api, seeded):
    chaos = Chaos.objects.create(api_key="", error_rate=0.3, seed=42)
    first = _statuses(api, 30)
    chaos.request_count = 0
    chaos.save()
    assert _statuses(api, 30) == first
    assert 200 in first
    assert set(first) - {200}


def test_a_keys_own_row_wins_over_the_blank_one(api, seeded):
    Chaos.objects.create(api_key="", error_rate=1.0)
    Chaos.objects.create(api_key=KEY, error_rate=0.0)
    assert set(_statuses(api, 5)) == {200}


def test_slow_responses_wait(api, seeded):
    Chaos.objects.create(api_key="", slow_rate=1.0, slow_seconds=0.3)
    started = time.monotonic()
    assert api.get("/v1.1/connections").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_truncated_json(api, seeded):
    Chaos.objects.create(api_key="", truncate_rate=1.0)
    response = api.get("/v1.1/connections")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_a_record_repeats_across_the_page_boundary(api, seeded):
    Chaos.objects.create(api_key="", repeat_across_pages=True)
    first = api.post("/v2/meters/search", {"page_size": 2})  # no meters visible yet: 1 page
    assert first.status_code == 200
    page1 = api.get("/v1.1/connections", {"page-size": 4}).json()
    page2 = api.get(
        "/v1.1/connections", {"page-size": 4, "page-token": page1["nextPageToken"]}
    ).json()
    assert page2["connections"][0] == page1["connections"][-1]


def test_a_record_with_unknown_values_and_extra_fields(api, seeded):
    Chaos.objects.create(api_key="", unknown_values=True)
    odd = api.get("/v1.1/connections").json()["connections"][0]
    assert odd["connection_status"] == "ON_HOLD"
    assert odd["utility_connections"][0]["status"] == "SUSPENDED"
    assert "sandbox_future_field" in odd


def test_meter_pages_repeat_and_carry_odd_records_too(api, db):
    from leapdash.leap.sandbox.state import advance_clock

    seed(connections=30, seed=8)
    advance_clock(48)
    Chaos.objects.create(api_key="", repeat_across_pages=True, unknown_values=True)
    page1 = api.post("/v2/meters/search", {"page_size": 3}).json()
    page2 = api.post(
        "/v2/meters/search", {"page_size": 3, "page_token": page1["next_page_token"]}
    ).json()
    assert page2["meters"][0]["meter_id"] == page1["meters"][-1]["meter_id"]
    assert page1["meters"][0]["meter_type"] == "VIRTUAL_METER"
    assert "sandbox_future_field" in page2["meters"][0]


def test_test_submit_is_rate_limited_too(api, flow):
    Chaos.objects.create(api_key="", rate_limit_every=1, retry_after_seconds=30)
    response = api.post("/v2/forms/form-ca/test-submit", {"utility": "pge", "scenario": "empty"})
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
