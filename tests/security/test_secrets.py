"""The Leap API key and the webhook secret never appear in logs, pages, SyncRun rows, error
messages or exception reports, whatever goes wrong (a wrong key, a 500, no answer at all)."""

from __future__ import annotations

import json
import logging
import sys
import traceback

import pytest
from django.core.management import call_command
from django.test import Client
from django.views.debug import ExceptionReporter

from connections.sync import sync_connections
from connections.tasks import sync_connections_task
from connections.webhooks import SECRET_HEADER
from leapdash.leap.client import LeapClient
from leapdash.leap.errors import LeapError
from leapdash.leap.sandbox.models import Chaos
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import tracked_run
from meters.models import Meter

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "sk_live_CANARYkey7f3a9d"
SECRET = "whsec_CANARYsecret91b2"
CANARIES = ("CANARY", KEY, SECRET)


@pytest.fixture
def leap(live_server, settings, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level, the live server's included
    settings.LEAP_API_BASE_URL = live_server.url + "/sandbox/api"
    settings.LEAP_API_KEY = KEY
    settings.LEAP_WEBHOOK_SECRET = SECRET
    settings.LEAP_SANDBOX_API_KEY = KEY
    return live_server


def _reports(exc: BaseException) -> str:
    """What an exception shows wherever it is reported: message, traceback with its causes,
    and Django's error reports (the text one mailed to admins, the HTML one of DEBUG)."""
    reporter = ExceptionReporter(None, type(exc), exc, exc.__traceback__)
    return "\n".join(
        [
            str(exc),
            repr(exc),
            "".join(traceback.format_exception(exc)),
            reporter.get_traceback_text(),
            reporter.get_traceback_html(),
        ]
    )


def _stored() -> str:
    runs = SyncRun.objects.values()
    return json.dumps(list(runs), default=str)


def _pages(ops_client: Client) -> str:
    paths = ["/", "/sync/", "/admin/runs/syncrun/", "/connections/", "/meters/"]
    paths += [
        f"/admin/runs/syncrun/{pk}/change/" for pk in SyncRun.objects.values_list("pk", flat=True)
    ]
    return "\n".join(ops_client.get(p).content.decode() for p in paths)


def assert_nowhere(*texts: str) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in text


def test_a_wrong_key_leaks_nowhere(leap, settings, caplog, ops_client):
    settings.LEAP_SANDBOX_API_KEY = "the-key-leap-really-issued"  # so ours gets a 403
    with pytest.raises(LeapError) as caught:
        sync_connections_task()
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert "403" in run.error or "key" in run.error.lower()
    assert_nowhere(_reports(caught.value), caplog.text, _stored(), _pages(ops_client))


def test_a_500_from_leap_leaks_nowhere(leap, caplog, ops_client):
    Chaos.objects.create(api_key=KEY, error_rate=1.0, error_statuses="500", error_bodies="html")
    with pytest.raises(LeapError) as caught:  # noqa: PT012 (the task's own body)
        with tracked_run(SyncRun.Kind.CONNECTIONS, trigger="test") as run:
            assert run is not None
            with LeapClient(
                leap.url + "/sandbox/api", KEY, max_retries=1, sleep=lambda s: None
            ) as client:
                sync_connections(
                    client=client, since=None, now=run.started_at, on_page=run.page_done
                )
    assert "500" in SyncRun.objects.get().error
    assert_nowhere(_reports(caught.value), caplog.text, _stored(), _pages(ops_client))


def test_no_answer_at_all_leaks_nowhere(leap, caplog, ops_client):
    """A refused connection: the report includes urllib3's frames and the causes' chain."""
    with pytest.raises(LeapError) as caught:  # noqa: PT012
        with tracked_run(SyncRun.Kind.CONNECTIONS, trigger="test") as run:
            assert run is not None
            with LeapClient("http://127.0.0.1:9/leap", KEY, max_retries=0) as client:
                sync_connections(client=client, since=None, now=run.started_at)
    assert_nowhere(_reports(caught.value), caplog.text, _stored(), _pages(ops_client))


def test_registering_the_webhook_leaks_neither_secret_when_leap_refuses(leap, settings, caplog):
    """The command holds the secret in a local variable: Django's HTML report showed it (and
    the urllib3 frames the Authorization header) before leapdash.reporting.SecretsFilter."""
    settings.LEAP_SANDBOX_API_KEY = "the-key-leap-really-issued"
    with pytest.raises(LeapError) as refused:
        call_command("register_webhook", "https://leapdash.example.com/webhooks/leap/")
    assert_nowhere(_reports(refused.value), caplog.text)


def test_the_report_filter_hides_secret_values_in_any_frame(settings):
    settings.LEAP_API_KEY, settings.LEAP_WEBHOOK_SECRET = KEY, SECRET

    def holds(headers):
        raise RuntimeError("boom")

    try:
        holds({"X-Leapdash-Webhook-Secret": SECRET, "Authorization": f"Bearer {KEY}"})
    except RuntimeError as exc:
        report = _reports(exc)
    assert "boom" in report
    assert "X-Leapdash-Webhook-Secret': '*****" not in report  # the whole variable is hidden
    assert_nowhere(report)


def test_webhook_deliveries_store_and_log_no_secret(leap, caplog, client):
    body = {"webhook_event_id": "e-1", "payload": {"webhook_event_type": "meter.created"}}
    wrong = client.post(
        "/webhooks/leap/", body, content_type="application/json", headers={SECRET_HEADER: "guess"}
    )
    right = client.post(
        "/webhooks/leap/", body, content_type="application/json", headers={SECRET_HEADER: SECRET}
    )
    assert (wrong.status_code, right.status_code) == (401, 202)
    from connections.models import WebhookEvent

    stored = json.dumps(list(WebhookEvent.objects.values()), default=str)
    assert_nowhere(caplog.text, stored, wrong.content.decode(), right.content.decode())


def test_a_reference_fix_refused_by_leap_shows_no_key(leap, settings, caplog, ops_client):
    """The one page that calls Leap inline: its error is shown, the key is not."""
    from django.utils import timezone

    settings.LEAP_SANDBOX_API_KEY = "the-key-leap-really-issued"
    meter = Meter.objects.create(
        meter_id="m-secret-1",
        transmission_region="CAISO",
        created_at=timezone.now(),
        fingerprint="x",
        first_synced_at=timezone.now(),
        synced_at=timezone.now(),
    )
    response = ops_client.post(
        "/meters/fix/", {"meter": meter.pk, "reference": "new-ref-1", "confirm": "1"}
    )
    assert response.status_code in (200, 500)
    exc = sys.exc_info()[1]
    assert_nowhere(response.content.decode(), caplog.text, str(exc or ""))
