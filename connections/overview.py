"""The home page's counts of connections, kept between the writes that change them.

By status, by next action (with how many are due), where each customer to re-engage stands, and
how many need attention: at 10^6 connections working them out scans the table for about a
second, so they are kept in the cache. They are worked out again after each connections sync,
refresh and reclassification and each posting of due touches; a touch, a link's change and an
alias drop them, and the next page works them out. Time alone moves customers from waiting to
due, so kept counts serve for at most MAX_AGE; the page says how old they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from leapdash.paging import RowCount

from .actors import CUSTOMER_ACTIONS
from .attention import unmatched_count
from .badges import badge_class
from .choices import Action, ConnectionStatus, label_of
from .due import Standing, standing_counts
from .models import Connection

KEY = "connections:overview"
MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True)
class Overview:
    as_of: datetime
    statuses: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    standings: list[dict[str, Any]]
    attention: RowCount

    @property
    def total(self) -> int:
        return sum(int(s["count"]) for s in self.statuses)


def connections_url(**filters: str) -> str:
    """The connections list under these filters: the rows a count on the home page counts."""
    return f"{reverse('connections:list')}?{urlencode(filters)}"


def overview(now: datetime) -> Overview:
    """The kept counts if they are at most MAX_AGE old at `now`; otherwise fresh ones, kept."""
    kept = cache.get(KEY)
    if isinstance(kept, Overview) and kept.as_of <= now <= kept.as_of + MAX_AGE:
        return kept
    return refresh(now)


def refresh(now: datetime | None = None) -> Overview:
    """Work the counts out at `now` (default: the clock's time) and keep them."""
    now = now or timezone.now()
    standings = standing_counts(now)
    counts = Overview(
        as_of=now,
        statuses=_grouped("status", ConnectionStatus),
        actions=_actions(standings),
        standings=_standings(standings),
        attention=unmatched_count(),
    )
    cache.set(KEY, counts, timeout=int(MAX_AGE.total_seconds()))
    return counts


def forget(**_: Any) -> None:
    """Drop the kept counts (a signal receiver too): the next page works them out."""
    cache.delete(KEY)


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
