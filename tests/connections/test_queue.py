"""The re-engagement queue: what is due, mark sent / snooze / skip, exports, the outgoing hook."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from connections.due import due_touches
from connections.hooks import LOCK_KEY, HookUnavailable
from connections.models import OutgoingHook, Touchpoint
from connections.tasks import post_due_touches_task
from tests.sandbox.receiver import Receiver

from .builders import conn
from .queue_data import NOON, H, make_due
from .queue_data import due_refs as _due_refs
from .queue_data import store as _store

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"  # a public address: no name to resolve on a machine without DNS
CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def due():
    """One connection due for each touch, and one of each kind that owes the customer nothing."""
    return make_due()


def test_the_queue_lists_each_due_touch_with_its_tailored_message(pm_client, due):
    page = pm_client.get("/connections/queue/").content.decode()
    assert _due_refs(page) == {"t1", "t2", "t3"}
    for n in (1, 2, 3):
        assert f"Touch {n}" in page
    assert "Hi Ana &lt;i&gt;, you started connecting" in page
    assert "https://l.example/t1" in page
    assert "Your PG&amp;E login did not work" in page  # the utility's short name


def test_mark_sent_records_a_touchpoint_once(pm_client, pm_user, due):
    c = due["t1"]
    response = pm_client.post(
        f"/connections/{c.pk}/touch/",
        {"action": "sent", "touch": "1", "channel": "sms"},
        headers={"HX-Request": "true"},
    )
    assert "Touch 1 marked sent by sms" in response.content.decode()
    again = pm_client.post(f"/connections/{c.pk}/touch/", {"action": "sent", "touch": "1"})
    assert again.status_code == 302
    sent = Touchpoint.objects.get(connection=c)
    assert (sent.touch, sent.channel, sent.outcome, sent.by) == (1, "sms", "sent", pm_user)
    assert "t1" not in _due_refs(pm_client.get("/connections/queue/").content.decode())


def test_skip_ends_the_cadence_and_snooze_hides_for_a_day(pm_client, pm_user, due):
    pm_client.post(f"/connections/{due['t2'].pk}/touch/", {"action": "skip", "touch": "2"})
    pm_client.post(f"/connections/{due['t3'].pk}/touch/", {"action": "snooze", "touch": "3"})
    assert _due_refs(pm_client.get("/connections/queue/").content.decode()) == {"t1"}
    snooze = Touchpoint.objects.get(connection=due["t3"], outcome="snoozed")
    assert snooze.snoozed_until is not None
    assert snooze.snoozed_until - snooze.at == timedelta(hours=24)
    assert snooze.key is None  # a snooze is not a touch
    assert Touchpoint.objects.get(connection=due["t2"], touch=2).outcome == "skipped"
    with time_machine.travel(NOON + 25 * H, tick=False):
        pm_client.force_login(pm_user)  # a day later: a new session
        later = _due_refs(pm_client.get("/connections/queue/").content.decode())
    assert "t3" in later  # the snooze is over
    assert "t2" not in later  # skipped: nothing until the customer progresses


def test_an_unknown_action_is_refused(pm_client, due):
    response = pm_client.post(f"/connections/{due['t1'].pk}/touch/", {"action": "x", "touch": "1"})
    assert response.status_code == 400
    assert not Touchpoint.objects.filter(connection=due["t1"]).exists()


def test_exports_hold_every_due_touch(pm_client, due):
    text = b"".join(pm_client.get("/connections/queue/export.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["refId"] for r in rows} == {"t1", "t2", "t3"}
    assert {r["touch"] for r in rows} == {"1", "2", "3"}
    raw = b"".join(pm_client.get("/connections/queue/export.json").streaming_content)
    items = json.loads(raw)
    assert {i["ref_id"] for i in items} == {"t1", "t2", "t3"}
    t2 = next(i for i in items if i["ref_id"] == "t2")
    assert t2["subject"].startswith("Your PG&E")
    assert t2["link_url"] == "https://l.example/t2"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _bodies(receiver: Receiver) -> list[dict]:
    return [r["body"] for r in receiver.requests]


def _verify(secret: str, request: dict) -> bool:
    """What a receiver does with X-Leapdash-Signature (README shows the same steps)."""
    fields = dict(
        part.split("=", 1) for part in request["headers"]["X-Leapdash-Signature"].split(",")
    )
    signed = fields["t"].encode() + b"." + request["raw"]
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def test_the_hook_posts_each_due_touch_once_signed_with_its_key(due, receiver):
    OutgoingHook.objects.create(
        pk=1, url=receiver.url, enabled=True, channel="sms", signing_secret="s3"
    )
    post_due_touches_task.apply()
    bodies = _bodies(receiver)
    assert sorted(b["ref_id"] for b in bodies) == ["t1", "t2", "t3"]
    for request in receiver.requests:
        assert request["headers"]["Idempotency-Key"] == request["body"]["idempotency_key"]
        assert _verify("s3", request)
        assert not _verify("other", request)
        assert "s3" not in json.dumps(request["headers"])  # the secret itself never travels
    schema = json.loads((CONTRACTS / "hook.schema.json").read_text())
    for body in bodies:
        jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())
    automated = Touchpoint.objects.filter(automated=True)
    assert {t.key for t in automated} == {b["idempotency_key"] for b in bodies}
    assert {t.channel for t in automated} == {"sms"}
    assert OutgoingHook.load().delivered_count == 3
    post_due_touches_task.apply()
    assert len(receiver.requests) == 3  # nothing left to post


def test_a_failing_hook_stops_raises_for_a_retry_and_the_retry_sends_the_same_key(due, receiver):
    receiver.statuses = [503]
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=True)
    with pytest.raises(HookUnavailable):
        post_due_touches_task.run()  # called directly, autoretry re-raises instead of queueing
    assert len(receiver.requests) == 1
    assert not Touchpoint.objects.filter(automated=True).exists()
    hook = OutgoingHook.load()
    assert (hook.last_status, hook.unreachable_count) == ("unreachable", 1)
    assert post_due_touches_task.max_retries == 5
    first_key = receiver.requests[0]["body"]["idempotency_key"]
    post_due_touches_task.run()
    assert receiver.requests[1]["body"]["idempotency_key"] == first_key
    assert Touchpoint.objects.filter(automated=True).count() == 3


def test_a_hook_refusing_with_a_4xx_or_a_redirect_records_nothing(due, receiver):
    receiver.statuses = [400, 307]
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=True)
    post_due_touches_task.run()
    assert len(receiver.requests) == 3  # no redirect followed
    assert Touchpoint.objects.filter(automated=True).count() == 1
    assert OutgoingHook.load().refused_count == 2


def test_a_touch_already_recorded_is_not_posted_and_one_run_posts_at_a_time(due, receiver):
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=True)
    cache.add(LOCK_KEY, 1, 60)  # another run is posting
    post_due_touches_task.run()
    assert receiver.requests == []
    cache.delete(LOCK_KEY)
    [t1] = [d for d in due_touches(timezone.now()) if d.connection.ref_id == "t1"]
    Touchpoint.objects.create(
        connection=t1.connection,
        touch=1,
        at=timezone.now(),
        abandoned_at=t1.touch.abandoned_at,
        key=t1.key,
    )  # a person marked it sent meanwhile
    post_due_touches_task.run()
    assert sorted(b["ref_id"] for b in _bodies(receiver)) == ["t2", "t3"]


def test_a_disabled_hook_posts_nothing(due, receiver):
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=False)
    post_due_touches_task.apply()
    assert _bodies(receiver) == []


def test_only_ops_configure_the_hook(pm_client, ops_client):
    assert pm_client.post("/connections/hook/", {"url": "https://x.example"}).status_code == 403
    response = ops_client.post(
        "/connections/hook/",
        {"enabled": "on", "url": f"https://{PUBLIC}/in", "channel": "email"},
    )
    assert response.status_code == 302
    hook = OutgoingHook.load()
    assert (hook.enabled, hook.url) == (True, f"https://{PUBLIC}/in")
    refused = ops_client.post("/connections/hook/", {"enabled": "on", "url": "", "channel": "sms"})
    assert "An enabled hook needs a URL." in refused.content.decode()


def test_the_queue_has_an_empty_state(pm_client):
    assert "Nothing is due right now." in pm_client.get("/connections/queue/").content.decode()


def test_the_queue_groups_by_message_under_a_generic_heading(pm_client, due):
    page = pm_client.get("/connections/queue/").content.decode()
    assert '<section class="due-group" data-message="error.BAD_LOGIN">' in page
    assert ">Utility error: Wrong utility login <span" in page
    assert ">Finish connecting your utility account <span" in page


def test_the_hook_secret_is_never_written_into_the_page_and_a_blank_keeps_it(ops_client):
    OutgoingHook.objects.create(
        pk=1, url="https://hooks.example.com/x", signing_secret="s3cr3t-value"
    )
    page = ops_client.get("/connections/hook/").content.decode()
    assert "s3cr3t-value" not in page
    response = ops_client.post(
        "/connections/hook/",
        {
            "enabled": "on",
            "url": f"https://{PUBLIC}/y",
            "channel": "email",
            "signing_secret": "",
        },
    )
    assert response.status_code == 302
    hook = OutgoingHook.objects.get(pk=1)
    assert (hook.url, hook.signing_secret) == (f"https://{PUBLIC}/y", "s3cr3t-value")


@pytest.mark.parametrize("rows", [1, 30])
def test_working_out_due_touches_takes_the_same_queries_for_1_and_30_connections(
    django_assert_num_queries, rows
):
    """Connections without any recent touch must not each ask for their touches again."""
    now = timezone.now()
    _store(
        *(conn("NOT_STARTED", ref_id=f"n{i}", last=now - timedelta(hours=5)) for i in range(rows))
    )
    # the message templates, the candidates with links and flows, their recent touches
    with django_assert_num_queries(3):
        due = list(due_touches(now))
    assert len(due) == rows


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://93.184.216.34/in", "must use https"),
        ("https://127.0.0.1:6379/", "not a public address"),
        ("https://169.254.169.254/latest/meta-data/", "not a public address"),
        ("https://10.0.0.8/in", "not a public address"),
        ("https://192.168.1.4/in", "not a public address"),
        ("https://[::1]:5432/", "not a public address"),
        ("https://[fe80::1]/in", "not a public address"),
        ("https://[::ffff:127.0.0.1]/in", "not a public address"),
        ("https://224.0.0.1/in", "not a public address"),
        ("https://no-such-host.invalid/in", "cannot be resolved"),
    ],
)
def test_the_hook_refuses_receivers_that_are_not_public(ops_client, settings, url, error):
    settings.OUTGOING_HOOK_ALLOW_LOOPBACK = False
    response = ops_client.post("/connections/hook/", {"enabled": "on", "url": url})
    assert error in response.content.decode()
    assert OutgoingHook.load().url == ""


def test_a_receiver_that_resolves_to_this_machine_is_refused_when_connecting(
    due, receiver, settings
):
    """The URL was saved while it pointed elsewhere (or by hand): the connection itself is
    checked against the address actually used."""
    settings.OUTGOING_HOOK_ALLOW_LOOPBACK = False
    OutgoingHook.objects.create(pk=1, url=receiver.url.replace("127.0.0.1", "localhost"))
    OutgoingHook.objects.filter(pk=1).update(enabled=True)
    with pytest.raises(HookUnavailable):
        post_due_touches_task.run()
    assert receiver.requests == []
    assert OutgoingHook.load().last_status == "unreachable"
    assert not Touchpoint.objects.filter(automated=True).exists()
