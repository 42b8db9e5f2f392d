"""LeapClient single calls, writes, webhooks, headers, logging, and the secret staying secret."""

from __future__ import annotations

import json
import logging

import pytest
import responses
from django.core.exceptions import ImproperlyConfigured

from leapdash.leap.client import (
    LeapAuthError,
    LeapBadRequest,
    LeapClient,
    LeapError,
    LeapNotFound,
    LeapProtocolError,
    LeapServerError,
)
from tests.leap.conftest import BASE, SECRET
from tests.leap.payloads import payload_text
from tests.leap.scripted_server import Step, scripted_server

METER_ID = "11111111-1111-1111-1111-111111111111"
CONNECTIONS = f"{BASE}/v1.1/connections"


def test_every_request_carries_the_bearer_key_and_a_leapdash_user_agent(client, leap_http):
    leap_http.get(f"{BASE}/v2/meters/{METER_ID}", body=payload_text("meter_detail.json"))

    meter = client.get_meter(METER_ID)

    headers = leap_http.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {SECRET}"
    assert headers["User-Agent"] == "leapdash/0.1.0"
    assert meter.meter_id == METER_ID
    assert meter.service_account_number == "12243243-121"


def test_get_enrollments_parses_one_meter(client, leap_http):
    leap_http.get(
        f"{BASE}/v2/meters/{METER_ID}/enrollments", body=payload_text("enrollment_multiple.json")
    )

    record = client.get_enrollments(METER_ID)

    assert record.global_status == "ACTIVE"
    assert [a.code for a in record.partner_actions] == ["AUTH_0001"]


def test_an_unknown_meter_is_not_found_with_leaps_title(client, leap_http):
    leap_http.get(
        f"{BASE}/v2/meters/f5c5e328-e325-4d6d-b357-5015ed5962a7",
        status=404,
        body=payload_text("error_404_meter.json"),
    )

    with pytest.raises(LeapNotFound) as caught:
        client.get_meter("f5c5e328-e325-4d6d-b357-5015ed5962a7")

    assert caught.value.title == "Meter not found"
    assert caught.value.details == {"meter_id": "f5c5e328-e325-4d6d-b357-5015ed5962a7"}


def test_ids_cannot_reach_another_path(client, leap_http):
    leap_http.get(f"{BASE}/v2/meters/..%2Fwebhooks", status=404, json={"title": "Meter not found"})

    with pytest.raises(LeapNotFound):
        client.get_meter("../webhooks")

    assert leap_http.calls[0].request.url == f"{BASE}/v2/meters/..%2Fwebhooks"


def test_update_partner_reference_patches_one_meter(client, leap_http):
    url = f"{BASE}/v1.1/meters/{METER_ID}/partner_meter_ref"
    leap_http.patch(url, body=payload_text("partner_ref_updated.json"))

    answer = client.update_partner_reference(METER_ID, "site-0042")

    assert json.loads(leap_http.calls[0].request.body) == {"partner_reference": "site-0042"}
    assert answer == {"meter_id": METER_ID, "partner_reference": "site-0042"}


def test_a_partner_reference_leap_refuses_is_a_bad_request(client, leap_http):
    url = f"{BASE}/v1.1/meters/{METER_ID}/partner_meter_ref"
    leap_http.patch(url, status=400, body=payload_text("partner_ref_invalid_400.json"))

    with pytest.raises(LeapBadRequest, match="Invalid partner reference"):
        client.update_partner_reference(METER_ID, "looks-fine-to-us")


def test_an_invalid_partner_reference_is_refused_before_sending(client, leap_http):
    with pytest.raises(ValueError, match="invalid partner_reference"):
        client.update_partner_reference(METER_ID, "a/b")
    assert len(leap_http.calls) == 0


def test_bulk_updates_go_1000_per_request_and_merge_the_answers(client, leap_http):
    url = f"{BASE}/v1.1/meters/partner_meter_ref"
    for _ in range(3):
        leap_http.patch(url, body=payload_text("partner_ref_bulk.json"))
    pairs = [(f"meter-{i}", f"site-{i:05d}") for i in range(2500)] + [("meter-x", "no#hash")]

    result = client.bulk_update_partner_references(pairs)

    sent = [json.loads(c.request.body)["meters"] for c in leap_http.calls]
    assert [len(s) for s in sent] == [1000, 1000, 500]
    assert sent[0][0] == {"meter_id": "meter-0", "partner_reference": "site-00000"}
    assert result.updated == (METER_ID,) * 3
    assert [(e.meter_id, e.title) for e in result.errors[:3]] == [
        ("meter-x", "INVALID_PARTNER_REFERENCE"),
        ("33333333-3333-3333-3333-333333333333", "Meter not found"),
        ("44444444-4444-4444-4444-444444444444", "METER_NOT_FOUND"),
    ]
    assert len(result.errors) == 7


def test_webhook_subscriptions_round_trip(client, leap_http):
    leap_http.get(f"{BASE}/v1.1/webhooks", body=payload_text("webhooks_list.json"))
    leap_http.post(f"{BASE}/v1.1/webhooks", body=payload_text("webhook_created.json"))
    hook = "364be407-1f08-48fa-afd2-ee1dd228b76b"
    leap_http.put(f"{BASE}/v1.1/webhooks/{hook}", body=payload_text("webhook_created.json"))
    leap_http.post(f"{BASE}/v1.1/webhooks/{hook}/test", body=payload_text("webhook_test.json"))
    leap_http.delete(f"{BASE}/v1.1/webhooks/{hook}", body=payload_text("webhook_deleted.json"))

    (first, second) = client.list_webhooks()
    created = client.create_webhook(
        "https://dash.example.com/leap/webhooks",
        ["connect_session.updated", "meter.created"],
        {"X-Leapdash-Secret": "hook-secret"},
    )
    updated = client.update_webhook(
        hook, "https://dash.example.com/leap/webhooks", ["meter.created"]
    )
    tested = client.test_webhook(
        hook, {"webhook_event_type": "meter.created", "meter_id": METER_ID}
    )
    client.delete_webhook(hook)

    assert first.webhook_id == hook
    assert first.header_names == ("name", "name")  # values are secrets: not kept
    assert first.event_types == ("meter.created",)
    assert created == updated == hook
    assert json.loads(leap_http.calls[1].request.body) == {
        "receiver_url": "https://dash.example.com/leap/webhooks",
        "event_types": ["connect_session.updated", "meter.created"],
        "headers": [{"name": "X-Leapdash-Secret", "value": "hook-secret"}],
    }
    assert leap_http.calls[2].request.method == "PUT"
    assert tested.is_successful is True
    assert tested.response_time_ms == 6
    assert leap_http.calls[4].request.method == "DELETE"


def test_deleting_an_unknown_webhook_is_not_found(client, leap_http):
    leap_http.delete(
        f"{BASE}/v1.1/webhooks/nope", status=404, body=payload_text("webhook_error_404.json")
    )
    with pytest.raises(LeapNotFound) as caught:
        client.delete_webhook("nope")
    assert caught.value.title == "Not Found"
    assert caught.value.details == {"message": "The specified resource was not found"}


def test_a_webhook_answer_of_the_wrong_shape_is_a_protocol_error(client, leap_http):
    leap_http.post(f"{BASE}/v1.1/webhooks", json={"id": "no webhook_id here"})
    with pytest.raises(LeapProtocolError, match="webhook_id"):
        client.create_webhook("https://dash.example.com/hook", ["meter.created"])


def test_ping_makes_one_small_search(client, leap_http):
    leap_http.post(f"{BASE}/v2/meters/search", json={"meters": []})
    client.ping()
    assert json.loads(leap_http.calls[0].request.body) == {"page_size": 1}


def test_from_settings_reads_base_url_key_and_timeout(settings):
    settings.LEAP_API_BASE_URL = "https://api.staging.leap.energy/"
    settings.LEAP_API_KEY = SECRET
    settings.LEAP_API_TIMEOUT = 12.5
    leap = LeapClient.from_settings()
    assert leap.base_url == "https://api.staging.leap.energy"
    assert leap.timeout == 12.5

    settings.LEAP_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="LEAP_API_KEY"):
        LeapClient.from_settings()


# --- logging and the secret ------------------------------------------------------------------


def test_one_debug_line_per_page_and_one_info_summary_per_call(client, leap_http, caplog):
    for n in (1, 2, 3):
        leap_http.get(CONNECTIONS, body=payload_text(f"connections_page_{n}.json"))
    caplog.set_level(logging.DEBUG, logger="leapdash.leap")

    list(client.iter_connections())

    mine = [r for r in caplog.records if r.name == "leapdash.leap.client"]
    assert [r.levelname for r in mine] == ["DEBUG", "DEBUG", "DEBUG", "INFO"]
    assert (
        mine[-1]
        .getMessage()
        .startswith("leap connections done: 3 pages, 5 records, 0 bad, 0 retries")
    )


def _provoke_every_error(client: LeapClient) -> list[LeapError]:
    caught: list[LeapError] = []
    with responses.RequestsMock() as mock:
        mock.get(CONNECTIONS, status=403, body=payload_text("error_403.json"))
        mock.get(CONNECTIONS, status=400, body=payload_text("error_400_page_token.json"))
        for _ in range(4):
            mock.get(CONNECTIONS, status=503, body="")
        mock.get(CONNECTIONS, body="{truncated")
        mock.get(f"{BASE}/v2/meters/x", status=404, json={"title": "Meter not found"})
        for _ in range(4):
            try:
                list(client.iter_connections())
            except LeapError as exc:
                caught.append(exc)
        try:
            client.get_meter("x")
        except LeapError as exc:
            caught.append(exc)
    with scripted_server([Step(stall=True)]) as server:
        slow = LeapClient(server.url, SECRET, timeout=0.2, max_retries=0)
        try:
            list(slow.iter_connections())
        except LeapError as exc:
            caught.append(exc)
    return caught


def test_the_api_key_never_appears_in_errors_logs_or_reprs(client, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included

    errors = _provoke_every_error(client)

    assert [type(e).__name__ for e in errors] == [
        "LeapAuthError",
        "LeapBadRequest",
        "LeapServerError",
        "LeapProtocolError",
        "LeapNotFound",
        "LeapServerError",
    ]
    for exc in errors:
        for text in (str(exc), repr(exc), str(exc.__cause__), repr(exc.__cause__), str(exc.args)):
            assert SECRET not in text
    assert caplog.records, "the calls above log"
    assert SECRET not in caplog.text
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert SECRET not in repr(client)
    assert SECRET not in str(LeapServerError("x"))


def test_a_timeout_error_names_the_path_not_the_query(client):
    with scripted_server([Step(stall=True)]) as server:
        slow = LeapClient(server.url, SECRET, timeout=0.2, max_retries=0)
        with pytest.raises(LeapServerError) as caught:
            list(slow.iter_connections(ref_ids=["private-ref"]))
    assert "GET /v1.1/connections" in str(caught.value)
    assert "private-ref" not in str(caught.value)


def test_a_refused_key_in_production_says_so(leap_http):
    prod = LeapClient("https://api.leap.energy", SECRET, sleep=lambda s: None)
    leap_http.post("https://api.leap.energy/v2/meters/search", status=403, json={})
    with pytest.raises(LeapAuthError, match=r"https://api\.leap\.energy.*staging vs production"):
        prod.ping()
