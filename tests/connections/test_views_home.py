"""The home page: counts per status and next action linking to the filtered table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connections.sync import write_page
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts

from .builders import PGE, conn, page_of, util

pytestmark = pytest.mark.django_db


def test_home_counts_connections_by_status_and_next_action(
    pm_client, django_assert_max_num_queries
):
    write_page(
        page_of(
            [
                conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="a"),
                conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="b"),
                conn("COMPLETED", util(PGE), ref_id="c"),
                conn("WEIRD", ref_id="d"),
            ]
        ),
        now=timezone.now(),
        counts=SyncCounts(),
    )
    pm_client.get("/")
    # + the due touches' scan (with its touches) and the standings' GROUP BY
    with django_assert_max_num_queries(13):
        page = pm_client.get("/").content.decode()
    assert (
        '<a href="/connections/?status=ERROR" data-home-count="status-ERROR">'
        '<span class="badge badge-bad">Error</span><span class="count">2 <small>customers</small>'
        in page
    )
    assert "?status=WEIRD" in page  # unknown values are shown raw, never hidden
    assert '/connections/?next_action=TAILORED_MESSAGE"' in page
    assert "4 customers in all" in page
    assert "No good connections sync in the last 2 h" in page  # no sync has run


def test_home_says_the_data_is_fresh_after_a_recent_sync(pm_client):
    at = timezone.now() - timedelta(minutes=5)
    SyncRun.objects.create(kind="connections", status="succeeded", started_at=at, finished_at=at)
    assert "No good connections sync" not in pm_client.get("/").content.decode()
