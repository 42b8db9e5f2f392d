"""manage.py sync_connections against the sandbox over real HTTP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from connections.models import Connection
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.seeding import seed
from leapdash.runs.models import SyncRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def leap(live_server, settings):
    settings.LEAP_API_BASE_URL = live_server.url + "/sandbox/api"
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY


def test_the_command_syncs_with_a_line_per_page_and_records_the_run(leap):
    seed(connections=1200, meters=0, seed=21)
    out = StringIO()
    call_command("sync_connections", "--full", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["page 1", "page 2", "page 3"]
    assert "Done: 1200 read, 1200 new" in lines[-1]
    run = SyncRun.objects.get()
    assert (run.trigger, run.status, run.full, run.created) == ("command", "succeeded", True, 1200)
    assert Connection.objects.count() == 1200


def test_the_command_re_reads_single_refids_without_a_run(leap):
    seed(connections=50, meters=0, seed=22)
    ref_id = sandbox.Connection.objects.order_by("pk").values_list("ref_id", flat=True)[0]
    out = StringIO()
    call_command("sync_connections", "--ref-id", ref_id, stdout=out)
    assert list(Connection.objects.values_list("ref_id", flat=True)) == [ref_id]
    assert not SyncRun.objects.exists()


def test_the_command_refuses_while_another_sync_holds_the_lock(leap):
    cache.add("sync-lock:connections", "someone-else", 60)
    with pytest.raises(CommandError, match="Another connections sync is running"):
        call_command("sync_connections", stdout=StringIO())
    assert SyncRun.objects.get().status == "skipped"


def test_register_webhook_subscribes_once_with_the_secret_header(leap, live_server, settings):
    from leapdash.leap.client import LeapClient

    receiver = live_server.url + "/webhooks/leap/"
    out = StringIO()
    call_command("register_webhook", receiver, stdout=out)
    call_command("register_webhook", receiver, stdout=out)
    assert "Registered webhook" in out.getvalue()
    assert "Updated webhook" in out.getvalue()
    client = LeapClient(settings.LEAP_API_BASE_URL, settings.LEAP_API_KEY)
    [subscription] = [w for w in client.list_webhooks() if w.receiver_url == receiver]
    assert "connect_session.updated" in subscription.event_types
    assert [h.lower() for h in subscription.header_names] == ["x-leapdash-webhook-secret"]


def test_register_webhook_needs_a_secret(leap, settings):
    settings.LEAP_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError, match="LEAP_WEBHOOK_SECRET"):
        call_command("register_webhook", "https://x.test/webhooks/leap/")


def test_events_the_sandbox_delivers_reach_the_receiver_once(leap, live_server, settings):
    from django.utils import timezone

    from connections.models import WebhookEvent
    from leapdash.leap.sandbox.webhooks import deliver_until_idle, emit

    settings.LEAP_SANDBOX_WEBHOOK_DUPLICATE_RATE = 1.0  # Leap sometimes delivers twice
    call_command("register_webhook", live_server.url + "/webhooks/leap/", stdout=StringIO())
    payload = {"meter_id": "364be407-1f08-48fa-afd2-ee1dd228b76b", "partner_reference": "ref-77"}
    emit("meter.created", {**payload, "transmission_region": "CAISO"}, timezone.now())
    assert deliver_until_idle()["delivered"] == 2
    event = WebhookEvent.objects.get()
    assert (event.event_type, event.ref_id) == ("meter.created", "ref-77")
