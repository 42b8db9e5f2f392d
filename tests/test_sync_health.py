from django.utils import timezone

from leapdash.runs.models import SyncRun


def test_sync_health_lists_runs_with_their_counts_and_errors(pm_client):
    SyncRun.objects.create(
        kind="connections",
        status="failed",
        started_at=timezone.now(),
        fetched=1234,
        error="LeapServerError: 503 <b>bad gateway</b>",
    )
    page = pm_client.get("/sync/").content.decode()
    assert "1234" in page
    assert "&lt;b&gt;bad gateway&lt;/b&gt;" in page
    assert "Never synced successfully." in page


def test_sync_health_filters_by_kind_and_serves_the_table_alone_to_htmx(pm_client):
    now = timezone.now()
    SyncRun.objects.create(kind="connections", status="succeeded", started_at=now, fetched=11)
    SyncRun.objects.create(kind="meters", status="succeeded", started_at=now, fetched=22)
    partial = pm_client.get("/sync/?kind=meters", headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "<html" not in body
    assert "22" in body
    assert ">11<" not in body
    assert "HX-Request" in partial.get("Vary", "")


def test_sync_health_has_an_empty_state(pm_client):
    assert "No sync runs yet." in pm_client.get("/sync/").content.decode()


def test_a_running_run_polls_every_two_seconds_until_it_is_done(pm_client):
    run = SyncRun.objects.create(
        kind="connections",
        status="running",
        started_at=timezone.now(),
        pages_done=2,
        fetched=1000,
    )
    page = pm_client.get("/sync/").content.decode()
    assert f'hx-get="/sync/runs/{run.pk}/progress/"' in page
    assert 'hx-trigger="every 2s"' in page
    assert "2 pages so far · 1000 read" in page
    run.status = "succeeded"
    run.finished_at = timezone.now()
    run.save()
    done = pm_client.get(f"/sync/runs/{run.pk}/progress/").content.decode()
    assert 'data-status="succeeded"' in done
    assert "hx-trigger" not in done  # the card stops polling once the run has finished
    assert "every 2s" not in pm_client.get("/sync/").content.decode()


def test_a_run_left_running_past_the_time_limit_is_not_polled(pm_client, settings):
    from datetime import timedelta

    long_ago = timezone.now() - timedelta(seconds=settings.SYNC_TASK_TIME_LIMIT + 60)
    SyncRun.objects.create(kind="connections", status="running", started_at=long_ago)
    assert "every 2s" not in pm_client.get("/sync/").content.decode()


def test_an_old_last_good_sync_is_flagged(pm_client):
    from datetime import timedelta

    at = timezone.now() - timedelta(hours=3)
    SyncRun.objects.create(kind="connections", status="succeeded", started_at=at, finished_at=at)
    assert "Older than 2 h" in pm_client.get("/sync/").content.decode()
    fresh = timezone.now()
    SyncRun.objects.create(
        kind="connections", status="succeeded", started_at=fresh, finished_at=fresh
    )
    assert "Older than 2 h" not in pm_client.get("/sync/").content.decode()


def test_only_ops_see_the_sync_now_button(pm_client, ops_client):
    assert "Sync connections now" not in pm_client.get("/sync/").content.decode()
    assert "Sync connections now" in ops_client.get("/sync/").content.decode()


def _card(page: str, kind: str) -> str:
    start = page.index(f'data-kind="{kind}"')
    return page[start : page.index("</article>", start)]


def test_one_card_per_kind_that_runs_on_its_own(pm_client):
    """Enrollments and the meters of completed connections are read by the meters run: they
    get no card that would say they never synced."""
    from leapdash.runs.tracking import tracked_run

    with tracked_run(SyncRun.Kind.CONNECTIONS):
        pass
    with tracked_run(SyncRun.Kind.METERS):
        pass
    page = pm_client.get("/sync/").content.decode()
    assert page.count('data-kind="') == 2
    assert "Never synced successfully." not in page
    assert "Enrollments" not in page


def test_a_failed_run_shows_its_error_and_whether_the_next_run_resumes(pm_client):
    now = timezone.now()
    SyncRun.objects.create(
        kind="connections", status="failed", started_at=now, finished_at=now,
        pages_done=7, page_token="tok+/=", error="LeapServerError: 503 from Leap",
    )  # fmt: skip
    SyncRun.objects.create(
        kind="meters", status="failed", started_at=now, finished_at=now,
        error="ConnectionError: Redis went away",
    )  # fmt: skip
    page = pm_client.get("/sync/").content.decode()
    connections, meters = _card(page, "connections"), _card(page, "meters")
    assert "LeapServerError: 503 from Leap" in connections
    assert "resumes where it stopped, after page 7" in connections
    assert "ConnectionError: Redis went away" in meters
    assert "starts again from the last good sync" in meters


def test_home_and_sync_health_agree_on_stale(pm_client):
    """A recent failed run does not make old data fresh: both pages judge the last good run."""
    from datetime import timedelta

    old = timezone.now() - timedelta(hours=3)
    SyncRun.objects.create(kind="connections", status="succeeded", started_at=old, finished_at=old)
    now = timezone.now()
    SyncRun.objects.create(kind="connections", status="failed", started_at=now, finished_at=now)
    assert "No good connections sync in the last 2 h" in pm_client.get("/").content.decode()
    assert "Older than 2 h" in _card(pm_client.get("/sync/").content.decode(), "connections")
    SyncRun.objects.create(kind="connections", status="succeeded", started_at=now, finished_at=now)
    assert "No good connections sync" not in pm_client.get("/").content.decode()
    assert "Older than 2 h" not in _card(pm_client.get("/sync/").content.decode(), "connections")
