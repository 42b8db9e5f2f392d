"""`sandbox seed/reset/advance/demo/deliver-webhooks` and the seed() API."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leapdash.leap.sandbox.models import Connection, Flow, Meter
from leapdash.leap.sandbox.scenarios import SCENARIOS
from leapdash.leap.sandbox.seeding import AlreadySeeded, reset, seed
from leapdash.leap.sandbox.state import sandbox_now


def _snapshot():
    connections = list(Connection.objects.order_by("ref_id").values_list("ref_id", "document"))
    meters = sorted(Meter.objects.values_list("meter_id", "partner_reference"))
    return connections, meters


def test_the_same_seed_gives_the_same_data(db):
    now = sandbox_now()
    seed(connections=300, seed=9, now=now)
    first = _snapshot()
    reset()
    seed(connections=300, seed=9, now=now)
    assert _snapshot() == first
    reset()
    seed(connections=300, seed=10, now=now)
    assert _snapshot() != first


def test_the_mix_is_mostly_completed_with_a_tail_of_every_outcome(db):
    seed(connections=3000, seed=1)
    statuses = Counter(Connection.objects.values_list("status", flat=True))
    assert statuses["COMPLETED"] > 3000 * 0.6
    assert {"NOT_STARTED", "PARTIAL", "ERROR"} <= set(statuses)
    scenarios = set(Connection.objects.values_list("scenario", flat=True))
    assert scenarios == set(SCENARIOS)
    for row in Connection.objects.all()[:500]:
        assert row.status == SCENARIOS[row.scenario].connection_status


@pytest.mark.parametrize("wanted", [0, 10, 700])
def test_meters_total_is_what_was_asked(db, wanted):
    made = seed(connections=200, meters=wanted, seed=4)
    assert made.meters == Meter.objects.count() == wanted


def test_seeding_twice_with_the_same_seed_is_refused(db):
    seed(connections=5, seed=2)
    with pytest.raises(AlreadySeeded):
        seed(connections=5, seed=2)
    with pytest.raises(CommandError):
        call_command("sandbox", "seed", "--connections", "5", "--seed", "2")


def test_the_command_seeds_advances_and_resets(db):
    out = StringIO()
    call_command(
        "sandbox", "seed", "--connections", "50", "--meters", "20", "--seed", "3", stdout=out
    )
    assert "Seeded 50 connections and 20 meters" in out.getvalue()
    before = sandbox_now()
    call_command("sandbox", "advance", "--hours", "30", stdout=StringIO())
    assert (sandbox_now() - before).total_seconds() >= 30 * 3600
    call_command("sandbox", "reset", stdout=StringIO())
    assert not Connection.objects.exists()
    assert not Meter.objects.exists()
    assert abs((sandbox_now() - before).total_seconds()) < 60


def test_demo_is_idempotent(db):
    call_command("sandbox", "demo", stdout=StringIO())
    counts = (Flow.objects.count(), Connection.objects.count(), Meter.objects.count())
    call_command("sandbox", "demo", stdout=StringIO())
    assert (Flow.objects.count(), Connection.objects.count(), Meter.objects.count()) == counts
    assert counts[0] == 3
    assert 250 <= counts[1] <= 400
    flow = Flow.objects.get(org_name="demo-energy", title="commercial-solar")
    assert flow.default_requested == ["pge", "sce"]
    assert set(Flow.objects.values_list("region", flat=True)) == {"CAISO", "NYISO"}


def test_deliver_webhooks_command_reports(db):
    out = StringIO()
    call_command("sandbox", "deliver-webhooks", stdout=out)
    call_command("sandbox", "deliver-webhooks", "--until-idle", stdout=out)
    assert out.getvalue().count("0 delivered") == 2
