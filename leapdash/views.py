"""The home page: what needs attention now, and how fresh the data is. Every count says what it
counts and links to exactly those rows: statuses and next actions are the stored verdicts
(connections.status), where each customer to re-engage stands comes from connections.due."""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from connections.actors import CUSTOMER_ACTIONS
from connections.attention import unmatched_count
from connections.badges import badge_class
from connections.choices import Action, ConnectionStatus, label_of
from connections.due import Standing, standing_counts
from connections.models import Connection
from leapdash.accounts.roles import dashboard_view
from leapdash.htmx import HtmxHttpRequest
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import freshness, last_runs


def connections_url(**filters: str) -> str:
    """The connections list under these filters: the rows a count on this page counts."""
    return f"{reverse('connections:list')}?{urlencode(filters)}"


def _grouped(column: str, choices: type[ConnectionStatus] | type[Action]) -> list[dict[str, Any]]:
    """One GROUP BY: each value's count, known values in catalogue order, unknown ones after."""
    counts = dict(Connection.objects.order_by().values_list(column).annotate(n=Count("pk")))
    known = [v for v in choices.values if counts.get(v)]
    values = known + sorted(v for v in counts if v not in choices.values)
    return [
        {
            "value": v,
            "label": label_of(choices, v),
            "badge": badge_class(v),
            "count": counts[v],
            "url": connections_url(**{column: v}),
        }
        for v in values
    ]


def _actions(standings: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Each next action's customers; for those to re-engage, how many are due now."""
    actions = _grouped("next_action", Action)
    for a in actions:
        a["reengage"] = a["value"] in CUSTOMER_ACTIONS
        a["due"] = standings.get(a["value"], {}).get(Standing.DUE, 0)
        a["due_url"] = connections_url(next_action=a["value"], standing=Standing.DUE)
    return actions


def _standings(standings: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    totals = {s: sum(per.get(s, 0) for per in standings.values()) for s in Standing.values}
    return [
        {
            "value": s,
            "label": Standing(s).label,
            "count": totals[s],
            "url": connections_url(standing=s),
        }
        for s in Standing.values
        if totals[s] or s != Standing.OPTED_OUT
    ]


@dashboard_view
@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    runs = last_runs()
    connections = next(f for f in freshness(now) if f.kind == SyncRun.Kind.CONNECTIONS)
    statuses = _grouped("status", ConnectionStatus)
    standings = standing_counts(now)
    context = {
        "runs": runs,
        "statuses": statuses,
        "total": sum(int(s["count"]) for s in statuses),
        "actions": _actions(standings),
        "standings": _standings(standings),
        "attention": unmatched_count(),
        # the same rule as Sync health: the last *good* connections sync is too old
        "stale": connections.stale,
        "stale_hours": settings.SYNC_STALE_WARNING_HOURS,
    }
    return render(request, "home.html", context)
