"""1. Connect sync against the sandbox served over HTTP by a separate process.

- fetch-only: the client's pages and parsing, no database;
- full sync into an empty database: the real Celery task body (tracked_run + sync_connections);
- naive baseline: per-record update_or_create of the connection and its utility rows;
- re-sync with nothing changed: rows written counted by PostgreSQL (pg_stat_user_tables);
- peak RSS of the sync process at N and at N/10.

Fetch-only, full sync and re-sync run in turn, five rounds, and each figure is the median of
its five runs: load from elsewhere on the machine then hits both sides of a ratio.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from bench.common import (
    REPS,
    Row,
    Server,
    child_env,
    child_main,
    db_name,
    ensure_db,
    median,
    ratio_row,
    run_child,
    say,
    sql,
)

SEED = 10
# Seeded "now" fixed in the past: the data is identical on every machine and run, and no
# record sits in the quiet hour, so a re-sync minutes later sees exactly the same verdicts.
SEEDED_AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
API_KEY = "sandbox-test-key"
SANDBOX_SERVER_ENV = {
    "LEAP_SANDBOX": "1",
    "LEAP_SANDBOX_API_KEY": API_KEY,
    "LEAP_SANDBOX_REFRESH_SECONDS": "0",
    "LEAP_SANDBOX_METER_DELAY_HOURS": "0",
}
# Rounds of fetch-only, full sync and re-sync: medians of 5 of each
SYNC_REPS = 5
SYNCED_TABLES = ("connections_connection", "connections_utilityconnection")


def sandbox_db(connections: int) -> str:
    database = db_name(f"sandbox_{connections}")

    def build(name: str) -> None:
        started = time.monotonic()
        run_child("sync", "seed", {"connections": connections}, child_env(name))
        say(f"seeded {connections:,} sandbox connections in {time.monotonic() - started:.0f}s")

    ensure_db(database, {"kind": "sandbox", "connections": connections, "seed": SEED}, build)
    return database


def target_db() -> str:
    database = db_name("sync")
    ensure_db(database, {"kind": "sync-target"}, lambda name: None)
    return database


@contextmanager
def sandbox_server(connections: int) -> Iterator[Server]:
    with Server(sandbox_db(connections), **SANDBOX_SERVER_ENV) as server:
        say(f"sandbox with {connections:,} connections serving at {server.url}")
        yield server


def _empty(database: str) -> None:
    sql(
        database,
        "TRUNCATE connections_connection, connections_utilityconnection, runs_syncrun "
        "RESTART IDENTITY CASCADE",
    )


def _writes(database: str) -> int:
    """Rows inserted, updated or deleted so far in the synced tables (PostgreSQL's counters)."""
    names = ", ".join(f"'{t}'" for t in SYNCED_TABLES)
    rows = sql(
        database,
        "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables "
        f"WHERE relname IN ({names})",
    )
    return int(rows[0][0])


def _sync_env(server: Server, database: str) -> dict[str, str]:
    return child_env(database, LEAP_API_BASE_URL=server.url + "/sandbox/api", LEAP_API_KEY=API_KEY)


def measure(server: Server, connections: int, naive_subset: int) -> list[Row]:
    target = target_db()
    env = _sync_env(server, target)
    section = "sync"

    # Fetch-only, full sync and re-sync take turns within each round, so a burst of load
    # from elsewhere on the machine slows both sides of a ratio rather than one of them.
    fetch, full, full_rss, resync, written = [], [], [], [], []
    for rep in range(SYNC_REPS):
        fetch.append(_fetch_once(env, connections))
        full_s, rss = _full_once(target, env, connections)
        full.append(full_s)
        full_rss.append(rss)
        resync_s, rows_written = _resync_once(target, env)
        resync.append(resync_s)
        written.append(rows_written)
        say(
            f"round {rep + 1}/{SYNC_REPS}: fetch-only {fetch[-1]:.2f}s, full sync {full_s:.2f}s "
            f"(peak RSS {rss:.0f} MB), re-sync {resync_s:.2f}s ({rows_written} rows written)"
        )

    naive = []
    for rep in range(REPS):
        _empty(target)
        answer = run_child("sync", "naive", {"limit": naive_subset}, env)
        naive.append(answer.data["seconds"] / answer.data["records"])
        say(
            f"naive {rep + 1}/{REPS}: {answer.data['records']:,} records, "
            f"{answer.data['seconds']:.1f}s"
        )

    fetch_s, full_s, resync_s = median(fetch), median(full), median(resync)
    per_record_full = full_s / connections
    naive_rate = 1 / median(naive)
    full_rate = 1 / per_record_full
    rows = [
        ratio_row(section, f"sync: full sync into an empty DB, N={connections:,}", full_s,
                  fetch_s, "s", "fetch-only", 1.5, samples=full),
        ratio_row(section, "sync: leapdash vs naive update_or_create, records/s", full_rate,
                  naive_rate, "rec/s", "naive", 10, at_least=True,
                  note=f"naive on the first {naive_subset:,} records, per-record rates",
                  samples=naive),
        ratio_row(section, "sync: re-sync, nothing changed", resync_s, fetch_s, "s", "fetch-only",
                  1.2, samples=resync),
        Row(section, "sync: rows written by the re-sync (max of runs)", max(written), "rows",
            target="= 0", passed=max(written) == 0, samples=[float(w) for w in written]),
        Row(section, "sync: fetch-only (client pages + parse)", fetch_s, "s", samples=fetch,
            note=f"{connections / fetch_s:,.0f} records/s"),
    ]  # fmt: skip
    # The database share alone: what the naive script and the sync add on top of fetching.
    naive_db = median(naive) - fetch_s / connections
    full_db = per_record_full - fetch_s / connections
    if naive_db > 0 and full_db > 0:
        rows.append(
            Row(section, "sync: write share only, naive vs leapdash, µs/record", full_db * 1e6,
                "µs", naive_db * 1e6, "naive", naive_db / full_db, note="fetch time subtracted")
        )  # fmt: skip
    return rows + [_rss_row(section, full_rss)]


def _fetch_once(env: dict[str, str], connections: int) -> float:
    answer = run_child("sync", "fetch", {}, env)
    assert answer.data["records"] == connections, answer.data
    return float(answer.data["seconds"])


def _full_once(target: str, env: dict[str, str], connections: int) -> tuple[float, float]:
    _empty(target)
    answer = run_child("sync", "sync", {}, env)
    counts = answer.data["counts"]
    assert counts["created"] == connections, counts
    assert counts["errors"] == 0, counts
    return float(answer.data["seconds"]), answer.peak_rss_mb


def _resync_once(target: str, env: dict[str, str]) -> tuple[float, int]:
    before = _writes(target)
    answer = run_child("sync", "sync", {}, env)
    time.sleep(1)  # the server's statistics of the exited backend
    return float(answer.data["seconds"]), _writes(target) - before


_small_rss: list[float] = []


def measure_small(server: Server, connections: int) -> None:
    """Full syncs at the small N, for the memory comparison only."""
    target = target_db()
    env = _sync_env(server, target)
    for rep in range(REPS):
        _empty(target)
        answer = run_child("sync", "sync", {}, env)
        assert answer.data["counts"]["created"] == connections, answer.data
        _small_rss.append(answer.peak_rss_mb)
        say(f"full sync at {connections:,} {rep + 1}/{REPS}: peak RSS {answer.peak_rss_mb:.0f} MB")


def _rss_row(section: str, big: list[float]) -> Row:
    return ratio_row(section, "sync: peak RSS of the sync process, N vs N/10", median(big),
                     median(_small_rss), "MB", "N/10", 1.3, samples=big)  # fmt: skip


# --- child tasks ----------------------------------------------------------------------------


def _seed(args: dict[str, Any]) -> dict[str, Any]:
    from leapdash.leap.sandbox import seeding

    made = seeding.seed(connections=args["connections"], seed=SEED, now=SEEDED_AT, prefix="bench")
    return {"connections": made.connections, "meters": made.meters}


def _fetch(args: dict[str, Any]) -> dict[str, Any]:
    from leapdash.leap.client import LeapClient

    records = errors = 0
    with LeapClient.from_settings() as client:
        started = time.perf_counter()
        for page in client.iter_connections(page_size=500):
            records += len(page.records)
            errors += len(page.errors)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "records": records, "errors": errors}


def _sync(args: dict[str, Any]) -> dict[str, Any]:
    from connections.tasks import sync_connections_task
    from leapdash.runs.models import SyncRun

    started = time.perf_counter()
    sync_connections_task(full=True, trigger="bench")
    seconds = time.perf_counter() - started
    run = SyncRun.objects.filter(kind=SyncRun.Kind.CONNECTIONS).order_by("-pk").first()
    assert run is not None
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    fields = ("fetched", "created", "updated", "unchanged", "errors", "retries", "pages_done")
    return {"seconds": seconds, "counts": {f: getattr(run, f) for f in fields}}


def _naive(args: dict[str, Any]) -> dict[str, Any]:
    """What a quick script would do: for each record, update_or_create the connection, then
    update_or_create each utility row. Same client and classify() as leapdash, no link lookup
    (which would only make it slower)."""
    from django.utils import timezone

    from connections.models import Connection, UtilityConnection
    from connections.status import classify
    from leapdash.leap.client import LeapClient

    limit = args["limit"]
    now = timezone.now()
    records = 0
    with LeapClient.from_settings() as client:
        started = time.perf_counter()
        for page in client.iter_connections(page_size=500):
            for r in page.records:
                action = classify(r, now)
                conn, _ = Connection.objects.update_or_create(
                    ref_id=r.ref_id,
                    defaults={
                        "leap_id": r.id,
                        "transmission_region": r.transmission_region,
                        "started_at": r.started_at,
                        "last_interaction_at": r.last_interaction_at,
                        "status": r.status,
                        "prohibited_resource_attestation": (
                            r.agreements.prohibited_resource_attestation
                        ),
                        "demand_response_participation": r.agreements.demand_response_participation,
                        "required_missing": any(
                            u.utility_is_required and u.status != "CONNECTED" for u in r.utilities
                        ),
                        "unknown_values": list(r.unknown_values),
                        "next_action": action.kind,
                        "next_action_reason": action.reason,
                        "message_key": action.message_key,
                        "message_subjects": list(action.subjects),
                        "actionable_at": action.actionable_at,
                        "raw": dict(r.raw),
                        "first_synced_at": now,
                        "last_synced_at": now,
                    },
                )
                for position, u in enumerate(r.utilities):
                    UtilityConnection.objects.update_or_create(
                        connection=conn,
                        position=position,
                        defaults={
                            "authorization_uuid": u.authorization_uuid,
                            "utility_name": u.utility_name,
                            "utility_id": u.utility_id,
                            "utility_is_required": u.utility_is_required,
                            "status": u.status,
                            "error_code": u.error_code or "",
                            "started_at": u.started_at,
                            "last_interaction_at": u.last_interaction_at,
                        },
                    )
                records += 1
                if records >= limit:
                    break
            if records >= limit:
                break
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "records": records}


if __name__ == "__main__":
    child_main({"seed": _seed, "fetch": _fetch, "sync": _sync, "naive": _naive})
