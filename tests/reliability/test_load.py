"""A short, bounded load test of the connections table on 127.0.0.1 (live_server).

Concurrent clients, each a requests.Session holding a program manager's session cookie,
request the connections list: filtered, paged, sorted and as htmx partials. Every answer must
be a 200; the latency percentiles are printed. The suite runs a small variant; `make load`
runs the big one (10^5 rows, 20 clients, 60 s) through the same test:

    LOAD_ROWS=100000 LOAD_CLIENTS=20 LOAD_SECONDS=60 pytest -s tests/reliability/test_load.py
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connections.choices import Action, ConnectionStatus
from connections.models import Connection, UtilityConnection
from leapdash.accounts.roles import PROGRAM_MANAGERS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = int(os.environ.get("LOAD_ROWS", 10_000))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", 20))
SECONDS = float(os.environ.get("LOAD_SECONDS", 10))
MAX_REQUESTS_PER_CLIENT = 5_000  # a hard bound whatever the speed
BATCH = 5_000


def _fill(rows: int) -> None:
    now = timezone.now()
    statuses = list(ConnectionStatus.values)
    actions = list(Action.values)
    for start in range(0, rows, BATCH):
        made = Connection.objects.bulk_create(
            Connection(
                ref_id=f"load-{n:07d}",
                leap_id=f"CAISO_load_{n}",
                transmission_region="CAISO" if n % 5 else "NYISO",
                started_at=now - timedelta(hours=n % 700 + 1),
                last_interaction_at=now - timedelta(minutes=n % 40_000),
                status=statuses[n % len(statuses)],
                prohibited_resource_attestation="NOT_REQUIRED",
                demand_response_participation="NOT_REQUIRED",
                required_missing=n % 7 == 0,
                next_action=actions[n % len(actions)],
                fingerprint=f"{n:064d}",
                raw={"ref_id": f"load-{n:07d}"},
                first_synced_at=now,
                last_synced_at=now,
            )
            for n in range(start, min(start + BATCH, rows))
        )
        UtilityConnection.objects.bulk_create(
            UtilityConnection(
                connection_id=c.pk,
                utility_name="PG&E: Pacific Gas & Electric",
                utility_id="pge",
                utility_is_required=True,
                status="CONNECTED" if c.pk % 3 else "NOT_CONNECTED",
            )
            for c in made
        )


def _session_cookie() -> str:
    user: Any = UserFactory(username="load-pm")
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGERS))
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_connections_table_under_concurrent_clients_answers_every_request(live_server):
    assert live_server.url.startswith("http://localhost:") or "127.0.0.1" in live_server.url
    _fill(ROWS)
    cookie = _session_cookie()
    base = live_server.url + reverse("connections:list")
    last_page = ROWS // 50
    queries = [
        "",
        "?status=COMPLETED",
        "?status=PARTIAL&region=NYISO",
        "?next_action=RESEND_LINK",
        "?required_missing=yes",
        "?q=load-00012",
        "?page={page}",
        "?status=IN_PROGRESS&page=2",
    ]
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client(n: int) -> None:
        rng = random.Random(n)
        mine: list[float] = []
        with requests.Session() as session:
            session.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
            for i in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() > deadline:
                    break
                url = base + rng.choice(queries).format(page=rng.randint(1, last_page))
                headers = {"HX-Request": "true"} if i % 2 else {}
                started = time.perf_counter()
                try:
                    response = session.get(url, headers=headers, timeout=30)
                    ok = response.status_code == 200
                    problem = f"{response.status_code} {url}"
                except requests.RequestException as exc:
                    ok, problem = False, f"{type(exc).__name__} {url}"
                mine.append(time.perf_counter() - started)
                if not ok:
                    with lock:
                        failures.append(problem)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 120)
    elapsed = time.monotonic() - started

    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"\nload: {ROWS} rows, {CLIENTS} clients, {elapsed:.1f}s, {len(latencies)} requests "
        f"({len(latencies) / elapsed:.1f}/s), errors {len(failures)}, "
        f"p50 {cuts[49] * 1000:.0f} ms, p95 {cuts[94] * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    assert failures == [], failures[:5]
    assert len(latencies) >= CLIENTS  # every client got answers
