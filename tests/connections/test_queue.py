"""The re-engagement queue: what is due, mark sent / snooze / skip, exports, the outgoing hook."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from connections.hooks import due_touches, post_due_touches_task
from connections.models import Connection, OutgoingHook, Touchpoint
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link
from tests.sandbox.receiver import Receiver

from .builders import PGE, conn, page_of, util

pytestmark = pytest.mark.django_db


def _store(*records):
    write_page(page_of(list(records)), now=timezone.now(), counts=SyncCounts())


@pytest.fixture
def due():
    """One connection due for each touch, one scheduled, one finished, one back to marketing."""
    now = timezone.now()
    for ref, name in [("t1", "Ana <i>"), ("t2", "Ben"), ("t3", "Cy")]:
        Link.objects.create(
            org_name="acme", ref_id=ref, customer_name=name, url=f"https://l.example/{ref}"
        )
    _store(
        conn("NOT_STARTED", ref_id="t1", last=now - timedelta(minutes=30)),
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="t2", last=now - timedelta(hours=5)),
        conn("NOT_STARTED", ref_id="t3", last=now - timedelta(days=2)),
        conn("NOT_STARTED", ref_id="soon", last=now - timedelta(minutes=1)),
        conn("COMPLETED", util(PGE), ref_id="done", last=now - timedelta(hours=2)),
        conn("NOT_STARTED", ref_id="old", last=now - timedelta(days=4)),
    )
    t2, t3 = Connection.objects.get(ref_id="t2"), Connection.objects.get(ref_id="t3")
    Touchpoint.objects.create(connection=t2, touch=1, at=now - timedelta(hours=4))
    for i in (1, 2):
        Touchpoint.objects.create(connection=t3, touch=i, at=now - timedelta(days=1, hours=i))
    return {c.ref_id: c for c in Connection.objects.all()}


def _due_refs(page: str) -> set[str]:
    refs = {"t1", "t2", "t3", "soon", "done", "old"}
    return {r for r in refs if f'data-ref-id="{r}"' in page}


def test_the_queue_lists_each_due_touch_with_its_tailored_message(pm_client, due):
    page = pm_client.get("/connections/queue/").content.decode()
    assert _due_refs(page) == {"t1", "t2", "t3"}
    for n in (1, 2, 3):
        assert f"Touch {n}" in page
    assert "Hi Ana &lt;i&gt;, you started connecting" in page
    assert "https://l.example/t1" in page
    assert "Your PG&amp;E: Pacific Gas &amp; Electric login did not work" in page


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


def test_skip_counts_as_the_touch_and_snooze_hides_for_a_day(pm_client, due):
    pm_client.post(f"/connections/{due['t2'].pk}/touch/", {"action": "skip", "touch": "2"})
    pm_client.post(f"/connections/{due['t3'].pk}/touch/", {"action": "snooze", "touch": "3"})
    assert _due_refs(pm_client.get("/connections/queue/").content.decode()) == {"t1"}
    snooze = Touchpoint.objects.get(connection=due["t3"], outcome="snoozed")
    assert snooze.snoozed_until is not None
    assert snooze.snoozed_until - snooze.at == timedelta(hours=24)
    assert Touchpoint.objects.get(connection=due["t2"], touch=2).outcome == "skipped"


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


def test_the_hook_posts_touches_past_the_quiet_hour_and_records_them(due, receiver):
    OutgoingHook.objects.create(
        pk=1, url=receiver.url, enabled=True, channel="sms", secret_header="s3"
    )
    post_due_touches_task.apply()
    assert len(receiver.requests) == 1
    posted = {t["ref_id"] for t in _bodies(receiver)[0]["touches"]}
    assert posted == {"t2", "t3"}  # t1 is still inside Leap's quiet hour
    assert [r["headers"].get("X-Leapdash-Secret", "") for r in receiver.requests] == ["s3"]
    automated = Touchpoint.objects.filter(automated=True)
    assert {t.connection.ref_id for t in automated} == {"t2", "t3"}
    assert {t.channel for t in automated} == {"sms"}
    post_due_touches_task.apply()
    assert len(receiver.requests) == 1  # nothing left to post


def test_a_failing_hook_raises_for_a_bounded_retry_and_records_nothing(due, receiver):
    receiver.statuses = [503]
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=True)
    with pytest.raises(requests.HTTPError):
        post_due_touches_task.run()  # called directly, autoretry re-raises instead of queueing
    assert len(receiver.requests) == 1
    assert not Touchpoint.objects.filter(automated=True).exists()
    assert OutgoingHook.load().last_status == "HTTP 503"
    assert post_due_touches_task.max_retries == 5
    assert requests.RequestException in post_due_touches_task.autoretry_for  # type: ignore[attr-defined]


def test_a_hook_refusing_with_a_4xx_is_not_retried(due, receiver):
    receiver.statuses = [400]
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=True)
    post_due_touches_task.run()
    assert len(receiver.requests) == 1
    assert not Touchpoint.objects.filter(automated=True).exists()


def test_a_disabled_hook_posts_nothing(due, receiver):
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=False)
    post_due_touches_task.apply()
    assert _bodies(receiver) == []


def test_only_ops_configure_the_hook(pm_client, ops_client):
    assert pm_client.post("/connections/hook/", {"url": "https://x.example"}).status_code == 403
    response = ops_client.post(
        "/connections/hook/",
        {"enabled": "on", "url": "https://tool.example/in", "channel": "email"},
    )
    assert response.status_code == 302
    hook = OutgoingHook.load()
    assert (hook.enabled, hook.url) == (True, "https://tool.example/in")
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
        pk=1, url="https://hooks.example.com/x", secret_header="s3cr3t-value"
    )
    page = ops_client.get("/connections/hook/").content.decode()
    assert "s3cr3t-value" not in page
    response = ops_client.post(
        "/connections/hook/",
        {
            "enabled": "on",
            "url": "https://hooks.example.com/y",
            "channel": "email",
            "secret_header": "",
        },
    )
    assert response.status_code == 302
    hook = OutgoingHook.objects.get(pk=1)
    assert (hook.url, hook.secret_header) == ("https://hooks.example.com/y", "s3cr3t-value")


@pytest.mark.parametrize("rows", [1, 30])
def test_working_out_due_touches_takes_the_same_queries_for_1_and_30_connections(
    django_assert_num_queries, rows
):
    """Connections without any recent touch must not each ask for their touches again."""
    now = timezone.now()
    _store(
        *(conn("NOT_STARTED", ref_id=f"n{i}", last=now - timedelta(hours=5)) for i in range(rows))
    )
    with django_assert_num_queries(2):  # the candidates, their recent touches
        due = list(due_touches(now))
    assert len(due) == rows
