"""The funnel's Variants section: each arm's abandoned, touched and completed customers, the
z-test against the first variant in words, the CSV and the chart's lines."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from connections.experiments import Arm, Customer, summarise
from connections.models import Connection, Touchpoint
from links.models import Flow

from .test_experiments import _experiment, _links, _sync

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
T0 = timezone.now().replace(microsecond=0) - timedelta(days=20)


def test_a_customer_who_completed_in_one_go_never_abandoned():
    quick = Customer(T0, T0 + timedelta(minutes=20), None)
    came_back = Customer(T0, T0 + 30 * H, None)
    touched = Customer(T0, T0 + 30 * H, T0 + 2 * H)
    late = Customer(T0, T0 + timedelta(days=10), T0 + 2 * H)
    left = Customer(T0, None, T0 + 2 * H)
    result = summarise([quick, came_back, touched, late, left])
    assert (result.abandoned, result.touched, result.completed) == (4, 3, 2)
    assert result.median_hours == 133.0  # between 28 h and 238 h after the first touch
    assert result.by_day[0] == 0
    assert result.by_day[2] == 0.5  # came back, and touched: both by day 2
    assert result.by_day[9] == 0.5
    assert result.by_day[10] == 0.75  # late, on day 10 (outside the 7 days of "completed")
    assert summarise([]).rate is None


def _arm(flow, name, n, completed):
    """n customers who left; `completed` of them completed a day after their first touch."""
    refs = [f"{name}-{i}" for i in range(n)]
    _links(flow, refs)
    _sync(refs)
    rows = Connection.objects.filter(ref_id__in=refs).order_by("ref_id")
    for i, c in enumerate(rows):
        Touchpoint.objects.create(connection=c, touch=1, at=T0 + 2 * H, abandoned_at=T0)
        done = i < completed
        Connection.objects.filter(pk=c.pk).update(
            started_at=T0,
            last_interaction_at=T0 + 26 * H if done else T0,
            status="COMPLETED" if done else "NOT_STARTED",
        )


@pytest.fixture
def experiment():
    flow = Flow.objects.create(org_name="acme", title="home")
    experiment = _experiment(flow, Arm("Slow", 50), Arm("Fast", 50))
    slow, fast = experiment.variants.all()
    _arm(flow, "s", 40, 10)
    _arm(flow, "f", 40, 25)
    Connection.objects.filter(ref_id__startswith="s-").update(variant=slow)
    Connection.objects.filter(ref_id__startswith="f-").update(variant=fast)
    return experiment


def _row(page, name):
    start = page.index(f'<tr data-variant="{name}">')
    return page[start : page.index("</tr>", start)]


def test_the_funnel_shows_each_variant_and_the_winner_in_words(pm_client, experiment):
    page = pm_client.get("/connections/funnel/").content.decode()
    assert '<section class="variants" id="variants">' in page
    slow, fast = _row(page, "Slow"), _row(page, "Fast")
    assert "the baseline" in slow
    assert ">40<" in slow
    assert "10 · 25.0%" in slow
    assert "25 · 62.5%" in fast
    assert "Completes better, unlikely to be chance" in fast
    assert "p = 0.001" in fast
    assert "24.0 h" in fast
    assert page.count('class="variant-line variant-') == 2


def test_under_30_customers_an_arm_says_not_enough_data_yet(pm_client):
    flow = Flow.objects.create(org_name="acme", title="small")
    experiment = _experiment(flow, Arm("A", 50), Arm("B", 50))
    a, b = experiment.variants.all()
    _arm(flow, "a", 29, 5)
    _arm(flow, "b", 40, 30)
    Connection.objects.filter(ref_id__startswith="a-").update(variant=a)
    Connection.objects.filter(ref_id__startswith="b-").update(variant=b)
    page = pm_client.get("/connections/funnel/").content.decode()
    assert "Not enough data yet" in _row(page, "B")


def test_the_variants_csv_lists_each_arm(pm_client, experiment):
    response = pm_client.get("/connections/funnel/variants.csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [(r["variant"], r["abandoned"], r["completed_7d"]) for r in rows] == [
        ("Slow", "40", "10"),
        ("Fast", "40", "25"),
    ]
    assert rows[0]["verdict"] == "baseline"
    assert float(rows[1]["p_value_vs_first"]) < 0.01


def test_the_section_keeps_to_the_funnel_filters(pm_client, experiment):
    page = pm_client.get("/connections/funnel/?created_from=2100-01-01").content.decode()
    assert 'id="variants"' not in page
