"""Cadence experiments: the assignment rule, the arms' bounds, the z-test, and variants stored
at sync time and followed by the cadence, the table, the detail page, the export and the hook."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from django.utils import timezone

from connections.cadence import LATER_TOUCHES, Policy
from connections.due import due_for, next_touch_of, policy_for
from connections.experiments import Arm, assign, bucket, compare, median, problems
from connections.models import Connection, Experiment, Touchpoint
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Flow, Link

from .builders import conn, page_of

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
H = timedelta(hours=1)
HALF = [Arm("a", 50), Arm("b", 50)]


# --- the rules --------------------------------------------------------------------------------


@pytest.mark.parametrize("ref_id", ["ref-1", "Ana.Lopez@x", "x" * 255, "Ünïcode"])
def test_a_customer_gets_the_same_variant_every_time(ref_id):
    assert {assign(ref_id, "salt", HALF) for _ in range(5)} == {assign(ref_id, "salt", HALF)}
    assert 0 <= bucket(ref_id, "salt") < 10_000


def test_two_experiments_split_customers_independently():
    refs = [f"c{i}" for i in range(4000)]
    first = [assign(r, "one", HALF) for r in refs]
    second = [assign(r, "two", HALF) for r in refs]
    same = sum(a == b for a, b in zip(first, second, strict=True))
    assert 1800 <= same <= 2200  # about half agree, as with two coin tosses


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ([50, 50], [0.5, 0.5]),
        ([25, 25, 50], [0.25, 0.25, 0.5]),
        ([45, 45, 10], [0.45, 0.45, 0.1]),
    ],
)
def test_shares_split_customers_in_proportion(shares, expected):
    arms = [Arm(str(i), s) for i, s in enumerate(shares)]
    got = [assign(f"r{i}", "s", arms) for i in range(10_000)]
    for i, want in enumerate(expected):
        assert abs(got.count(str(i)) / len(got) - want) < 0.02


GOOD = Arm("fast", 50, first_delay_minutes=5, second_touch_hours=20, third_touch_hours=48)


@pytest.mark.parametrize(
    ("arms", "problem"),
    [
        ([GOOD, Arm("slow", 50)], None),
        ([GOOD, Arm("slow", 40), Arm("Holdout", 10, holdout=True)], None),
        ([Arm("only", 100)], "2 to 4 variants"),
        ([Arm(str(i), 20) for i in range(5)], "2 to 4 variants"),
        ([GOOD, Arm("slow", 40)], "add up to 100%"),
        ([GOOD, Arm("slow", 50, first_delay_minutes=4)], "5 to 60 minutes"),
        ([GOOD, Arm("slow", 50, first_delay_minutes=61)], "5 to 60 minutes"),
        ([GOOD, Arm("slow", 50, second_touch_hours=12)], "touch 2 comes at least 20 h"),
        ([GOOD, Arm("slow", 50, second_touch_hours=40, third_touch_hours=50)], "touch 3 comes"),
        ([GOOD, Arm("slow", 50, third_touch_hours=121)], "at most 120 h"),
        ([GOOD, Arm("slow", 50), Arm("h", 0, holdout=True)], "share above 0%"),
    ],
)
def test_an_experiment_runs_only_within_the_cadence_rules(arms, problem):
    found = problems(arms, min_gap_hours=20)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    ("a", "b", "p", "words"),
    [
        ((10, 29), (20, 40), None, "not enough data yet"),
        ((30, 100), (30, 100), 1.0, "no clear difference yet"),
        ((30, 100), (45, 100), 0.0285, "completes better"),
        ((45, 100), (30, 100), 0.0285, "completes worse"),
        ((0, 50), (0, 50), 1.0, "no difference"),
    ],
)
def test_the_z_test_against_the_first_variant(a, b, p, words):
    result = compare(*a, *b)
    assert words in result.words
    if p is None:
        assert result.p_value is None
    else:
        assert result.p_value == pytest.approx(p, abs=5e-4)


def test_the_median_of_even_and_odd_counts():
    assert median([]) is None
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5


# --- stored at sync time -----------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def _experiment(flow, *arms, started_at=None, salt="split-test"):
    experiment = Experiment.objects.create(
        flow=flow, name="delay test", salt=salt, started_at=started_at or timezone.now() - H
    )
    experiment.add_variants(list(arms))
    return experiment


def _links(flow, refs):
    Link.objects.bulk_create(
        Link(org_name="acme", ref_id=r, flow=flow, url=f"https://l.example/{r}") for r in refs
    )


def _sync(refs, **kw):
    records = [conn("NOT_STARTED", ref_id=r, **kw) for r in refs]
    for start in range(0, len(records), 500):
        write_page(page_of(records[start : start + 500]), now=timezone.now(), counts=SyncCounts())


@pytest.fixture
def flow():
    return Flow.objects.create(org_name="acme", title="home")


def test_two_variants_split_2000_new_customers_evenly_and_for_good(flow):
    _experiment(flow, Arm("A", 50), Arm("B", 50))
    refs = [f"cust-{i:04d}" for i in range(2000)]
    _links(flow, refs)
    _sync(refs)
    split = {name: Connection.objects.filter(variant__name=name).count() for name in ("A", "B")}
    assert sum(split.values()) == 2000
    assert all(950 <= n <= 1050 for n in split.values()), split  # 50% ± 5%: 976 / 1,024
    before = dict(Connection.objects.values_list("ref_id", "variant_id"))
    _sync(refs, last=timezone.now() - 5 * H)  # a re-sync with new data
    assert dict(Connection.objects.values_list("ref_id", "variant_id")) == before


def test_ending_an_experiment_moves_nobody_and_assigns_no_one_new(flow):
    experiment = _experiment(flow, Arm("A", 50), Arm("B", 50))
    _links(flow, ["early", "late"])
    _sync(["early"])
    kept = Connection.objects.get(ref_id="early").variant
    assert kept is not None
    experiment.ended_at = timezone.now()
    experiment.save()
    _sync(["early", "late"], last=timezone.now() - 4 * H)
    assert Connection.objects.get(ref_id="early").variant == kept
    assert Connection.objects.get(ref_id="late").variant is None


def test_customers_from_before_the_experiment_keep_the_flow_cadence(flow):
    _links(flow, ["old", "new"])
    _sync(["old"])
    _experiment(flow, Arm("A", 50), Arm("B", 50), started_at=timezone.now())
    _sync(["old", "new"], last=timezone.now() - 4 * H)
    assert Connection.objects.get(ref_id="old").variant is None
    assert Connection.objects.get(ref_id="new").variant is not None


def test_a_customer_of_another_flow_is_not_assigned(flow):
    _experiment(flow, Arm("A", 50), Arm("B", 50))
    other = Flow.objects.create(org_name="acme", title="other")
    _links(other, ["elsewhere"])
    _sync(["elsewhere"])
    assert Connection.objects.get(ref_id="elsewhere").variant is None


# --- followed by the cadence -------------------------------------------------------------------


def _one(flow, arm):
    _experiment(flow, arm, Arm("other", 0))
    _links(flow, ["x"])
    abandoned = timezone.now() - 30 * H
    _sync(["x"], last=abandoned)
    c = Connection.objects.select_related("link", "link__flow", "variant").get(ref_id="x")
    assert c.variant is not None
    assert c.variant.name == arm.key
    return c, abandoned


def test_a_variant_brings_its_own_delay_and_spacing(flow):
    c, abandoned = _one(flow, Arm("late", 100, first_delay_minutes=40, second_touch_hours=48))
    policy = policy_for(c)
    assert policy.first_delay == timedelta(minutes=40)
    assert policy.later == (timedelta(hours=48), timedelta(hours=72))
    Touchpoint.objects.create(connection=c, touch=1, at=abandoned + H, abandoned_at=abandoned)
    found = next_touch_of(c, timezone.now())
    assert found is not None
    touch, _ = found
    assert touch.touch == 2
    assert touch.due_from is not None
    assert touch.due_from >= abandoned + 48 * H


def test_the_holdout_gets_no_automated_touch(flow):
    c, _ = _one(flow, Arm("Holdout", 100, holdout=True))
    assert next_touch_of(c, timezone.now()) is None
    assert due_for(c, timezone.now()) is None


def test_without_an_experiment_the_cadence_is_unchanged():
    assert Policy().later == LATER_TOUCHES


def test_the_hook_payload_names_the_variant_within_its_schema(flow):
    c, _ = _one(flow, Arm("B", 100))
    due = due_for(c, timezone.now().replace(hour=20))  # noon in Los Angeles
    assert due is not None
    body = {**due.as_dict(), "sent_at": timezone.now().isoformat()}
    assert body["variant"] == "B"
    schema = json.loads((CONTRACTS / "hook.schema.json").read_text())
    jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())


# --- shown ---------------------------------------------------------------------------------


def test_the_table_detail_and_export_show_the_variant(pm_client, flow):
    c, _ = _one(flow, Arm("Fast", 100))
    table = pm_client.get("/connections/").content.decode()
    assert "<span data-variant>Fast</span>" in table
    detail = pm_client.get(f"/connections/{c.pk}/").content.decode()
    assert "<strong data-variant>Fast</strong>" in detail
    rows = pm_client.get("/connections/export.csv").getvalue().decode().splitlines()
    assert rows[0].endswith(",variant")
    assert rows[1].endswith(",Fast")
