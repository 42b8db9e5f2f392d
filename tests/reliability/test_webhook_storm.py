"""A webhook storm: 1,000 deliveries to /webhooks/leap/ over real HTTP from several threads,
20% of them redeliveries, in shuffled order. Each event is stored once, each new resync event
queues exactly one refresh on the real Redis broker, and once those queued refreshes have run
the local connections equal the sandbox's."""

from __future__ import annotations

import base64
import json
import random
import threading
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import redis
import requests
from django.utils import timezone

from connections.models import WebhookEvent
from connections.tasks import refresh_connections_task
from connections.webhooks import SECRET_HEADER
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.documents import iso
from leapdash.leap.sandbox.seeding import seed

from .conftest import assert_connections_match_sandbox, connections_run

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERIES = 1000
DUPLICATES = 200  # 20%
THREADS = 8
RESYNC_TYPES = ("connect_session.updated", "connect_session.authorization_updated")


def _events(ref_ids: list[str]) -> list[dict[str, Any]]:
    """800 distinct events: two resync events per refId (each queues a refresh), the rest
    meter.created (stored, nothing queued)."""
    events = []
    for ref_id in ref_ids:
        for event_type in RESYNC_TYPES:
            events.append((event_type, ref_id))
    while len(events) < DELIVERIES - DUPLICATES:
        events.append(("meter.created", random.choice(ref_ids)))
    return [
        {
            "webhook_event_id": str(uuid.uuid4()),
            "payload": {"webhook_event_type": kind, "partner_reference": ref_id},
        }
        for kind, ref_id in events
    ]


def _queued_tasks(broker: redis.Redis) -> list[tuple[str, list[Any], dict[str, Any]]]:
    """Pop every message of Celery's default queue: (task name, args, kwargs)."""
    tasks = []
    while (raw := broker.rpop("celery")) is not None:
        message = json.loads(raw)  # type: ignore[arg-type]
        args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], args, kwargs))
    return tasks


def test_a_storm_of_shuffled_and_repeated_deliveries_stores_each_event_once(
    leap, live_server, settings
):
    random.seed(61)
    seed(connections=100, meters=0, seed=61)
    assert connections_run(leap(), full=True, page_size=500).status == "succeeded"
    # Leap's side moves on for every connection: the webhooks announce it
    later = timezone.now() - timedelta(minutes=5)
    for row in sandbox.Connection.objects.all():
        row.document["last_interaction_date_time_utc"] = iso(later)
        row.last_interaction_at = row.changed_at = later
        row.save(update_fields=["document", "last_interaction_at", "changed_at"])
    ref_ids = sorted(sandbox.Connection.objects.values_list("ref_id", flat=True))
    events = _events(ref_ids)
    deliveries = events + random.sample(events, DUPLICATES)
    random.shuffle(deliveries)

    answers: Counter[int] = Counter()
    lock = threading.Lock()
    url = live_server.url + "/webhooks/leap/"

    def deliver(share: list[dict[str, Any]]) -> None:
        with requests.Session() as session:
            session.headers[SECRET_HEADER] = settings.LEAP_WEBHOOK_SECRET
            for body in share:
                status = session.post(url, json=body, timeout=30).status_code
                with lock:
                    answers[status] += 1

    threads = [
        threading.Thread(target=deliver, args=(deliveries[i::THREADS],)) for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    distinct = DELIVERIES - DUPLICATES
    assert answers == {202: distinct, 200: DUPLICATES}  # stored, or "already had it"
    assert WebhookEvent.objects.count() == distinct
    assert set(WebhookEvent.objects.values_list("webhook_event_id", flat=True)) == {
        e["webhook_event_id"] for e in events
    }

    tasks = _queued_tasks(redis.Redis.from_url(settings.CELERY_BROKER_URL))
    resyncs = [e for e in events if e["payload"]["webhook_event_type"] in RESYNC_TYPES]
    assert len(tasks) == len(resyncs) == 2 * len(ref_ids)  # one per new resync event
    assert {name for name, _, _ in tasks} == {refresh_connections_task.name}
    assert Counter(args[0][0] for _, args, _ in tasks) == Counter(
        e["payload"]["partner_reference"] for e in resyncs
    )
    for _, args, kwargs in tasks:
        refresh_connections_task(*args, **kwargs)
    assert_connections_match_sandbox()
