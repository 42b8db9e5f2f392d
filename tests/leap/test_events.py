"""Webhook deliveries: what routes an event is read from the envelope, the rest kept as sent."""

from __future__ import annotations

import json

import pytest

from leapdash.leap.records.events import EnvelopeError, delivery_status, parse_webhook_delivery


def body(**payload: object) -> bytes:
    fields = {"webhook_event_type": "connect_session.updated", **payload}
    return json.dumps({"webhook_event_id": "evt-1", "payload": fields}).encode()


@pytest.mark.parametrize(
    ("raw", "event_type", "ref_id", "status"),
    [
        (body(partner_reference="pm-1", status="ABANDONED"), "connect_session.updated", "pm-1",
         "ABANDONED"),
        (body(), "connect_session.updated", "", ""),
        (body(partner_reference="", status=3), "connect_session.updated", "", ""),
        (body(partner_reference="x" * 256), "connect_session.updated", "", ""),
        (body(partner_reference="x" * 255), "connect_session.updated", "x" * 255, ""),
        (body(webhook_event_type="meter.created", partner_reference=["pm-1"]), "meter.created",
         "", ""),
    ],
)  # fmt: skip
def test_a_delivery_is_routed_by_its_type_and_reference(raw, event_type, ref_id, status):
    delivery = parse_webhook_delivery(raw)
    assert (delivery.event_id, delivery.event_type) == ("evt-1", event_type)
    assert (delivery.ref_id, delivery.status) == (ref_id, status)
    assert delivery.body == json.loads(raw)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "body is not JSON"),
        (b"\xff", "body is not JSON"),
        (b"[" * 100_000, "body is not JSON"),
        (b"[]", "body is not a JSON object"),
        (b'{"webhook_event_id": "a\\u0000", "payload": {}}', "NUL character"),
        (b'{"webhook_event_id": "a", "payload": {"n": NaN}}', "non-finite number"),
        (b'{"payload": {"webhook_event_type": "x"}}', "webhook_event_id missing"),
        (b'{"webhook_event_id": "", "payload": {}}', "webhook_event_id missing"),
        (json.dumps({"webhook_event_id": "a" * 101, "payload": {}}).encode(),
         "webhook_event_id missing"),
        (b'{"webhook_event_id": "a", "payload": []}', "payload missing or not an object"),
        (b'{"webhook_event_id": "a", "payload": {}}', "webhook_event_type missing"),
        (b'{"webhook_event_id": "a", "payload": {"webhook_event_type": 7}}',
         "webhook_event_type missing"),
    ],
)  # fmt: skip
def test_an_unreadable_delivery_says_what_is_wrong(raw, problem):
    with pytest.raises(EnvelopeError, match=problem):
        parse_webhook_delivery(raw)


@pytest.mark.parametrize(
    ("stored", "status"),
    [
        ({"payload": {"status": "COMPLETED"}}, "COMPLETED"),
        ({"payload": {"status": 1}}, ""),
        ({"payload": "x"}, ""),
        ({}, ""),
        ([], ""),
        (None, ""),
    ],
)
def test_a_stored_delivery_names_its_session_status(stored, status):
    assert delivery_status(stored) == status
