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
