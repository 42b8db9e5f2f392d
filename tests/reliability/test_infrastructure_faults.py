"""Redis and PostgreSQL failing under a running sync.

Redis is a private redis-server started by the test on a free port (the machine's shared one
is never touched): stopped between two pages, the run fails with a clear error; restarted,
the next run resumes and converges. PostgreSQL: the sync's own backend is terminated
(pg_terminate_backend from another connection) while a page is being written; that page's
transaction rolls back whole, and the rerun converges.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
import redis
from django.db import connection as db

from connections.models import Connection, UtilityConnection
from connections.sync import sync_connections
from leapdash.leap.sandbox.seeding import seed
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts, tracked_run

from .conftest import assert_connections_match_sandbox, connections_run

pytestmark = pytest.mark.django_db(transaction=True)

KIND = SyncRun.Kind.CONNECTIONS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for this test"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as abrupt as a crash
            self.process.wait(10)


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:
    server = PrivateRedis(_free_port())
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "faults",
        }
    }
    yield server
    server.stop()


def _run_with(client, on_page: Callable[[SyncCounts], None]) -> None:
    with tracked_run(KIND, full=True, trigger="test") as run:
        assert run is not None

        def page_done(counts: SyncCounts, token: str | None) -> None:
            run.page_done(counts, token)
            on_page(counts)

        sync_connections(
            client=client, since=run.since, now=run.started_at, on_page=page_done, page_size=100
        )


def test_redis_dying_between_pages_fails_the_run_cleanly_and_after_a_restart_it_resumes(
    leap, private_redis
):
    seed(connections=300, meters=0, seed=41)

    def crash_after_first_page(counts: SyncCounts) -> None:
        if counts.pages == 1:
            private_redis.stop()

    with pytest.raises(redis.ConnectionError):
        _run_with(leap(), crash_after_first_page)
    failed = SyncRun.objects.get()
    assert failed.status == SyncRun.Status.FAILED
    assert failed.error.startswith("ConnectionError: Error 111 connecting to 127.0.0.1")
    # page 2 was committed, but its progress could not be recorded: the rerun repeats it
    assert (failed.pages_done, Connection.objects.count()) == (1, 200)

    # while Redis is still down, a run cannot even take its lock: recorded as failed too
    with pytest.raises(redis.ConnectionError):
        connections_run_raising(leap())
    down = SyncRun.objects.latest("pk")
    assert down.status == SyncRun.Status.FAILED
    assert "Could not take the sync lock, the cache is unreachable" in down.error

    private_redis.start()  # restarted empty, as a Redis without persistence comes back
    rerun = connections_run(leap(), full=True, page_size=100)
    assert (rerun.status, rerun.resumed_from_id) == (SyncRun.Status.SUCCEEDED, failed.pk)
    assert (rerun.created, rerun.unchanged) == (100, 100)
    assert_connections_match_sandbox()


def connections_run_raising(client) -> None:
    with tracked_run(KIND, full=True, trigger="test") as run:
        assert run is not None
        sync_connections(client=client, since=run.since, now=run.started_at)


def test_postgres_dropping_the_connection_mid_page_rolls_the_page_back(leap, settings):
    seed(connections=300, meters=0, seed=42)
    utility_inserts: list[int] = []
    killed: list[int] = []
    params = settings.DATABASES["default"]

    def terminate_on_second_page(execute, sql, params_, many, context):
        # bulk_create's INSERT, or COPY on PostgreSQL (leapdash.pgcopy)
        if sql.startswith(
            ('INSERT INTO "connections_utilityconnection"', 'COPY "connections_utilityconnection"')
        ):
            utility_inserts.append(1)
            if len(utility_inserts) == 2:  # page 2: its connections are upserted, uncommitted
                pid = context["connection"].connection.info.backend_pid
                with psycopg.connect(
                    host=params["HOST"],
                    port=params["PORT"],
                    user=params["USER"],
                    dbname=params["NAME"],
                    autocommit=True,
                ) as other:
                    other.execute("SELECT pg_terminate_backend(%s)", [pid])
                    while other.execute(
                        "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]
                    ).fetchone():
                        time.sleep(0.02)
                killed.append(pid)
        return execute(sql, params_, many, context)

    with db.execute_wrapper(terminate_on_second_page):
        failed = connections_run(leap(), full=True, page_size=100)
    assert killed
    assert failed.status == SyncRun.Status.FAILED
    assert failed.error.startswith("OperationalError"), failed.error
    assert failed.pages_done == 1
    # page 1 whole, nothing of page 2: no connection without its utility rows
    stored = list(Connection.objects.order_by("ref_id"))
    assert len(stored) == 100
    assert UtilityConnection.objects.count() == sum(
        len(c.raw["utility_connections"]) for c in stored
    )

    rerun = connections_run(leap(), full=True, page_size=100)
    assert (rerun.status, rerun.resumed_from_id, rerun.created) == ("succeeded", failed.pk, 200)
    assert_connections_match_sandbox()
