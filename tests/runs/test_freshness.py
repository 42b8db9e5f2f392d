""" "Leap data as of …" on the connections, links and meters lists, and the inline "Refresh from
Leap" for ops: queued after commit, polled while it runs, its result when done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.utils import timezone

from leapdash.runs.freshness import data_as_of
from leapdash.runs.models import SyncRun

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
# list page → the kind of sync behind it and where its refresh is posted
PAGES = [
    ("/connections/", "connections", "/connections/sync/"),
    ("/links/", "connections", "/connections/sync/"),
    ("/meters/", "meters", "/meters/sync/"),
]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _run(kind: str, status: str, started: datetime, **extra) -> SyncRun:
    finished = None if status == "running" else started + timedelta(minutes=3)
    return SyncRun.objects.create(
        kind=kind, status=status, started_at=started, finished_at=finished, **extra
    )


def _freshness(page: str) -> str:
    start = page.index('class="freshness"')
    return page[start : page.index("</div>", start)]


@pytest.mark.parametrize(("url", "kind", "refresh"), PAGES)
def test_each_list_says_never_before_any_good_run(pm_client, url, kind, refresh):
    _run(kind, "failed", NOW - timedelta(hours=1))
    line = _freshness(pm_client.get(url).content.decode())
    assert "Leap data as of never" in line


@pytest.mark.parametrize(("url", "kind", "refresh"), PAGES)
def test_each_list_shows_the_end_of_the_last_good_run_of_its_kind(pm_client, url, kind, refresh):
    _run(kind, "succeeded", NOW - timedelta(hours=5))  # ends 14:03 (minus 5 h)
    _run(kind, "succeeded", NOW - timedelta(hours=2))  # ends 13:03
    _run(kind, "failed", NOW - timedelta(hours=1))  # newer, not good
    _run(kind, "skipped", NOW - timedelta(minutes=30))
    other = "meters" if kind == "connections" else "connections"
    _run(other, "succeeded", NOW - timedelta(minutes=10))  # another kind: not this page's
    line = _freshness(pm_client.get(url).content.decode())
    assert 'Leap data as of <time datetime="2026-12-01T13:03:00+00:00"' in line
    assert "Dec 1, 13:03 UTC" in line


@pytest.mark.parametrize(("url", "kind", "refresh"), PAGES)
def test_only_ops_see_the_refresh_button(pm_client, ops_client, url, kind, refresh):
    assert "Refresh from Leap" not in pm_client.get(url).content.decode()
    line = _freshness(ops_client.get(url).content.decode())
    assert "Refresh from Leap" in line
    assert f'hx-post="{refresh}"' in line


@pytest.mark.parametrize(("url", "kind", "refresh"), PAGES)
def test_the_table_partial_leaves_the_freshness_line_out(pm_client, url, kind, refresh):
    assert "Leap data as of" not in pm_client.get(url, headers=HX).content.decode()


def test_the_last_good_run_costs_one_query(django_assert_num_queries):
    _run("connections", "succeeded", NOW - timedelta(hours=2))
    with django_assert_num_queries(1):
        as_of = data_as_of("connections", "/connections/sync/")
    assert as_of["at"] == NOW - timedelta(hours=2) + timedelta(minutes=3)


@pytest.mark.parametrize("refresh", ["/connections/sync/", "/meters/sync/"])
def test_program_managers_cannot_refresh(pm_client, refresh, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert pm_client.post(refresh, headers=HX).status_code == 403
    assert callbacks == []


@pytest.mark.parametrize(
    ("kind", "refresh"), [("connections", "/connections/sync/"), ("meters", "/meters/sync/")]
)
def test_a_refresh_queues_the_sync_on_commit_and_polls_while_queued(
    ops_client, django_capture_on_commit_callbacks, kind, refresh
):
    with django_capture_on_commit_callbacks() as callbacks:
        html = ops_client.post(refresh, headers=HX).content.decode()
    assert len(callbacks) == 1
    assert 'data-state="queued"' in html
    poll = f"/sync/refresh/{kind}/?after={quote(NOW.isoformat())}"
    assert f'hx-get="{poll}"' in html
    assert 'hx-trigger="every 2s"' in html
    # the worker has not started it yet: still queued, still polling
    again = ops_client.get(poll, headers=HX).content.decode()
    assert 'data-state="queued"' in again
    assert "every 2s" in again


def test_the_poll_follows_the_run_and_stops_with_its_result(ops_client):
    poll = f"/sync/refresh/connections/?after={quote(NOW.isoformat())}"
    _run("connections", "succeeded", NOW - timedelta(hours=3))  # before the click: not it
    run = _run("connections", "running", NOW + timedelta(seconds=5), pages_done=2, fetched=1000)
    html = ops_client.get(poll, headers=HX).content.decode()
    assert 'data-state="running"' in html
    assert "2 pages · 1000 read" in html
    assert "every 2s" in html
    SyncRun.objects.filter(pk=run.pk).update(
        status="succeeded", finished_at=NOW + timedelta(minutes=1), created=7
    )
    done = ops_client.get(poll, headers=HX).content.decode()
    assert 'data-state="succeeded"' in done
    assert "every 2s" not in done
    assert "7 new" in done
    # the page's "as of" line follows, out of band
    assert 'id="as-of-connections" class="muted" hx-swap-oob="true"' in done
    assert 'datetime="2026-12-01T15:01:00+00:00"' in done


def test_a_run_that_finished_before_the_first_poll_is_never_shown_as_queued(ops_client):
    after = quote(NOW.isoformat())
    _run("meters", "failed", NOW + timedelta(seconds=1), error="LeapError: 503")
    html = ops_client.get(f"/sync/refresh/meters/?after={after}", headers=HX).content.decode()
    assert 'data-state="failed"' in html
    assert "LeapError: 503" in html
    assert "Queued" not in html
    assert "every 2s" not in html


def test_a_skipped_run_gives_way_to_the_run_that_held_the_lock(ops_client):
    after = quote(NOW.isoformat())
    _run("connections", "skipped", NOW + timedelta(seconds=1), error="Another sync was running.")
    url = f"/sync/refresh/connections/?after={after}"
    assert 'data-state="skipped"' in ops_client.get(url, headers=HX).content.decode()
    _run("connections", "running", NOW + timedelta(seconds=2))
    assert 'data-state="running"' in ops_client.get(url, headers=HX).content.decode()


def test_a_refresh_while_a_run_is_running_follows_that_run(
    ops_client, django_capture_on_commit_callbacks
):
    run = _run("meters", "running", NOW - timedelta(minutes=2), pages_done=4)
    with django_capture_on_commit_callbacks() as callbacks:
        html = ops_client.post("/meters/sync/", headers=HX).content.decode()
    assert callbacks == []
    assert 'data-state="running"' in html
    assert quote(run.started_at.isoformat()) in html
    assert "4 pages" in html


def test_a_request_no_worker_took_stops_polling(ops_client, settings):
    long_ago = NOW - timedelta(seconds=settings.SYNC_TASK_TIME_LIMIT + 60)
    url = f"/sync/refresh/connections/?after={quote(long_ago.isoformat())}"
    html = ops_client.get(url, headers=HX).content.decode()
    assert 'data-state="lost"' in html
    assert "every 2s" not in html


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/sync/refresh/connections/?after=yesterday", 400),
        ("/sync/refresh/connections/?after=2026-12-01T15:00:00", 400),
        ("/sync/refresh/connections/", 400),
        ("/sync/refresh/nope/?after=2026-12-01T15:00:00%2B00:00", 404),
    ],
)
def test_bad_polls_are_refused(pm_client, url, status):
    assert pm_client.get(url, headers=HX).status_code == status


def test_without_htmx_a_refresh_still_redirects_to_sync_health(
    ops_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post("/meters/sync/", follow=True)
    assert len(callbacks) == 1
    assert "Meters sync queued" in response.content.decode()
    assert timezone.now() == NOW
