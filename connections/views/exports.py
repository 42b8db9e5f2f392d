"""The connections table's CSV export and its never-opened tab's: exactly the rows the table
shows under the same query string, every page of them. On PostgreSQL, PostgreSQL writes the
file (COPY, leapdash.exports) from the SQL columns below; elsewhere (the SQLite demo) the
Python rows beside them write the same bytes."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Concat
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from leapdash.accounts.roles import dashboard_view
from leapdash.exports import TEXT, Cell, IsoTime, Lookup, export_response
from leapdash.htmx import HtmxHttpRequest
from links.models import Link

from ..actors import ACTION_ACTORS, Actor
from ..filters import ConnectionFilter, NeverOpenedFilter, never_opened_links
from ..models import Connection, UtilityConnection
from .connections import filtered_connections, table_rows

EXPORT_CHUNK = 2000
EXPORT_HEADER = [
    "refId",
    "customer",
    "email",
    "region",
    "status",
    "utilities",
    "attestation",
    "dr_agreement",
    "next_action",
    "who_acts",
    "reason",
    "last_interaction_utc",
    "touches_sent",
    "variant",
]
UNOPENED_HEADER = ["refId", "customer", "email", "flow", "campaign", "created_utc", "sent_utc"]


@dashboard_view
@require_GET
def connection_export(request: HtmxHttpRequest) -> HttpResponse:
    """Exactly the rows the table shows under the same query string, every page of them."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if request.GET.get("view") == "unopened":
        links = NeverOpenedFilter(request.GET, queryset=never_opened_links().select_related("flow"))
        ordered = links.qs.order_by("-created_at", "pk")
        return export_response(
            f"never-opened-{stamp}.csv",
            UNOPENED_HEADER,
            _link_rows(ordered),
            lambda: _link_columns(ordered),
        )
    filterset = ConnectionFilter(request.GET, queryset=table_rows())
    rows = filtered_connections(filterset)
    return export_response(
        f"connections-{stamp}.csv", EXPORT_HEADER, _rows(rows), lambda: _columns(rows)
    )


# --- the connections ---------------------------------------------------------------------------


def _utilities_cell(connection: Connection) -> str:
    parts = []
    for u in connection.utilities.all():
        text = f"{u.utility_id}:{u.status}"
        if u.error_code:
            text += f"({u.error_code})"
        if u.utility_is_required:
            text += "*"
        parts.append(text)
    return " ".join(parts)


def _rows(rows: QuerySet[Connection]) -> Iterator[list[object]]:
    # iterator(chunk_size) streams from a server-side cursor and prefetches per chunk.
    for c in rows.iterator(chunk_size=EXPORT_CHUNK):
        link = c.link
        yield [
            c.ref_id,
            link.customer_name if link else "",
            link.customer_email if link else "",
            c.transmission_region,
            c.status,
            _utilities_cell(c),
            c.prohibited_resource_attestation,
            c.demand_response_participation,
            c.next_action,
            c.actor.label,
            c.next_action_reason,
            c.last_interaction_at.isoformat(),
            c.touch_count,  # type: ignore[attr-defined]
            c.variant.name if c.variant else "",
        ]


def utilities_column() -> Subquery:
    """_utilities_cell in SQL: "pge:ERROR(BAD_LOGIN)* sce:CONNECTED", in Leap's order."""
    one = Concat(
        F("utility_id"),
        Value(":"),
        F("status"),
        Case(
            When(~Q(error_code=""), then=Concat(Value("("), F("error_code"), Value(")"))),
            default=Value(""),
        ),
        Case(When(utility_is_required=True, then=Value("*")), default=Value("")),
        output_field=TEXT,
    )
    joined = (
        UtilityConnection.objects.filter(connection=OuterRef("pk"))
        .order_by()
        .values("connection")
        .annotate(cell=StringAgg(one, " ", order_by=("position", "pk")))
        .values("cell")
    )
    return Subquery(joined, output_field=TEXT)


def _columns(rows: QuerySet[Connection]) -> QuerySet[Connection, tuple[object, ...]]:
    """_rows' cells as SQL columns, for COPY."""
    actors = {action: actor.label for action, actor in ACTION_ACTORS.items()}
    return rows.values_list(
        Cell("ref_id"),
        Cell("link__customer_name"),
        Cell("link__customer_email"),
        Cell("transmission_region"),
        Cell("status"),
        Cell(utilities_column()),
        Cell("prohibited_resource_attestation"),
        Cell("demand_response_participation"),
        Cell("next_action"),
        Cell(Lookup("next_action", actors, Actor.OPS.label)),
        Cell("next_action_reason"),
        Cell(IsoTime("last_interaction_at")),
        Cell("touch_count"),
        Cell("variant__name"),
    )


# --- never opened ------------------------------------------------------------------------------


def _link_rows(rows: QuerySet[Link]) -> Iterator[list[object]]:
    for link in rows.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            link.ref_id,
            link.customer_name,
            link.customer_email,
            str(link.flow) if link.flow else "",
            link.flow.campaign if link.flow else "",
            link.created_at.isoformat(),
            link.sent_at.isoformat() if link.sent_at else "",
        ]


def _link_columns(rows: QuerySet[Link]) -> QuerySet[Link, tuple[object, ...]]:
    """_link_rows' cells as SQL columns, for COPY (a flow reads as Flow.__str__ does)."""
    flow = Case(
        When(
            flow__isnull=False,
            then=Concat(Cast("flow__org_name", TEXT), Value("/"), Cast("flow__title", TEXT)),
        ),
        default=Value(""),
        output_field=TEXT,
    )
    return rows.values_list(
        Cell("ref_id"),
        Cell("customer_name"),
        Cell("customer_email"),
        Cell(flow),
        Cell("flow__campaign"),
        Cell(IsoTime("created_at")),
        Cell(IsoTime("sent_at")),
    )
