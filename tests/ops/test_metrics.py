"""/metrics: Prometheus text for the bearer of METRICS_TOKEN, leapdash's families from rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from connections.models import Connection, OutgoingHook, Touchpoint
from connections.sync import write_page
from leapdash.ops import views
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts
from tests.connections.builders import conn, page_of

TOKEN = "metrics-test-token"


def scrape(token: str = TOKEN) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def test_metrics_are_a_404_when_no_token_is_configured(settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 404


@pytest.mark.usefixtures("token")
@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"]
)
def test_metrics_refuse_a_wrong_or_missing_token(header):
    headers = {"Authorization": header} if header else {}
    assert Client().get("/metrics", headers=headers).status_code == 403


def test_the_token_is_compared_in_constant_time(monkeypatch, settings):
    settings.METRICS_TOKEN = TOKEN
    calls = []
    real = views.hmac.compare_digest

    def recording(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(views.hmac, "compare_digest", recording)
    Client().get("/metrics", headers={"Authorization": "Bearer nope"})
    assert calls == [(b"nope", TOKEN.encode())]


@pytest.mark.django_db
@pytest.mark.usefixtures("token")
def test_every_family_is_there_at_zero_before_the_first_sync():
    samples = scrape()
    for kind in ("connections", "meters"):
        for status in ("succeeded", "failed", "skipped"):
            key = ("leapdash_sync_runs_total", (("kind", kind), ("status", status)))
            assert samples[key] == 0
        assert samples[("leapdash_sync_last_success_timestamp_seconds", (("kind", kind),))] == 0
        for outcome in ("created", "updated", "unchanged", "errors"):
            key = ("leapdash_sync_records_total", (("kind", kind), ("outcome", outcome)))
            assert samples[key] == 0
    for channel in Touchpoint.Channel.values:
        assert samples[("leapdash_touches_sent_total", (("channel", channel),))] == 0
    for result in ("delivered", "refused", "unreachable"):
        assert samples[("leapdash_hook_deliveries_total", (("result", result),))] == 0
    # and django-prometheus's request metrics beside them
    assert any(name.startswith("django_http_requests") for name, _ in samples)


@pytest.mark.django_db
@pytest.mark.usefixtures("token")
def test_sync_metrics_count_runs_records_and_the_last_success():
    now = timezone.now()
    first = now.replace(microsecond=0) - timedelta(hours=2)
    SyncRun.objects.create(
        kind="connections", status="succeeded", started_at=first, finished_at=first,
        created=5, updated=2, unchanged=10,
    )  # fmt: skip
    SyncRun.objects.create(
        kind="connections", status="succeeded", started_at=now, finished_at=now, created=1
    )
    SyncRun.objects.create(kind="connections", status="failed", started_at=now, errors=3)
    SyncRun.objects.create(kind="meters", status="skipped", started_at=now)
    SyncRun.objects.create(kind="meters", status="running", started_at=now, created=7)
    samples = scrape()

    def runs(kind, status):
        return samples[("leapdash_sync_runs_total", (("kind", kind), ("status", status)))]

    def records(kind, outcome):
        return samples[("leapdash_sync_records_total", (("kind", kind), ("outcome", outcome)))]

    assert (runs("connections", "succeeded"), runs("connections", "failed")) == (2, 1)
    assert (runs("meters", "skipped"), runs("meters", "succeeded")) == (1, 0)
    last = samples[("leapdash_sync_last_success_timestamp_seconds", (("kind", "connections"),))]
    assert last == pytest.approx(now.timestamp())
    assert records("connections", "created") == 6
    assert records("connections", "updated") == 2
    assert records("connections", "unchanged") == 10
    assert records("connections", "errors") == 3
    assert records("meters", "created") == 7  # a running run's pages are already written


@pytest.mark.django_db
@pytest.mark.usefixtures("token")
def test_touches_sent_are_counted_per_channel():
    write_page(
        page_of([conn("NOT_STARTED", ref_id="m-1")]), now=timezone.now(), counts=SyncCounts()
    )
    connection = Connection.objects.get(ref_id="m-1")
    for channel, outcome in [("email", "sent"), ("email", "sent"), ("sms", "sent"),
                             ("sms", "skipped"), ("phone", "snoozed")]:  # fmt: skip
        Touchpoint.objects.create(
            connection=connection, touch=1, channel=channel, outcome=outcome, at=timezone.now()
        )
    samples = scrape()
    assert samples[("leapdash_touches_sent_total", (("channel", "email"),))] == 2
    assert samples[("leapdash_touches_sent_total", (("channel", "sms"),))] == 1
    assert samples[("leapdash_touches_sent_total", (("channel", "phone"),))] == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("token")
def test_hook_metrics_read_the_hook_counters(monkeypatch):
    hook = OutgoingHook.load()
    hook.delivered_count = 4
    hook.refused_count = 1
    hook.unreachable_count = 2
    monkeypatch.setattr(OutgoingHook.objects, "filter", lambda **kw: _One(hook))
    samples = scrape()
    assert samples[("leapdash_hook_deliveries_total", (("result", "delivered"),))] == 4
    assert samples[("leapdash_hook_deliveries_total", (("result", "refused"),))] == 1
    assert samples[("leapdash_hook_deliveries_total", (("result", "unreachable"),))] == 2


class _One:
    def __init__(self, row):
        self.row = row

    def first(self):
        return self.row
