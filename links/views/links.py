"""The link table and its export, and one link's page: its connection, meters, QR code, and
the sent and do-not-contact marks."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import messages
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from connections.models import Connection
from connections.overview import forget_all as forget_overview
from connections.timeline import connection_context, with_details
from leapdash.accounts.roles import dashboard_view
from leapdash.exports import Cell, IsoTime, JsonJoined, YesNo, export_response
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.paging import capped_page
from leapdash.runs.freshness import data_as_of
from leapdash.runs.models import SyncRun
from meters.arrival import meters_of_ref

from ..filters import LinkFilter
from ..models import LandingVisit, Link
from ..qr import qr_data_uri, qr_svg

PAGE_SIZE = 50
METERS_SHOWN = 50  # a link's page lists this many of its meters, newest first


@dashboard_view
@require_GET
def link_detail(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(Link.objects.select_related("flow", "created_by"), pk=pk)
    visits = LandingVisit.objects.filter(ref_id=link.ref_id)[:10]
    # Leap's side of this customer: the Connect entry of the refId, and the meters carrying it
    found = with_details(Connection.objects.filter(Q(link=link) | Q(ref_id=link.ref_id)))
    now = timezone.now()
    context = {
        "link": link,
        "qr": qr_data_uri(link.url),
        "visits": visits,
        "connections": [connection_context(c, now) for c in found.order_by("pk")],
        "meters": meters_of_ref(link.ref_id).order_by("-created_at", "pk")[:METERS_SHOWN],
    }
    return render(request, "links/detail.html", context)


@dashboard_view
@require_POST
def link_mark_sent(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(Link, pk=pk)
    Link.objects.filter(pk=link.pk).update(sent_at=timezone.now())
    forget_overview()
    messages.success(request, f"Link for {link.ref_id} marked as sent.")
    return redirect("links:detail", pk=link.pk)


@dashboard_view
@require_POST
def link_do_not_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn the customer's opt-out on or off; the re-engagement queue reads the flag."""
    link = get_object_or_404(Link, pk=pk)
    choice = request.POST.get("do_not_contact")
    if choice not in ("on", "off"):
        return HttpResponseBadRequest("do_not_contact must be on or off.")
    Link.objects.filter(pk=link.pk).update(do_not_contact=choice == "on")
    forget_overview()
    if choice == "on":
        messages.success(request, f"{link.ref_id} is marked do not contact: no more touches.")
    else:
        messages.success(request, f"{link.ref_id} may be contacted again.")
    return redirect("links:detail", pk=link.pk)


@dashboard_view
@require_GET
def link_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The link's QR code as an SVG file, for printing or mailing."""
    link = get_object_or_404(Link, pk=pk)
    response = HttpResponse(qr_svg(link.url, link.ref_id), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="link-{link.pk}-qr.svg"'
    return response


def _filtered(request: HttpRequest) -> tuple[LinkFilter, QuerySet[Link]]:
    filterset = LinkFilter(request.GET, queryset=Link.objects.select_related("flow"))
    rows = filterset.qs
    order = list(rows.query.order_by)
    # a unique tie-breaker keeps pages stable whatever the chosen sort
    rows = rows.order_by(*order, "-pk") if order else rows.order_by("-created_at", "-pk")
    return filterset, rows


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def link_list(request: HtmxHttpRequest) -> HttpResponse:
    filterset, rows = _filtered(request)
    rows = rows if filterset.is_valid() else Link.objects.none()
    page, total = capped_page(rows, PAGE_SIZE, request.GET.get("page"))
    context: dict[str, object] = {"filter": filterset, "page": page, "total": total}
    context["sort"] = request.GET.get("sort", "")
    if is_partial(request):
        return render(request, "links/_table.html", context)
    # a link's progress comes from Leap's Connect data: the connections sync refreshes it
    context["as_of"] = data_as_of(SyncRun.Kind.CONNECTIONS, reverse("connections:sync_now"))
    return render(request, "links/list.html", context)


@dashboard_view
@require_GET
def link_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV, streamed row by row (any size)."""
    filterset, rows = _filtered(request)
    if not filterset.is_valid():
        rows = Link.objects.none()
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return export_response(
        f"links-{stamp}.csv", LINK_EXPORT_HEADER, _link_values(rows), lambda: _copied(rows)
    )


def _copied(rows: QuerySet[Link]) -> QuerySet[Link, tuple[object, ...]]:
    """The export's columns in SQL, for COPY (the same cells as _link_values)."""
    utilities = Coalesce(NullIf(F("utility"), Value("")), JsonJoined("requested_utilities"))
    return rows.values_list(
        Cell("ref_id"),
        Cell("kind"),
        Cell("flow__title"),
        Cell("flow__campaign"),
        Cell("customer_name"),
        Cell("customer_email"),
        Cell("customer_external_id"),
        Cell("customer_type"),
        Cell(utilities),
        Cell("url"),
        Cell(IsoTime("created_at")),
        Cell(IsoTime("sent_at")),
        Cell(IsoTime("first_opened_at")),
        Cell(YesNo("do_not_contact")),
    )


LINK_EXPORT_HEADER = [
    "ref_id",
    "kind",
    "flow",
    "campaign",
    "customer_name",
    "customer_email",
    "external_id",
    "customer_type",
    "utilities",
    "url",
    "created_at",
    "sent_at",
    "first_opened_at",
    "do_not_contact",
]


def _link_values(rows: QuerySet[Link]) -> Iterator[list[object]]:
    return (
        [
            link.ref_id,
            link.kind,
            link.flow.title if link.flow else "",
            link.flow.campaign if link.flow else "",
            link.customer_name,
            link.customer_email,
            link.customer_external_id,
            link.customer_type,
            link.utility or " ".join(link.requested_utilities),
            link.url,
            _iso(link.created_at),
            _iso(link.sent_at),
            _iso(link.first_opened_at),
            "yes" if link.do_not_contact else "no",
        ]
        for link in rows.iterator(chunk_size=2000)
    )


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ""
