"""The home page: what needs attention now, and how fresh the data is."""

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from connections.attention import unmatched_count
from connections.models import Connection
from connections.status import Action, ConnectionStatus, badge_class, label_of
from leapdash.accounts.roles import dashboard_view
from leapdash.htmx import HtmxHttpRequest
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import freshness, last_runs


def _grouped(
    column: str, choices: type[ConnectionStatus] | type[Action]
) -> list[dict[str, object]]:
    """One GROUP BY: each value's count, known values in catalogue order, unknown ones after."""
    counts = dict(Connection.objects.order_by().values_list(column).annotate(n=Count("pk")))
    known = [v for v in choices.values if counts.get(v)]
    values = known + sorted(v for v in counts if v not in choices.values)
    return [
        {"value": v, "label": label_of(choices, v), "badge": badge_class(v), "count": counts[v]}
        for v in values
    ]


@dashboard_view
@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    runs = last_runs()
    connections = next(f for f in freshness(timezone.now()) if f.kind == SyncRun.Kind.CONNECTIONS)
    statuses = _grouped("status", ConnectionStatus)
    context = {
        "runs": runs,
        "statuses": statuses,
        "total": sum(int(str(s["count"])) for s in statuses),
        "actions": _grouped("next_action", Action),
        "attention": unmatched_count(),
        # the same rule as Sync health: the last *good* connections sync is too old
        "stale": connections.stale,
        "stale_hours": settings.SYNC_STALE_WARNING_HOURS,
    }
    return render(request, "home.html", context)
