"""The connections table (with its never-opened tab; its CSV export is views/exports.py), one
connection's detail page, and the ops-only "sync now"."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import dashboard_view, is_ops, ops_view
from leapdash.htmx import HtmxHttpRequest, is_partial, push_clean_url
from leapdash.paging import CappedPaginator, RowCount, capped_page, counts_by_value
from leapdash.runs.freshness import data_as_of, refresh_response
from leapdash.runs.models import SyncRun

from ..badges import badge_class
from ..choices import ConnectionStatus, label_of
from ..filters import ConnectionFilter, NeverOpenedFilter, never_opened_links
from ..models import Connection, Touchpoint, UtilityConnection
from ..tasks import sync_connections_task
from ..timeline import connection_context, with_details

PAGE_SIZE = 50
PRIMARY_FILTERS = ("q", "next_action", "utility", "region", "flow")
MORE_FILTERS = (
    "utility_status",
    "error_code",
    "required_missing",
    "campaign",
    "active_from",
    "active_until",
    "stale",
    "standing",
)


def touch_count() -> Coalesce:
    """Touches sent, per connection, as a correlated subquery: the table's pager selects the
    page's ids first, so it runs for those rows only (and for every row when sorting by it)."""
    sent = (
        Touchpoint.objects.filter(connection=OuterRef("pk"), outcome=Touchpoint.Outcome.SENT)
        .order_by()
        .values("connection")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sent, output_field=IntegerField()), Value(0))


def table_rows() -> QuerySet[Connection]:
    # The raw Leap record (most of a row's width) is for the detail page only: leaving it
    # out keeps the table's sort narrow enough to stay in memory at 10^6 rows.
    return (
        Connection.objects.defer("raw")
        .select_related("link", "variant")
        .prefetch_related(
            Prefetch("utilities", queryset=UtilityConnection.objects.order_by("position"))
        )
        .annotate(touch_count=touch_count())
    )


def filtered_connections(filterset: ConnectionFilter) -> QuerySet[Connection]:
    rows = filterset.qs
    if not filterset.form.cleaned_data.get("sort"):
        return rows.order_by("-last_interaction_at", "pk")
    return rows.order_by(*rows.query.order_by, "pk")  # a stable order for the pager


def status_chips(filterset: ConnectionFilter) -> tuple[list[dict[str, Any]], RowCount]:
    """Counts per status under every filter but the status one (capped, one query), and the
    total of the rows the status filter keeps (capped when one of its counts is)."""
    base = filterset.apply_except(Connection.objects.all(), "status", "sort")
    known = list(ConnectionStatus.values)
    counts = counts_by_value(base, "status", known)
    chosen = set(filterset.form.cleaned_data.get("status") or [])
    values = known + sorted(v for v in counts if v not in known)  # unknown ones shown raw
    chips = [
        {
            "value": value,
            "label": label_of(ConnectionStatus, value),
            "badge": badge_class(value),
            "count": counts.get(value, RowCount(0)),
            "checked": value in chosen,
        }
        for value in values
    ]
    total = sum((n for value, n in counts.items() if not chosen or value in chosen), RowCount(0))
    return chips, total


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def connection_list(request: HtmxHttpRequest) -> HttpResponse:
    if request.GET.get("view") == "unopened":
        return _never_opened(request)
    filterset = ConnectionFilter(request.GET, queryset=table_rows())
    rows = filtered_connections(filterset)
    chips, total = status_chips(filterset)
    paginator = CappedPaginator(rows, PAGE_SIZE, total)
    page = paginator.get_page(request.GET.get("page"))
    partial = is_partial(request)
    context = {
        "filter": filterset,
        "primary_filters": PRIMARY_FILTERS,
        "more_filters": MORE_FILTERS,
        "more_filters_open": any(request.GET.get(name) for name in MORE_FILTERS),
        "page": page,
        "chips": chips,
        "total": paginator.total,
        "partial": partial,
        "sort": request.GET.get("sort", ""),
    }
    if not partial:  # the table alone leaves the page's freshness line as it is
        context["as_of"] = data_as_of(SyncRun.Kind.CONNECTIONS, reverse("connections:sync_now"))
    template = "connections/_table.html" if partial else "connections/list.html"
    return push_clean_url(request, render(request, template, context))


def _never_opened(request: HtmxHttpRequest) -> HttpResponse:
    filterset = NeverOpenedFilter(request.GET, queryset=never_opened_links().select_related("flow"))
    rows = filterset.qs
    rows = rows.order_by(*(rows.query.order_by or ["-created_at"]), "pk")
    page, total = capped_page(rows, PAGE_SIZE, request.GET.get("page"))
    partial = is_partial(request)
    context = {
        "filter": filterset,
        "page": page,
        "total": total,
        "sort": request.GET.get("sort", ""),
    }
    template = "connections/_unopened_table.html" if partial else "connections/unopened.html"
    return push_clean_url(request, render(request, template, context))


# --- detail -------------------------------------------------------------------------------------


@dashboard_view
@require_GET
def connection_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(with_details(Connection.objects.all()), pk=pk)
    # The raw record is for ops (it may hold more than a program manager needs to see).
    raw = json.dumps(c.raw, indent=2, sort_keys=True) if is_ops(request.user) else None
    context = {**connection_context(c, timezone.now()), "raw": raw}
    return render(request, "connections/detail.html", context)


# --- ops ----------------------------------------------------------------------------------------


@ops_view
@require_POST
def sync_now(request: HtmxHttpRequest) -> HttpResponse:
    """Queue a sync after this request commits; say so politely if one is already running.
    From a page's "Refresh from Leap" (htmx) the answer is the run's inline progress."""
    full = request.POST.get("full") == "1"
    return refresh_response(
        request,
        SyncRun.Kind.CONNECTIONS,
        lambda: sync_connections_task.delay(full=full, trigger="manual"),
    )
