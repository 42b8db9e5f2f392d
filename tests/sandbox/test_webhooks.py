"""Webhook subscriptions and deliveries to a real HTTP receiver, with retries and duplicates."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from leapdash.leap.sandbox.models import WebhookDelivery
from leapdash.leap.sandbox.state import advance_clock
from leapdash.leap.sandbox.webhooks import MAX_DELIVERIES, deliver_due, deliver_until_idle
from tests.sandbox.conftest import Api, submit
from tests.sandbox.receiver import Receiver

EVENTS = ["connect_session.updated", "connect_session.authorization_updated", "meter.created"]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.LEAP_SANDBOX_WEBHOOK_TIME_FACTOR = 0
    settings.LEAP_SANDBOX_WEBHOOK_DUPLICATE_RATE = 0


def _subscribe(api, receiver, events=EVENTS):
    body = {
        "receiver_url": receiver.url,
        "event_types": events,
        "headers": [{"name": "X-Leap-Secret", "value": "s3cret"}],
    }
    response = api.post("/v1.1/webhooks", body)
    assert response.status_code == 200
    return response.json()["webhook_id"]


def test_crud(api, receiver):
    webhook_id = _subscribe(api, receiver)
    listed = api.get("/v1.1/webhooks").json()["webhooks"]
    assert [w["webhook_id"] for w in listed] == [webhook_id]
    update = {"receiver_url": "https://partner.example.com/h", "event_types": ["meter.created"]}
    assert api.send("PUT", f"/v1.1/webhooks/{webhook_id}", update).status_code == 200
    assert api.get("/v1.1/webhooks").json()["webhooks"][0]["headers"] == []
    assert api.send("DELETE", f"/v1.1/webhooks/{webhook_id}").json() == {
        "message": "Operation completed successfully"
    }
    assert api.send("DELETE", f"/v1.1/webhooks/{webhook_id}").status_code == 404
    assert api.send("PUT", "/v1.1/webhooks/not-a-uuid", update).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"event_types": ["meter.created"]},
        {"receiver_url": "ftp://x", "event_types": ["meter.created"]},
        {"receiver_url": "https://x.example.com", "event_types": ["meter.deleted"]},
        {"receiver_url": "https://x.example.com", "event_types": []},
        {
            "receiver_url": "https://x.example.com",
            "event_types": ["meter.created"],
            "headers": [{"name": 1}],
        },
    ],
)
def test_invalid_subscriptions_get_400_with_the_webhook_error_body(api, db, body):
    response = api.post("/v1.1/webhooks", body)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "message"}


def test_auth_errors_use_the_webhook_error_body(db):
    response = Api(key=None).get("/v1.1/webhooks")
    assert response.status_code == 401
    assert set(response.json()) == {"error", "message"}
    assert Api(key="other").get("/v1.1/webhooks").status_code == 403


def test_the_test_endpoint_reports_the_receivers_answer(api, receiver):
    webhook_id = _subscribe(api, receiver)
    event = {"webhook_event_type": "meter.created", "meter_id": str(uuid.uuid4())}
    result = api.post(f"/v1.1/webhooks/{webhook_id}/test", event).json()
    assert result["is_successful"] is True
    assert result["status_code"] == 200
    assert receiver.requests[0]["body"]["payload"] == event
    receiver.statuses = [503]
    assert api.post(f"/v1.1/webhooks/{webhook_id}/test", event).json()["is_successful"] is False
    assert api.post(f"/v1.1/webhooks/{uuid.uuid4()}/test", event).status_code == 404


def test_journey_events_reach_the_receiver_with_its_headers(api, flow, receiver):
    _subscribe(api, receiver)
    submit(api, "form-ca", "pge", "residential", ref_id="hook-1")
    deliver_until_idle()
    kinds = [
        (r["body"]["payload"]["webhook_event_type"], r["body"]["payload"]["status"])
        for r in receiver.requests
    ]
    assert kinds == [
        ("connect_session.updated", "CREATED"),
        ("connect_session.authorization_updated", "COMPLETED"),
        ("connect_session.updated", "COMPLETED"),
    ]
    assert all(r["headers"]["X-Leap-Secret"] == "s3cret" for r in receiver.requests)
    assert receiver.requests[1]["body"]["payload"]["utility_name"] == "PGE"
    # meter.created waits for the meter to exist
    advance_clock(25)
    deliver_until_idle()
    created = receiver.requests[-1]["body"]
    assert created["payload"]["webhook_event_type"] == "meter.created"
    assert created["payload"]["partner_reference"] == "hook-1"


def test_failed_deliveries_are_retried_until_a_2xx(api, flow, receiver):
    _subscribe(api, receiver, ["connect_session.updated"])
    receiver.statuses = [500, 503]
    submit(api, "form-ca", "pge", "badlogin", ref_id="hook-2")
    counts = deliver_until_idle()
    assert counts["delivered"] == 2
    ids = [r["body"]["webhook_event_id"] for r in receiver.requests]
    assert sorted(Counter(ids).values()) == [2, 2]  # both events failed once, then arrived
    assert [d.attempts for d in WebhookDelivery.objects.all()] == [2, 2]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_delivery_gives_up_after_ten_attempts(api, flow, receiver):
    _subscribe(api, receiver, ["connect_session.updated"])
    receiver.statuses = [500] * 50
    submit(api, "form-ca", "pge", "residential", ref_id="hook-3")
    deliver_until_idle()
    assert WebhookDelivery.objects.filter(status="failed").count() == 2
    assert len(receiver.requests) == 2 * MAX_DELIVERIES


def test_retries_wait_on_leaps_schedule(api, flow, receiver, settings):
    settings.LEAP_SANDBOX_WEBHOOK_TIME_FACTOR = 1
    _subscribe(api, receiver, ["connect_session.updated"])
    receiver.statuses = [500]
    submit(api, "form-ca", "pge", "badlogin", ref_id="hook-4")
    deliver_due()
    assert deliver_due()["delivered"] == 0  # the retry is a minute away
    advance_clock(61 / 3600)
    assert deliver_due()["delivered"] == 1


def test_some_events_are_delivered_twice(api, flow, receiver, settings):
    settings.LEAP_SANDBOX_WEBHOOK_DUPLICATE_RATE = 1
    _subscribe(api, receiver, ["connect_session.updated"])
    submit(api, "form-ca", "pge", "badlogin", ref_id="hook-5")
    deliver_until_idle()
    ids = [r["body"]["webhook_event_id"] for r in receiver.requests]
    assert len(ids) == 4
    assert len(set(ids)) == 2
