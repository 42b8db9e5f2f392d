"""The home page's counts of connections, kept between the writes that change them
(leapdash.kept), and when the funnel's are worked out again.

By status, by next action (with how many are due), where each customer to re-engage stands, and
how many need attention: at 10^6 connections working them out scans the table for about a
second, so they are kept. They are worked out again after each connections sync, refresh and
reclassification, meters sync and posting of due touches; a touch, a link's change and an alias
drop them, and the next page works them out. Time alone moves customers from waiting to due,
so kept counts serve for at most MAX_AGE; the page says how old they are. The hourly syncs also
work out the unfiltered funnel again (connections.funnel keeps it); a link's change drops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.utils import timezone

from leapdash import kept as kept_counts
from leapdash.kept import Kept
from leapdash.paging import RowCount

from .actors import CUSTOMER_ACTIONS
from .attention import unmatched_count
from .badges import badge_class
from .choices import Action, ConnectionStatus, label_of
from .due import Standing, standing_counts
from .funnel import forget_funnel, keep_unfiltered_funnel
from .models import Connection

FAMILY = "connections:home:2"  # a new name when Overview changes shape: old entries go unread
MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True)
class Overview:
    # each count's "query" is the connections list's query string for the rows it counts;
    # the page adds the list's address, so working the counts out resolves no URLs
    statuses: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    standings: list[dict[str, Any]]
    attention: RowCount

    @property
    def total(self) -> int:
        return sum(int(s["count"]) for s in self.statuses)


def overview(now: datetime) -> Kept[Overview]:
    """The kept counts if they are at most MAX_AGE old at `now`; otherwise fresh ones, kept."""
    return kept_counts.kept(FAMILY, "counts", now, MAX_AGE, lambda: _work(now))


def refresh(now: datetime | None = None, *, funnel: bool = False) -> Kept[Overview]:
    """Work the counts out at `now` (default: the clock's time) and keep them; with `funnel`,
    the unfiltered funnel's too (the filtered ones are dropped)."""
    now = now or timezone.now()
    if funnel:
        forget_funnel()
        keep_unfiltered_funnel(now)
    return kept_counts.keep(FAMILY, "counts", now, MAX_AGE, lambda: _work(now))


def forget(**_: Any) -> None:
    """Drop the kept counts (a signal receiver too): the next page works them out."""
    kept_counts.forget(FAMILY)


def forget_all(**_: Any) -> None:
    """A link's change: the home page's counts and every funnel's."""
    forget()
    forget_funnel()


def _work(now: datetime) -> Overview:
    standings = standing_counts(now)
    return Overview(
        statuses=_grouped("status", ConnectionStatus),
        actions=_actions(standings),
        standings=_standings(standings),
        attention=unmatched_count(),
    )


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
            "query": urlencode({column: v}),
        }
        for v in values
    ]


def _actions(standings: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Each next action's customers; for those to re-engage, how many are due now."""
    actions = _grouped("next_action", Action)
    for a in actions:
        a["reengage"] = a["value"] in CUSTOMER_ACTIONS
        a["due"] = standings.get(a["value"], {}).get(Standing.DUE, 0)
        a["due_query"] = urlencode({"next_action": a["value"], "standing": Standing.DUE})
    return actions


def _standings(standings: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    totals = {s: sum(per.get(s, 0) for per in standings.values()) for s in Standing.values}
    return [
        {
            "value": s,
            "label": Standing(s).label,
            "count": totals[s],
            "query": urlencode({"standing": s}),
        }
        for s in Standing.values
        if totals[s] or s != Standing.OPTED_OUT
    ]
