"""Reliability fixtures: the real LeapClient over real HTTP to the sandbox (live_server), with
chaos switched on per test, time compressed (a recording sleep; slow answers held by an event
rather than raced against a timeout) and helpers that compare the local tables with what the
sandbox serves, field for field."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connections.sync import sync_connections
from leapdash.leap.client import LeapClient
from leapdash.leap.records import parse_enrollment, parse_meter
from leapdash.leap.sandbox import chaos as sandbox_chaos
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.state import sandbox_now
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import tracked_run
from meters.models import Enrollment, Meter
from meters.sync import sync_meters
from tests.connections.sandbox_checks import as_served
from tests.connections.sandbox_checks import (
    assert_connections_match_sandbox as assert_connections_match_sandbox,
)

ROOT = Path(__file__).resolve().parents[2]
OVERDUE = timedelta(hours=24)
LOCK_SECONDS = 3  # SYNC_LOCK_SECONDS for the worker tests: a dead run's lock frees quickly


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the clients asked for (Retry-After, backoff); nothing really sleeps."""
    return []


@pytest.fixture
def leap(live_server, settings, sleeps) -> Iterator[Callable[..., LeapClient]]:
    """Clients of the sandbox over real HTTP; the tasks' own client reads the same settings."""
    settings.LEAP_API_BASE_URL = live_server.url + "/sandbox/api"
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY
    made: list[LeapClient] = []

    def make(*, timeout: float = 5, max_retries: int = 5) -> LeapClient:
        client = LeapClient(
            settings.LEAP_API_BASE_URL,
            settings.LEAP_API_KEY,
            timeout=timeout,
            max_retries=max_retries,
            sleep=sleeps.append,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def chaos(db) -> Callable[..., sandbox.Chaos]:
    """Switch the sandbox's fault injection on for every key with the given knobs."""

    def switch_on(**knobs: Any) -> sandbox.Chaos:
        sandbox.Chaos.objects.filter(api_key="").delete()
        return sandbox.Chaos.objects.create(api_key="", **knobs)

    return switch_on


@pytest.fixture
def slow_answers(monkeypatch) -> Iterator[threading.Event]:
    """The sandbox's slow answers hang until this event is set (at the end of the test at the
    latest), instead of sleeping slow_seconds: a client's timeout then always expires first,
    however loaded the machine, and a test can hold a run between pages as long as it needs."""
    release = threading.Event()
    monkeypatch.setattr(sandbox_chaos, "wait_slow", lambda seconds: release.wait(120))
    yield release
    release.set()


def chaos_off() -> None:
    sandbox.Chaos.objects.update(enabled=False)


# --- runs, the way the tasks run them (tracked_run + the sync), with a test's client -----------


def connections_run(client: LeapClient, *, full: bool = False, page_size: int = 50) -> SyncRun:
    """One tracked connections run; returns its SyncRun whether it succeeded or failed."""
    try:
        with tracked_run(SyncRun.Kind.CONNECTIONS, full=full, trigger="test") as run:
            assert run is not None
            sync_connections(
                client=client,
                since=run.since,
                now=run.started_at,
                resume_token=run.resume_token or None,
                on_page=run.page_done,
                page_size=page_size,
            )
    except Exception:  # recorded on the SyncRun by tracked_run; the caller reads it there
        pass
    return SyncRun.objects.filter(kind=SyncRun.Kind.CONNECTIONS).latest("pk")


def meters_run(client: LeapClient, *, full: bool = False, page_size: int = 50) -> SyncRun:
    try:
        with tracked_run(SyncRun.Kind.METERS, full=full, trigger="test") as run:
            assert run is not None
            sync_meters(
                client=client,
                since=run.since,
                now=run.started_at,
                overdue_after=OVERDUE,
                full=full,
                resume_token=run.resume_token or None,
                on_page=run.page_done,
                page_size=page_size,
            )
    except Exception:  # recorded on the SyncRun by tracked_run
        pass
    return SyncRun.objects.filter(kind=SyncRun.Kind.METERS).latest("pk")


def until_success(run: Callable[[], SyncRun], limit: int = 12) -> list[SyncRun]:
    """Rerun after each failure, as the next beat would; every run made, in order."""
    runs = []
    for _ in range(limit):
        runs.append(run())
        if runs[-1].status == SyncRun.Status.SUCCEEDED:
            return runs
    raise AssertionError(f"no run succeeded in {limit}: {[r.error for r in runs]}")


# --- equality with the sandbox ------------------------------------------------------------------


def assert_meters_match_sandbox() -> int:
    """Every visible sandbox meter and enrollment is stored exactly once, field for field;
    returns how many came from an odd record."""
    visible = sandbox.Meter.objects.filter(created_at__lte=sandbox_now())
    ours = {m.meter_id: m for m in Meter.objects.all()}
    enrollments = {e.meter_id: e for e in Enrollment.objects.all()}
    theirs = {str(m.meter_id): m for m in visible}
    assert theirs, "the test needs visible sandbox meters"
    assert ours.keys() == theirs.keys() == enrollments.keys()
    odd = 0
    for meter_id, row in theirs.items():
        mine, enrolled = ours[meter_id], enrollments[meter_id]
        document = as_served(row.document, mine.raw)
        enrollment = as_served(row.enrollment, enrolled.raw)
        odd += (document is not row.document) + (enrollment is not row.enrollment)
        assert (mine.raw, enrolled.raw) == (document, enrollment), meter_id
        meter, status = parse_meter(document), parse_enrollment(enrollment)
        assert (
            mine.partner_reference,
            mine.meter_type,
            mine.utility_name,
            mine.is_archived,
            mine.created_at,
            enrolled.global_status,
            mine.global_enrollment_status,
        ) == (
            meter.partner_reference or "",
            meter.meter_type or "",
            meter.utility_name or "",
            meter.is_archived,
            meter.created_at,
            status.global_status,
            status.global_status,
        ), meter_id
    return odd


# --- a real Celery worker process -------------------------------------------------------------


class Worker:
    """`celery -A leapdash worker` in a subprocess, on the test database and broker."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker never logged {text!r}:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        for child in self.children():
            os.kill(child, signal.SIGKILL)


@pytest.fixture
def start_worker(live_server, settings, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start workers that share the test's database (pytest-django's test database, by name),
    Redis broker and cache, and reach the sandbox at live_server; stopped at the end."""
    db = settings.DATABASES["default"]
    settings.LEAP_API_BASE_URL = live_server.url + "/sandbox/api"
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY
    settings.SYNC_LOCK_SECONDS = LOCK_SECONDS
    env = {
        **os.environ,
        "ENV_FILE": "leapdash/profiles/test.env",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "LEAP_API_BASE_URL": settings.LEAP_API_BASE_URL,
        "LEAP_API_KEY": settings.LEAP_API_KEY,
        "LEAP_API_TIMEOUT": "10",
        "SYNC_LOCK_SECONDS": str(LOCK_SECONDS),
        "LOG_LEVEL": "INFO",
    }
    workers: list[Worker] = []

    def start(*, pool: str = "prefork") -> Worker:
        log = tmp_path / f"worker-{len(workers)}.log"
        command = [sys.executable, "-m", "celery", "-A", "leapdash", "worker", f"--pool={pool}"]
        command += ["--concurrency=1", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat", "--loglevel=INFO", f"--hostname=faults{len(workers)}@%h"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        worker = Worker(process, log)
        workers.append(worker)
        worker.wait_for("ready.")
        return worker

    yield start
    for worker in workers:
        worker.stop()
