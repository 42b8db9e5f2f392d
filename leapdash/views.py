"""The home page: what needs attention now, and how fresh the data is. Every count says what it
counts and links to exactly those rows: statuses and next actions are the stored verdicts
(connections.status), where each customer to re-engage stands comes from connections.due; the
counts are kept between writes (connections.overview)."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from connections.overview import MAX_AGE, overview
from leapdash.accounts.roles import dashboard_view
from leapdash.htmx import HtmxHttpRequest
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import freshness, last_runs


@dashboard_view
@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    runs = last_runs()
    connections = next(f for f in freshness(now) if f.kind == SyncRun.Kind.CONNECTIONS)
    kept = overview(now)
    counts = kept.value
    context = {
        "runs": runs,
        "statuses": counts.statuses,
        "total": counts.total,
        "actions": counts.actions,
        "standings": counts.standings,
        "attention": counts.attention,
        "counted_at": kept.as_of,
        "counted_minutes": int(MAX_AGE.total_seconds() // 60),
        # the same rule as Sync health: the last *good* connections sync is too old
        "stale": connections.stale,
        "stale_hours": settings.SYNC_STALE_WARNING_HOURS,
    }
    return render(request, "home.html", context)
