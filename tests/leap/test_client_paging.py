"""LeapClient listings: page tokens, ref_id batches, search filters and their limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from leapdash.leap.client import LeapProtocolError
from tests.leap.conftest import BASE
from tests.leap.payloads import load_payload, payload_text

CONNECTIONS = f"{BASE}/v1.1/connections"
METERS_SEARCH = f"{BASE}/v2/meters/search"
ENROLLMENTS_SEARCH = f"{BASE}/v2/meters/enrollments/search"


def _query(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query, keep_blank_values=True)


def _body(call) -> dict:
    return json.loads(call.request.body)


def _serve_three_connection_pages(leap_http) -> None:
    for n in (1, 2, 3):
        leap_http.get(CONNECTIONS, body=payload_text(f"connections_page_{n}.json"))


def test_connections_page_through_tokens_holding_plus_slash_and_equals(client, leap_http, sleeps):
    _serve_three_connection_pages(leap_http)

    pages = list(client.iter_connections(page_size=2))

    assert [[r.ref_id for r in p.records] for p in pages] == [
        ["cust-001", "cust-002"],
        ["cust-003", "cust-004"],
        ["cust-005"],
    ]
    assert [p.next_token for p in pages] == ["eyJvZmZzZXQiOjJ9+ab/cd==", "c2Vjb25k/+/ZQ==", None]
    assert [p.retries for p in pages] == [0, 0, 0]
    urls = [c.request.url for c in leap_http.calls]
    # the token is percent-encoded exactly once: no raw + / =, no %25 double encoding
    assert urls == [
        f"{CONNECTIONS}?page-size=2",
        f"{CONNECTIONS}?page-size=2&page-token=eyJvZmZzZXQiOjJ9%2Bab%2Fcd%3D%3D",
        f"{CONNECTIONS}?page-size=2&page-token=c2Vjb25k%2F%2B%2FZQ%3D%3D",
    ]
    assert [_query(c).get("page-token") for c in leap_http.calls[1:]] == [
        ["eyJvZmZzZXQiOjJ9+ab/cd=="],
        ["c2Vjb25k/+/ZQ=="],
    ]
    assert sleeps == []


def test_connections_are_fetched_lazily_one_page_at_a_time(client, leap_http):
    leap_http.get(CONNECTIONS, body=payload_text("connections_page_1.json"))

    pages = client.iter_connections()
    first = next(pages)

    assert len(leap_http.calls) == 1
    assert first.next_token == "eyJvZmZzZXQiOjJ9+ab/cd=="
    pages.close()


def test_a_listing_resumes_from_a_saved_token(client, leap_http):
    leap_http.get(CONNECTIONS, body=payload_text("connections_page_3.json"))

    (page,) = client.iter_connections(page_token="c2Vjb25k/+/ZQ==")

    assert _query(leap_http.calls[0])["page-token"] == ["c2Vjb25k/+/ZQ=="]
    assert [r.ref_id for r in page.records] == ["cust-005"]


def test_ref_ids_go_100_per_request_and_repeats_are_sent_once(client, leap_http):
    for _ in range(3):
        leap_http.get(CONNECTIONS, body=payload_text("connections_empty.json"))
    ref_ids = [f"ref-{i:03d}" for i in range(250)] + ["ref-000", "ref-001"]

    pages = list(client.iter_connections(ref_ids=ref_ids))

    assert len(pages) == 3
    batches = [_query(c)["ref-ids"][0].split(",") for c in leap_http.calls]
    assert [len(b) for b in batches] == [100, 100, 50]
    assert sum(batches, []) == [f"ref-{i:03d}" for i in range(250)]


def test_date_filters_are_sent_as_utc_iso_8601(client, leap_http):
    leap_http.get(CONNECTIONS, body=payload_text("connections_empty.json"))
    since = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)

    list(client.iter_connections(start=since, last_interaction_since=since, page_size=100))

    query = _query(leap_http.calls[0])
    assert query["start-date"] == ["2024-05-01T12:30:00Z"]
    assert query["last-interaction-date"] == ["2024-05-01T12:30:00Z"]
    assert query["page-size"] == ["100"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page_size": 0},
        {"page_size": 501},
        {"start": datetime(2024, 5, 1)},  # naive
        {"ref_ids": [f"r{i}" for i in range(101)], "page_token": "abc"},
    ],
)
def test_invalid_connection_listings_are_refused_before_sending(client, leap_http, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011 (several distinct messages)
        client.iter_connections(**kwargs)
    assert len(leap_http.calls) == 0


def test_a_bad_record_is_reported_and_the_rest_of_the_page_kept(client, leap_http):
    leap_http.get(CONNECTIONS, body=payload_text("connections_one_bad_record.json"))

    (page,) = client.iter_connections()

    assert [r.ref_id for r in page.records] == ["cust-good-1", "cust-good-2"]
    assert [(e.record_id, e.field) for e in page.errors] == [
        ("cust-bad", "connection_status"),
        ("?", "(record)"),
    ]


def test_a_page_with_the_wrong_shape_is_a_protocol_error(client, leap_http):
    leap_http.get(CONNECTIONS, json={"items": []})
    with pytest.raises(LeapProtocolError, match="'connections' is missing"):
        list(client.iter_connections())


def test_a_token_that_does_not_move_is_a_protocol_error_not_an_endless_loop(client, leap_http):
    looping = load_payload("connections_page_1.json")
    leap_http.get(CONNECTIONS, json=looping)
    leap_http.get(CONNECTIONS, json=looping)
    with pytest.raises(LeapProtocolError, match="same page token"):
        list(client.iter_connections())


# --- meters / enrollments search -------------------------------------------------------------


def test_meter_search_passes_the_token_back_in_the_json_body(client, leap_http):
    first = load_payload("meters_search.json")
    first["next_page_token"] = "bWV0ZXJz+/=="
    second = load_payload("meters_search.json")
    second["next_page_token"] = "cGFnZTM=/+"
    last = load_payload("meters_search.json")
    del last["next_page_token"]
    for body in (first, second, last):
        leap_http.post(METERS_SEARCH, json=body)

    pages = list(client.iter_meters(page_size=2, exclude_archived=True))

    assert [len(p.records) for p in pages] == [2, 2, 2]
    assert [_body(c) for c in leap_http.calls] == [
        {"page_size": 2, "exclude_archived": True},
        {"page_size": 2, "exclude_archived": True, "page_token": "bWV0ZXJz+/=="},
        {"page_size": 2, "exclude_archived": True, "page_token": "cGFnZTM=/+"},
    ]
    assert pages[0].records[0].utility_name == "PGE"


def test_enrollment_search_parses_the_published_example(client, leap_http):
    leap_http.post(ENROLLMENTS_SEARCH, body=payload_text("enrollments_search.json"))
    leap_http.post(ENROLLMENTS_SEARCH, json={"meters": []})

    pages = list(client.iter_enrollments(connection_reference_ids=["test_jae"]))

    assert [r.partner_reference for r in pages[0].records] == [
        "test_meter",
        "test_meter_2",
        "test-isone-device-serial-00002",
    ]
    assert _body(leap_http.calls[1])["page_token"] == "PAGE_TOKEN"


def test_long_id_lists_are_split_into_searches_within_leaps_limits(client, leap_http):
    for _ in range(3):
        leap_http.post(METERS_SEARCH, json={"meters": []})
    ids = [f"00000000-0000-0000-0000-{i:012d}" for i in range(2500)]

    list(client.iter_meters(meter_ids=ids))

    sent = [_body(c)["meter_ids"] for c in leap_http.calls]
    assert [len(s) for s in sent] == [1000, 1000, 500]
    assert sum(sent, []) == ids


def test_two_long_lists_are_split_into_every_combination(client, leap_http):
    for _ in range(4):
        leap_http.post(ENROLLMENTS_SEARCH, json={"meters": []})
    refs = [f"ref-{i}" for i in range(1500)]
    conn_refs = [f"conn-{i}" for i in range(150)]

    list(client.iter_enrollments(partner_references=refs, connection_reference_ids=conn_refs))

    sizes = [
        (len(_body(c)["partner_references"]), len(_body(c)["connection_reference_ids"]))
        for c in leap_http.calls
    ]
    assert sorted(sizes) == [(500, 50), (500, 100), (1000, 50), (1000, 100)]


def test_search_aliases_and_dates_are_translated_to_leaps_names(client, leap_http):
    leap_http.post(METERS_SEARCH, json={"meters": []})
    after = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    list(client.iter_meters(created_after=after, action_types=["IS_AUTHORIZED"], page_size=10))

    assert _body(leap_http.calls[0]) == {
        "page_size": 10,
        "created_after_date_time": "2024-01-02T03:04:05Z",
        "action_type": ["IS_AUTHORIZED"],
    }


def test_an_empty_id_list_matches_nothing_without_a_request(client, leap_http):
    assert list(client.iter_meters(partner_references=[])) == []
    assert len(leap_http.calls) == 0


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        ({"page_size": 501}, ValueError),
        ({"page_size": 0}, ValueError),
        ({"global_enrollment_statuses": ["A", "B", "C", "D", "E", "F"]}, ValueError),
        ({"tags": [f"t{i}" for i in range(21)]}, ValueError),
        ({"meter_ids": "one-id-not-a-list"}, ValueError),
        ({"created_after_date_time": "2024-01-01"}, ValueError),
        ({"created_after": datetime(2024, 1, 1)}, ValueError),  # naive
        ({"exclude_archived": "yes"}, ValueError),
        ({"colour": "blue"}, TypeError),
        ({"meter_ids": [f"m{i}" for i in range(1001)], "page_token": "abc"}, ValueError),
    ],
)
def test_search_filters_outside_leaps_limits_are_refused_before_sending(
    client, leap_http, filters, error
):
    with pytest.raises(error):
        client.iter_meters(**filters)
    with pytest.raises(error):
        client.iter_enrollments(**filters)
    assert len(leap_http.calls) == 0
