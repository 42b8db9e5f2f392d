"""The home page's kept counts: the same as working them out, dropped by a touch, a link's
change or an alias, worked out again by the jobs that change connections, and never older
than MAX_AGE (time alone moves customers from waiting to due)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connections import overview
from connections.models import Connection, Touchpoint
from connections.sync import write_page
from connections.tasks import reclassify_connections_task
from leapdash.kept import Kept
from leapdash.runs.tracking import SyncCounts
from links.models import Link

from .builders import PGE, conn, page_of, util

pytestmark = pytest.mark.django_db


def _statuses(counts: Kept[overview.Overview]) -> dict[str, int]:
    return {s["value"]: s["count"] for s in counts.value.statuses}


@pytest.fixture
def connections():
    now = timezone.now()
    write_page(
        page_of(
            [
                conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="ov-a"),
                conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="ov-b"),
                conn("COMPLETED", util(PGE), ref_id="ov-c"),
            ]
        ),
        now=now,
        counts=SyncCounts(),
    )
    link = Link.objects.create(org_name="acme", ref_id="ov-a", url="https://l.example/a")
    Connection.objects.filter(ref_id="ov-a").update(link=link)
    return now


def test_kept_counts_are_the_counts_worked_out_and_cost_no_query(
    connections, django_assert_num_queries
):
    fresh = overview.refresh(connections)
    assert _statuses(fresh) == {"ERROR": 2, "COMPLETED": 1}
    assert fresh.value.total == 3
    with django_assert_num_queries(0):
        kept = overview.overview(connections)
    assert kept == fresh


@pytest.mark.parametrize(
    "later",
    [overview.MAX_AGE + timedelta(seconds=1), -timedelta(seconds=1)],
    ids=["older than MAX_AGE", "a clock before them"],
)
def test_counts_too_old_for_the_clock_are_worked_out_again(connections, later):
    overview.refresh(connections)
    Connection.objects.filter(ref_id="ov-c").update(status="ERROR")  # no signal
    assert _statuses(overview.overview(connections)) == {"ERROR": 2, "COMPLETED": 1}
    assert _statuses(overview.overview(connections + later)) == {"ERROR": 3}


def test_a_touch_drops_the_kept_counts(connections):
    overview.refresh(connections)
    Connection.objects.filter(ref_id="ov-c").update(status="ERROR")
    Touchpoint.objects.create(
        connection=Connection.objects.get(ref_id="ov-a"), touch=1, at=timezone.now()
    )
    assert _statuses(overview.overview(timezone.now())) == {"ERROR": 3}


def test_an_opt_out_from_the_link_page_drops_the_kept_counts(connections, pm_client):
    overview.refresh(connections)
    link = Link.objects.get(ref_id="ov-a")
    pm_client.post(f"/links/{link.pk}/do-not-contact/", {"do_not_contact": "on"})
    standings = {s["value"]: s["count"] for s in overview.overview(timezone.now()).value.standings}
    assert standings.get("opted_out") == 1


def test_the_jobs_that_change_connections_work_the_counts_out_again(connections):
    overview.refresh(connections)
    Connection.objects.filter(ref_id="ov-c").update(status="ERROR")
    reclassify_connections_task([])
    assert _statuses(overview.overview(timezone.now())) == {"ERROR": 3}


def test_the_home_page_shows_the_kept_counts_and_their_age(connections, pm_client):
    overview.refresh(connections)
    Connection.objects.filter(ref_id="ov-c").update(status="ERROR")
    page = pm_client.get("/").content.decode()
    assert "3 customers in all" in page
    assert 'data-home-count="status-COMPLETED"' in page  # kept: the update is not seen yet
    assert f"{connections:%H:%M} UTC</time>: kept between syncs and touches" in page


def test_a_synced_page_that_changes_connections_drops_the_kept_counts(connections):
    overview.refresh(connections)
    write_page(
        page_of([conn("COMPLETED", util(PGE), ref_id="ov-d")]), now=connections, counts=SyncCounts()
    )
    assert _statuses(overview.overview(connections)) == {"ERROR": 2, "COMPLETED": 2}
