"""Which failures LeapClient retries, how long it waits, and what it raises in the end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import time_machine

from leapdash.leap.client import (
    LeapAuthError,
    LeapBadRequest,
    LeapClient,
    LeapProtocolError,
    LeapRateLimited,
    LeapServerError,
)
from tests.leap.conftest import BASE, SECRET
from tests.leap.payloads import payload_text
from tests.leap.scripted_server import Step, closed_port_url, scripted_server

CONNECTIONS = f"{BASE}/v1.1/connections"
METERS_SEARCH = f"{BASE}/v2/meters/search"
METER_ID = "11111111-1111-1111-1111-111111111111"
PARTNER_REF = f"{BASE}/v1.1/meters/{METER_ID}/partner_meter_ref"
OK_PAGE = payload_text("connections_page_3.json")


def test_429_waits_the_seconds_retry_after_asks_for(client, leap_http, sleeps):
    leap_http.get(
        CONNECTIONS, status=429, headers={"Retry-After": "7"}, json={"title": "Slow down"}
    )
    leap_http.get(CONNECTIONS, body=OK_PAGE)

    (page,) = client.iter_connections()

    assert sleeps == [7.0]
    assert page.retries == 1
    assert len(page.records) == 1


def test_429_with_an_http_date_waits_until_that_date(client, leap_http, sleeps):
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    leap_http.get(CONNECTIONS, status=429, headers={"Retry-After": later}, body="")
    leap_http.get(CONNECTIONS, body=OK_PAGE)

    with time_machine.travel(now, tick=False):
        list(client.iter_connections())

    assert sleeps == [42.0]


def test_a_huge_retry_after_is_capped(leap_http, sleeps):
    leap_http.get(CONNECTIONS, status=429, headers={"Retry-After": "86400"}, body="")
    leap_http.get(CONNECTIONS, body=OK_PAGE)
    capped = LeapClient(BASE, SECRET, max_retry_after=60, sleep=sleeps.append)

    list(capped.iter_connections())

    assert sleeps == [60.0]


def test_an_unreadable_retry_after_falls_back_to_backoff(client, leap_http, sleeps):
    leap_http.get(CONNECTIONS, status=429, headers={"Retry-After": "soon-ish"}, body="")
    leap_http.get(CONNECTIONS, body=OK_PAGE)

    list(client.iter_connections())

    assert len(sleeps) == 1
    assert 0.5 <= sleeps[0] <= 1.0


def test_a_503_with_retry_after_waits_as_asked(client, leap_http, sleeps):
    leap_http.get(CONNECTIONS, status=503, headers={"Retry-After": "11"}, body="")
    leap_http.get(CONNECTIONS, body=OK_PAGE)

    list(client.iter_connections())

    assert sleeps == [11.0]


def test_429_that_never_ends_raises_rate_limited_after_the_retries(client, leap_http, sleeps):
    for _ in range(4):
        leap_http.get(CONNECTIONS, status=429, headers={"Retry-After": "2"}, body="")

    with pytest.raises(LeapRateLimited) as caught:
        list(client.iter_connections())

    assert caught.value.retries == 3
    assert caught.value.retry_after == 2.0
    assert sleeps == [2.0, 2.0, 2.0]
    assert len(leap_http.calls) == 4


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, payload_text("error_500.txt"), "text/plain"),
        (502, payload_text("error_502.html"), "text/html"),
        (503, "", "text/plain"),
        (504, '{"title": "Gateway Timeout"}', "application/json"),
    ],
)
def test_server_errors_with_any_body_are_retried_with_growing_backoff(
    client, leap_http, sleeps, status, body, content_type
):
    for _ in range(3):
        leap_http.get(CONNECTIONS, status=status, body=body, content_type=content_type)
    leap_http.get(CONNECTIONS, body=OK_PAGE)

    (page,) = client.iter_connections()

    assert page.retries == 3
    # 0.5 s doubling per attempt, plus up to 0.5 s of jitter
    assert [int(s * 2) / 2 for s in sleeps] == [0.5, 1.0, 2.0]


def test_server_errors_that_persist_raise_server_error(client, leap_http, sleeps):
    for _ in range(4):
        leap_http.get(CONNECTIONS, status=503, body=payload_text("error_502.html"))

    with pytest.raises(LeapServerError) as caught:
        list(client.iter_connections())

    assert caught.value.status == 503
    assert caught.value.retries == 3
    assert "after 3 retries" in str(caught.value)
    assert len(sleeps) == 3


def test_search_posts_are_retried_because_they_only_read(client, leap_http, sleeps):
    leap_http.post(METERS_SEARCH, status=502, body="")
    leap_http.post(METERS_SEARCH, json={"meters": []})

    (page,) = client.iter_meters()

    assert page.retries == 1
    assert len(leap_http.calls) == 2


def test_a_patch_answered_with_503_is_not_retried(client, leap_http, sleeps):
    leap_http.patch(PARTNER_REF, status=503, body="")

    with pytest.raises(LeapServerError):
        client.update_partner_reference(METER_ID, "site-0042")

    assert len(leap_http.calls) == 1
    assert sleeps == []


def test_a_webhook_post_answered_with_500_is_not_retried(client, leap_http, sleeps):
    leap_http.post(f"{BASE}/v1.1/webhooks", status=500, json={"error": "Internal Server Error"})

    with pytest.raises(LeapServerError, match="Internal Server Error"):
        client.create_webhook("https://example.com/hook", ["meter.created"])

    assert len(leap_http.calls) == 1


def test_400_is_not_retried_and_carries_leaps_title_and_details(client, leap_http, sleeps):
    leap_http.get(CONNECTIONS, status=400, body=payload_text("error_400_page_token.json"))

    with pytest.raises(LeapBadRequest) as caught:
        list(client.iter_connections(page_token="garbage"))

    assert caught.value.status == 400
    assert caught.value.title == "Invalid page token"
    assert caught.value.details == {"page-token": "could not be decoded"}
    assert "Invalid page token" in str(caught.value)
    assert len(leap_http.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_not_retried_and_points_at_the_environment(
    client, leap_http, sleeps, status
):
    leap_http.post(METERS_SEARCH, status=status, body=payload_text("error_403.json"))

    with pytest.raises(LeapAuthError) as caught:
        list(client.iter_meters())

    assert "staging vs production" in str(caught.value)
    assert BASE in str(caught.value)
    assert len(leap_http.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"connections": [{"id": "CAISO_1", "ref_id": "a"', "application/json"),  # truncated
        ("<html><body>Maintenance</body></html>", "text/html"),
        ("", "application/json"),
    ],
)
def test_an_answer_that_is_not_json_is_a_protocol_error(client, leap_http, body, content_type):
    leap_http.get(CONNECTIONS, body=body, content_type=content_type)

    with pytest.raises(LeapProtocolError, match="not JSON"):
        list(client.iter_connections())


def test_a_redirect_is_not_followed(client, leap_http):
    leap_http.get(CONNECTIONS, status=302, headers={"Location": "https://elsewhere.test/"})

    with pytest.raises(LeapProtocolError, match="302"):
        list(client.iter_connections())
    assert len(leap_http.calls) == 1


# --- real sockets: what responses cannot imitate ---------------------------------------------


def test_a_read_timeout_is_retried_then_the_page_arrives():
    sleeps: list[float] = []
    with scripted_server([Step(stall=True), Step(body=OK_PAGE.encode())]) as server:
        # the stall never answers, so any timeout expires on it; this one leaves the answered
        # step ample time on a loaded machine
        leap = LeapClient(server.url, SECRET, timeout=2, max_retries=2, sleep=sleeps.append)
        (page,) = leap.iter_connections()

    assert page.retries == 1
    assert [r.ref_id for r in page.records] == ["cust-005"]
    assert len(server.requests) == 2
    assert len(sleeps) == 1


def test_timeouts_that_persist_raise_server_error():
    sleeps: list[float] = []
    with scripted_server([Step(stall=True)] * 3) as server:
        leap = LeapClient(server.url, SECRET, timeout=0.2, max_retries=2, sleep=sleeps.append)
        with pytest.raises(LeapServerError) as caught:
            list(leap.iter_connections())

    assert caught.value.retries == 2
    assert "no answer from Leap" in str(caught.value)
    assert len(server.requests) == 3


def test_a_patch_that_times_out_is_not_sent_again():
    with scripted_server([Step(stall=True)]) as server:
        leap = LeapClient(server.url, SECRET, timeout=0.2, max_retries=2, sleep=lambda s: None)
        with pytest.raises(LeapServerError):
            leap.update_partner_reference(METER_ID, "site-0042")

    assert len(server.requests) == 1


def test_a_refused_connection_is_retried_even_for_a_patch():
    sleeps: list[float] = []
    leap = LeapClient(closed_port_url(), SECRET, max_retries=2, sleep=sleeps.append)

    with pytest.raises(LeapServerError) as caught:
        leap.update_partner_reference(METER_ID, "site-0042")

    assert caught.value.retries == 2
    assert len(sleeps) == 2


def test_a_body_cut_short_of_its_content_length_is_a_protocol_error():
    with scripted_server([Step(body=OK_PAGE.encode()[:40], cut_short=True)]) as server:
        leap = LeapClient(server.url, SECRET, sleep=lambda s: None)
        with pytest.raises(LeapProtocolError, match="cut off"):
            list(leap.iter_connections())


def test_503_then_retry_after_over_real_http():
    sleeps: list[float] = []
    steps = [
        Step(503, b"<html>busy</html>", {"Retry-After": "3"}),
        Step(body=json.dumps({"meters": []}).encode()),
    ]
    with scripted_server(steps) as server:
        leap = LeapClient(server.url, SECRET, sleep=sleeps.append)
        (page,) = leap.iter_meters()

    assert sleeps == [3.0]
    assert page.retries == 1
    assert b"POST /api/v2/meters/search" in server.requests[1]
