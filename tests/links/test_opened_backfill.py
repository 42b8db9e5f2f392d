"""Migration 0005's backfill: "opened" comes from Leap's Connect data, never from the landing."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.db.migrations.loader import MigrationLoader

from connections.models import Connection
from links.models import Link

migration = importlib.import_module("links.migrations.0005_first_opened_from_leap")

STARTED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SYNCED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LANDING = datetime(2026, 2, 20, 8, 0, tzinfo=UTC)  # what the old landing wrote


def _connection(ref_id, *, started_at):
    return Connection.objects.create(
        ref_id=ref_id,
        leap_id=f"CAISO_{ref_id}",
        transmission_region="CAISO",
        started_at=started_at,
        last_interaction_at=SYNCED,
        status="PARTIAL",
        prohibited_resource_attestation="NOT_REQUIRED",
        demand_response_participation="NOT_REQUIRED",
        next_action="WAIT",
        fingerprint="x",
        first_synced_at=SYNCED,
        last_synced_at=SYNCED,
    )


@pytest.mark.parametrize(
    ("link_opened", "connection_started", "expected"),
    [
        # a connection: Leap's start, whatever the landing wrote before
        (None, STARTED, STARTED),
        (LANDING, STARTED, STARTED),
        (STARTED, STARTED, STARTED),
        # a connection without a start: when the sync first saw it
        (None, None, SYNCED),
        (LANDING, None, SYNCED),
        # no connection: the old value came from the forgeable landing
        (LANDING, "none", None),
        (None, "none", None),
    ],
)
def test_first_opened_at_follows_the_connection_of_the_same_ref_id(
    make_link, link_opened, connection_started, expected
):
    link = make_link(ref_id="cust-001", first_opened_at=link_opened)
    if connection_started != "none":
        _connection("cust-001", started_at=connection_started)
    migration.backfill_first_opened(Link, Connection)
    link.refresh_from_db()
    assert link.first_opened_at == expected


def test_the_backfill_is_set_based_counts_its_changes_and_converges(
    make_link, django_assert_num_queries
):
    for n in range(30):
        make_link(ref_id=f"seen-{n:02d}", first_opened_at=LANDING if n % 2 else None)
        _connection(f"seen-{n:02d}", started_at=STARTED + timedelta(minutes=n))
    for n in range(20):
        make_link(ref_id=f"landing-{n:02d}", first_opened_at=LANDING if n % 4 else None)
    make_link(ref_id="already-right", first_opened_at=STARTED)
    _connection("already-right", started_at=STARTED)
    _connection("no-link-here", started_at=STARTED)

    with django_assert_num_queries(2):
        assert migration.backfill_first_opened(Link, Connection) == (30, 15)
    assert migration.backfill_first_opened(Link, Connection) == (0, 0)
    opened = dict(Link.objects.values_list("ref_id", "first_opened_at"))
    assert opened["seen-07"] == STARTED + timedelta(minutes=7)
    assert {opened[f"landing-{n:02d}"] for n in range(20)} == {None}
    assert opened["already-right"] == STARTED


def test_the_migration_runs_after_the_connections_table_exists(db):
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    ancestors = graph.forwards_plan(("links", "0005_first_opened_from_leap"))
    assert ("connections", "0005_table_indexes") in ancestors
