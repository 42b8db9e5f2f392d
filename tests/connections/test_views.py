"""The connections list and the ops-only "sync now" button."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connections.models import Connection
from connections.sync import write_page
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts

from .builders import NOW, PGE, SCE, conn, page_of, util

pytestmark = pytest.mark.django_db


def _seed(n: int) -> None:
    records = [
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), util(SCE, required=False), ref_id=f"c{i}")
        for i in range(n)
    ]
    records.append(conn("COMPLETED", util(PGE), ref_id="done<b>"))
    write_page(page_of(records), now=NOW, counts=SyncCounts())


def test_the_list_shows_status_next_action_and_escapes_leap_data(pm_client):
    _seed(2)
    page = pm_client.get("/connections/").content.decode()
    assert "done&lt;b&gt;" in page
    assert "badge-bad" in page  # ERROR status, colour from status.py
    assert "Wrong utility login" in page
    assert "Wait for meters" in page


def test_the_list_filters_by_status_and_serves_the_table_to_htmx(pm_client):
    _seed(2)
    response = pm_client.get("/connections/?status=COMPLETED", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert "done&lt;b&gt;" in body
    assert ">c1<" not in body  # an ERROR connection's refId cell
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("rows", [1, 30])
def test_the_list_runs_a_fixed_number_of_queries(pm_client, django_assert_max_num_queries, rows):
    _seed(rows)
    pm_client.get("/connections/")  # warm the session and role caches
    # the page adds the last good connections sync (its "Leap data as of") to the table's 8
    with django_assert_max_num_queries(9):
        assert pm_client.get("/connections/").status_code == 200


def test_ops_queue_a_sync_after_commit(ops_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post("/connections/sync/", follow=True)
    assert len(callbacks) == 1
    assert "Connections sync queued" in response.content.decode()


def test_sync_now_is_refused_politely_while_a_run_is_running(
    ops_client, django_capture_on_commit_callbacks
):
    SyncRun.objects.create(kind="connections", status="running", started_at=timezone.now())
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post("/connections/sync/", follow=True)
    assert callbacks == []
    assert "already running" in response.content.decode()
    assert response.status_code == 200


def test_a_run_left_running_by_a_dead_worker_does_not_block_sync_now(
    ops_client, settings, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(seconds=settings.SYNC_TASK_TIME_LIMIT + 60)
    SyncRun.objects.create(kind="connections", status="running", started_at=long_ago)
    with django_capture_on_commit_callbacks() as callbacks:
        ops_client.post("/connections/sync/")
    assert len(callbacks) == 1


def test_program_managers_cannot_trigger_a_sync(pm_client):
    assert pm_client.post("/connections/sync/").status_code == 403
    assert not Connection.objects.exists()
