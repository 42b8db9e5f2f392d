"""The cadence experiments page: start an experiment on a flow, refuse one outside the cadence
rules, end it."""

from __future__ import annotations

import pytest

from connections.models import Experiment
from links.models import Flow

pytestmark = pytest.mark.django_db


def _post(client, flow, **extra):
    data = {
        "flow": flow.pk,
        "name": "Delay test",
        "holdout_share": "10",
        "variants-TOTAL_FORMS": "4",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "4",
    }
    rows = [("Fast", 45, 5, 20, 48), ("Slow", 45, 30, 24, 72)]
    for i, (name, share, first, second, third) in enumerate(rows):
        data |= {
            f"variants-{i}-name": name,
            f"variants-{i}-share": str(share),
            f"variants-{i}-first_touch_delay_minutes": str(first),
            f"variants-{i}-second_touch_hours": str(second),
            f"variants-{i}-third_touch_hours": str(third),
        }
    return client.post("/connections/experiments/", data | extra)


@pytest.fixture
def flow():
    return Flow.objects.create(org_name="acme", title="home")


def test_a_program_manager_starts_an_experiment_with_a_holdout(pm_client, flow):
    response = _post(pm_client, flow)
    assert response.status_code == 302
    experiment = Experiment.objects.get()
    assert experiment.running
    assert experiment.flow == flow
    arms = [(v.name, v.share, v.holdout) for v in experiment.variants.all()]
    assert arms == [("Fast", 45, False), ("Slow", 45, False), ("Holdout", 10, True)]
    page = pm_client.get("/connections/experiments/").content.decode()
    assert "Delay test" in page
    assert "no automated touch" in page


def test_shares_that_do_not_add_up_are_refused_in_words(pm_client, flow):
    response = _post(pm_client, flow, holdout_share="0")
    assert response.status_code == 200
    assert "must add up to 100%" in response.content.decode()
    assert not Experiment.objects.exists()


def test_a_flow_runs_one_experiment_at_a_time(pm_client, flow):
    _post(pm_client, flow)
    response = _post(pm_client, flow)
    assert "already runs an experiment" in response.content.decode()
    assert Experiment.objects.count() == 1


def test_ending_an_experiment_frees_the_flow(pm_client, flow):
    _post(pm_client, flow)
    experiment = Experiment.objects.get()
    assert pm_client.post(f"/connections/experiments/{experiment.pk}/end/").status_code == 302
    experiment.refresh_from_db()
    assert experiment.ended_at is not None
    assert _post(pm_client, flow).status_code == 302
