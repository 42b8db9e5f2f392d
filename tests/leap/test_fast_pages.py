"""The fast page path (msgspec decoding, records built straight from clean pages) gives exactly
what json.loads and the lenient parsers give: the same records, raw documents, unknown values
and RecordErrors, on the recorded payloads and on hostile variants of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings

from leapdash.leap import records as rec
from tests.bad_input.test_fuzz_records import mutated
from tests.leap.payloads import PAYLOADS, load_payload

KINDS = {
    "connections": (rec.connections_page, rec.parse_connection, rec.clean_connection),
    "meters": (rec.search_page, rec.parse_meter, rec.clean_meter),
}
CONNECTION = load_payload("connections_example.json")["connections"][0]
METER = load_payload("meters_search.json")["meters"][0]


def _outcome(parse: Callable[[object], Any], item: object) -> tuple[Any, ...]:
    try:
        record = parse(item)
    except rec.RecordError as err:
        return ("error", err.kind, err.record_id, err.field, err.problem, str(err))
    return ("record", record, record.raw, record.unknown_values)


def _lenient(kind: str, body: bytes) -> tuple[Any, ...]:
    split, parse, _ = KINDS[kind]
    try:
        items, token = split(json.loads(body))
    except ValueError as exc:
        return ("page error", type(exc).__name__, str(exc))
    return token, [_outcome(parse, item) for item in items]


def _fast(kind: str, body: bytes) -> tuple[Any, ...]:
    split, parse, clean = KINDS[kind]
    try:
        decoded = rec.decode_body(body)
        items, token = split(decoded.data)
    except ValueError as exc:
        return ("page error", type(exc).__name__, str(exc))
    read = clean if decoded.clean else parse
    return token, [_outcome(read, item) for item in items]


def assert_same(kind: str, body: bytes) -> None:
    assert _fast(kind, body) == _lenient(kind, body)


def _page(kind: str, *records: object, token: object = None) -> bytes:
    key, token_key = (
        ("connections", "nextPageToken") if kind == "connections" else ("meters", "next_page_token")
    )
    return json.dumps({key: list(records), token_key: token}).encode()


RECORDED = sorted(
    [(p.name, "connections") for p in PAYLOADS.glob("connections_*.json")]
    + [("meters_search.json", "meters")]
)


@pytest.mark.parametrize(("name", "kind"), RECORDED)
def test_recorded_pages_read_the_same(name, kind):
    body = (PAYLOADS / name).read_bytes()
    assert_same(kind, body)
    assert rec.decode_body(body).clean


def _with(example: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(example))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


U = ("utility_connections", 0)
CONNECTION_VARIANTS = [
    ("ref_id",), ("id",), ("connection_status",), ("transmission_region",),
    ("last_interaction_date_time_utc",), ("start_date_time_utc",), ("agreements",),
    ("utility_connections",), (*U, "utility_name"), (*U, "status"), (*U, "error_code"),
    (*U, "authorization_uuid"), (*U, "utility_is_required"), (*U, "start_date_time_utc"),
    ("agreements", "prohibited_resource_attestation_status"),
]  # fmt: skip
HOSTILE_VALUES: list[Any] = [
    None, "", "SOMETHING_NEW", "x" * 300, 12345, 1.5, 2**70, True, [], {}, ["a"],
    "2024-03-05T10:00:00+02:00", "2024-03-05T10:00:00", "2024-03-05T10:00:00.123456789Z",
    "2024-03-05", "0001-01-01T00:00:00+01:00", "not a date", "a\x00b", "CAISO\x00",
]  # fmt: skip


@pytest.mark.parametrize("path", CONNECTION_VARIANTS, ids=lambda p: ".".join(map(str, p)))
def test_connection_fields_set_to_hostile_values_read_the_same(path):
    for value in HOSTILE_VALUES:
        variant = _with(CONNECTION, path, value)
        assert_same("connections", _page("connections", variant, CONNECTION))


METER_VARIANTS = [
    ("meter_id",), ("partner_reference",), ("transmission_region",), ("audit",),
    ("audit", "created_at"), ("audit", "updated_at"), ("customer",), ("customer", "city"),
    ("customer", "street_1"), ("utility", "electric_service_account_number"), ("tags",),
    ("connection_references",), ("meter_type",), ("customer_classification",), ("is_archived",),
]  # fmt: skip


@pytest.mark.parametrize("path", METER_VARIANTS, ids=lambda p: ".".join(map(str, p)))
def test_meter_fields_set_to_hostile_values_read_the_same(path):
    for value in HOSTILE_VALUES:
        variant = _with(METER, path, value)
        assert_same("meters", _page("meters", variant, METER))


PAGE = (PAYLOADS / "connections_example.json").read_bytes()
HOSTILE_BODIES = [
    b"",
    b"not json",
    b"[]",
    b'{"connections": {}}',
    b'{"connections": [1, "two", null, []], "nextPageToken": ""}',
    b'{"connections": [], "nextPageToken": 7}',
    b'{"connections": [{"ref_id": NaN}]}',
    b'{"connections": [{"ref_id": "r", "x": Infinity}]}',
    b'{"connections": [{"ref_id": "r", "x": 1e400}]}',
    b'{"connections": [{"ref_id": "\\ud800"}]}',
    b'{"connections": [{"ref_id": "a\\u0000b"}]}',
    b'{"connections": [], "connections": [1]}',
    b"\xef\xbb\xbf" + PAGE,
    PAGE.replace(b'"connections"', b'"connections": [], "connections"', 1),
    PAGE.replace(b'"ref_id"', b'"ref_id": "first", "ref_id"', 1),
    PAGE.replace(b"COMPLETED", b"COMPLETED\\u0000", 1),
    PAGE[: len(PAGE) // 2],
    PAGE.decode().encode("utf-16"),
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_pages_read_the_same(body):
    assert_same("connections", body)


@settings(max_examples=150, deadline=None)
@given(doc=mutated(CONNECTION))
def test_a_connection_with_any_field_replaced_reads_the_same(doc):
    assert_same("connections", _page("connections", doc, CONNECTION))


@settings(max_examples=150, deadline=None)
@given(doc=mutated(METER))
def test_a_meter_with_any_field_replaced_reads_the_same(doc):
    assert_same("meters", _page("meters", doc, METER))


def test_a_nul_escape_makes_a_page_unclean_and_msgspecs_refusals_fall_back():
    assert not rec.decode_body(b'{"a": "\\u0000"}').clean
    assert rec.decode_body(b'{"a": NaN}') == rec.Body(
        {"a": pytest.approx(float("nan"), nan_ok=True)}, False
    )
    with pytest.raises(json.JSONDecodeError):
        rec.decode_body(b"<html>")
