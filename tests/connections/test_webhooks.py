"""POST /webhooks/leap/: secret header, dedupe, storage, and the re-sync queued on commit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from connections.models import Connection, WebhookEvent
from connections.webhooks import SECRET_HEADER
from links.models import Link

URL = "/webhooks/leap/"
AUTH = "connect_session.authorization_updated"
SECRET = "test-webhook-secret"  # leapdash/profiles/test.env

pytestmark = pytest.mark.django_db


@pytest.fixture
def leap() -> Client:
    # Leap sends no CSRF token: the view must not need one.
    return Client(enforce_csrf_checks=True)


def _event(event_id="6f1c2a4e-0000-4000-8000-000000000001", **payload):
    payload.setdefault("webhook_event_type", "connect_session.updated")
    payload.setdefault("partner_reference", "Test1012")
    payload.setdefault("status", "UPDATED")
    return {"webhook_event_id": event_id, "payload": payload}


def _post(client, body, secret=SECRET):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return client.post(URL, data, content_type="application/json", headers=headers)


def test_a_session_update_is_stored_and_queues_a_resync_of_that_refid(
    leap, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(leap, _event())
    assert response.status_code == 202
    event = WebhookEvent.objects.get()
    assert (event.event_type, event.ref_id) == ("connect_session.updated", "Test1012")
    assert event.payload["payload"]["status"] == "UPDATED"
    assert event.processed_at is not None
    assert len(callbacks) == 1


def test_an_authorization_update_also_queues_a_resync(leap, django_capture_on_commit_callbacks):
    body = _event(
        webhook_event_type="connect_session.authorization_updated",
        utility_name="PG&E: Pacific Gas & Electric",
        status="FAILED",
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert _post(leap, body).status_code == 202
    assert len(callbacks) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_a_missing_or_wrong_secret_gets_401_and_nothing_is_stored(leap, secret):
    assert _post(leap, _event(), secret=secret).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_an_unset_secret_refuses_every_delivery(leap, settings):
    settings.LEAP_WEBHOOK_SECRET = ""
    assert _post(leap, _event(), secret="").status_code == 401


def test_a_redelivered_event_is_stored_once_and_queues_nothing_more(
    leap, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        assert _post(leap, _event()).status_code == 202
        again = _post(leap, _event(status="COMPLETED"))
    assert again.status_code == 200
    assert again.json() == {"stored": False}
    assert WebhookEvent.objects.count() == 1
    assert WebhookEvent.objects.get().payload["payload"]["status"] == "UPDATED"
    assert len(callbacks) == 1


def test_an_unknown_event_type_is_stored_and_ignored(leap, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(leap, _event(webhook_event_type="connect_session.exploded"))
    assert response.status_code == 202
    event = WebhookEvent.objects.get()
    assert event.event_type == "connect_session.exploded"
    assert event.processed_at is None
    assert callbacks == []


def test_meter_created_is_stored_for_the_meters_app(leap, django_capture_on_commit_callbacks):
    body = _event(
        webhook_event_type="meter.created",
        meter_id="364be407-1f08-48fa-afd2-ee1dd228b76b",
        transmission_region="CAISO",
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert _post(leap, body).status_code == 202
    event = WebhookEvent.objects.get()
    assert (event.event_type, event.ref_id, event.processed_at) == (
        "meter.created",
        "Test1012",
        None,
    )
    assert callbacks == []


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        b"\xff\xfe",
        "[1, 2]",
        '"text"',
        json.dumps({"payload": {"webhook_event_type": "meter.created"}}),
        json.dumps({"webhook_event_id": "", "payload": {"webhook_event_type": "x"}}),
        json.dumps({"webhook_event_id": "e1", "payload": "nope"}),
        json.dumps({"webhook_event_id": "e1", "payload": {}}),
        json.dumps({"webhook_event_id": 7, "payload": {"webhook_event_type": "x"}}),
    ],
)
def test_malformed_bodies_get_400_with_nothing_stored(leap, body):
    assert _post(leap, body).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_refid_too_long_to_be_one_is_stored_but_not_resynced(
    leap, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        assert _post(leap, _event(partner_reference="x" * 300)).status_code == 202
    assert WebhookEvent.objects.get().ref_id == ""
    assert callbacks == []


def test_only_post_is_accepted(leap):
    assert leap.get(URL, headers={SECRET_HEADER: SECRET}).status_code == 405


def test_the_session_state_is_kept_from_the_first_receipt_of_each_event(leap):
    Link.objects.create(org_name="acme", ref_id="Test1012", url="https://l.example/x")
    at = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        _post(leap, _event("e1", status="CREATED"))
    with time_machine.travel(at + timedelta(minutes=3), tick=False):
        _post(leap, _event("e2", webhook_event_type=AUTH, utility_name="PGE", status="FAILED"))
    with time_machine.travel(at + timedelta(minutes=4), tick=False):
        _post(leap, _event("e3", status="UPDATED"))  # accompanies the failure: not news
    with time_machine.travel(at + timedelta(hours=2), tick=False):
        _post(leap, _event("e2", webhook_event_type=AUTH, utility_name="PGE", status="FAILED"))
    c = Connection.objects.get(ref_id="Test1012")
    assert (c.webhook_state, c.webhook_at) == ("abandoned", at + timedelta(minutes=3))


def test_a_first_event_for_a_link_of_ours_makes_a_placeholder_connection(leap):
    link = Link.objects.create(org_name="acme", ref_id="Test1012", url="https://l.example/x")
    _post(leap, _event(status="CREATED"))
    c = Connection.objects.get(ref_id="Test1012")
    assert (c.link, c.next_action, c.message_key) == (link, "IN_PROGRESS", "finish_connecting")
    link.refresh_from_db()
    assert link.first_opened_at == c.webhook_at  # Leap says the link was opened


def test_an_event_for_a_refid_we_never_sent_makes_no_connection(leap):
    _post(leap, _event(status="CREATED"))
    assert not Connection.objects.exists()
