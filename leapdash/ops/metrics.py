"""leapdash's own Prometheus metrics, read from the database at scrape time.

Counters are derived from rows that are kept (sync runs, touches, the hook's tallies), so they
survive restarts and agree across processes; every family and label is present, at zero,
before the first sync. Request metrics come from django-prometheus's middleware.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from django.db.models import Count, Max, Sum
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from connections.models import OutgoingHook, Touchpoint
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SCHEDULED_KINDS

RUN_STATUSES = (SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED, SyncRun.Status.SKIPPED)
RECORD_OUTCOMES = ("created", "updated", "unchanged", "errors")
# OutgoingHook's tallies, read with a default so that a database without them reports zero
HOOK_RESULTS = {
    "delivered": "delivered_count",
    "refused": "refused_count",
    "unreachable": "unreachable_count",
}


class LeapdashCollector(Collector):
    """Five cheap aggregate queries per scrape: no per-row work, no cache to go stale."""

    def collect(self) -> Iterator[Metric]:
        yield from self._sync_runs()
        yield self._touches()
        yield self._hook()

    def _sync_runs(self) -> Iterator[Metric]:
        finished = SyncRun.objects.order_by().exclude(status=SyncRun.Status.RUNNING)
        by_status = {
            (kind, status): n
            for kind, status, n in finished.values_list("kind", "status").annotate(n=Count("pk"))
        }
        runs = CounterMetricFamily(
            "leapdash_sync_runs", "Sync runs that ended, by outcome.", labels=["kind", "status"]
        )
        for kind in SCHEDULED_KINDS:
            for status in RUN_STATUSES:
                runs.add_metric([kind, status], by_status.get((kind, status), 0))
        yield runs

        last = dict(
            finished.filter(status=SyncRun.Status.SUCCEEDED)
            .values_list("kind")
            .annotate(at=Max("finished_at"))
        )
        success = GaugeMetricFamily(
            "leapdash_sync_last_success_timestamp_seconds",
            "When the last good sync of each kind ended (Unix time; 0 = never).",
            labels=["kind"],
        )
        for kind in SCHEDULED_KINDS:
            at = last.get(kind)
            success.add_metric([kind], at.timestamp() if at else 0.0)
        yield success

        sums = {
            row["kind"]: row
            for row in SyncRun.objects.order_by()
            .values("kind")
            .annotate(**{o: Sum(o) for o in RECORD_OUTCOMES})
        }
        records = CounterMetricFamily(
            "leapdash_sync_records",
            "Records read by syncs, by what the sync did with them.",
            labels=["kind", "outcome"],
        )
        for kind in SCHEDULED_KINDS:
            for outcome in RECORD_OUTCOMES:
                records.add_metric([kind, outcome], sums.get(kind, {}).get(outcome) or 0)
        yield records

    def _touches(self) -> Metric:
        sent = dict(
            Touchpoint.objects.order_by()
            .filter(outcome=Touchpoint.Outcome.SENT)
            .values_list("channel")
            .annotate(n=Count("pk"))
        )
        touches = CounterMetricFamily(
            "leapdash_touches_sent", "Re-engagement touches sent, by channel.", labels=["channel"]
        )
        for channel in Touchpoint.Channel.values:
            touches.add_metric([channel], sent.get(channel, 0))
        return touches

    def _hook(self) -> Metric:
        hook = OutgoingHook.objects.filter(pk=1).first()
        deliveries = CounterMetricFamily(
            "leapdash_hook_deliveries",
            "Posts of due touches to the outgoing hook, by result.",
            labels=["result"],
        )
        for result, field in HOOK_RESULTS.items():
            deliveries.add_metric([result], getattr(hook, field, 0) if hook else 0)
        return deliveries


def render_metrics() -> tuple[bytes, str]:
    """The scrape body: this process's request metrics (or every gunicorn worker's, merged,
    when PROMETHEUS_MULTIPROC_DIR is set) followed by leapdash's own."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    ours = CollectorRegistry(auto_describe=False)
    ours.register(LeapdashCollector())
    return generate_latest(requests) + generate_latest(ours), CONTENT_TYPE_LATEST
