"""Meter pages: the meters table and its export, a meter's detail, the overdue list, and the
ops-only "sync now"."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from connections.choices import Action
from connections.models import Connection
from leapdash.accounts.roles import dashboard_view, ops_view
from leapdash.exports import Cell, IsoTime, JsonJoined, YesNo, export_response
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.paging import capped_page
from leapdash.runs.freshness import data_as_of, refresh_response
from leapdash.runs.models import SyncRun
from links.models import Link

from ..customers import Customer, customer_of, holders, link_name, own_references
from ..filters import MeterFilter
from ..models import (
    Category,
    Enrollment,
    Meter,
    PartnerRecord,
    ReconciliationResult,
    ReferenceChange,
)
from ..reconcile import as_matched, matched_meters
from ..tasks import sync_meters_task

PAGE_SIZE = 50
EXPORT_HEADER = [
    "meter_id",
    "partner_reference",
    "connection_references",
    "region",
    "classification",
    "meter_type",
    "utility",
    "service_account_number",
    "customer",
    "address",
    "enrollment_status",
    "required_actions",
    "archived",
    "created_at",
]


def _meters(request: HtmxHttpRequest) -> tuple[MeterFilter, QuerySet[Meter]]:
    filterset = MeterFilter(request.GET, queryset=Meter.objects.defer("raw"))
    return filterset, filterset.qs.order_by("-created_at", "pk")


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def meter_list(request: HtmxHttpRequest) -> HttpResponse:
    filterset, rows = _meters(request)
    # the page's reconciliation column (the export does not show it)
    finding = ReconciliationResult.objects.filter(meter=OuterRef("pk")).values("category")[:1]
    record = PartnerRecord.objects.filter(reference=OuterRef("partner_reference"))
    rows = rows.annotate(
        reconciliation_category=Subquery(finding),
        has_partner_record=Exists(record),
        partner_name=link_name(),
    )
    page, total = capped_page(rows, PAGE_SIZE, request.GET.get("page"))
    labels = dict(Category.choices)
    for meter in page.object_list:
        category = meter.reconciliation_category
        if category is None and meter.has_partner_record and not meter.is_archived:
            category = Category.MATCHED  # matched meters have no stored finding
        meter.reconciliation_label = labels.get(category or "", "")
        meter.customer = Customer(meter.partner_name or "", meter.customer_name)
    context = {"filter": filterset, "page": page, "total": total, "tab": "meters"}
    if is_partial(request):
        return render(request, "meters/_table.html", context)
    as_of = data_as_of(SyncRun.Kind.METERS, reverse("meters:sync_now"))
    return render(request, "meters/list.html", {**context, "as_of": as_of})


@dashboard_view
@require_GET
def meter_export(request: HtmxHttpRequest) -> HttpResponse:
    _, rows = _meters(request)

    def lines() -> Iterator[list[object]]:
        for m in rows.iterator(chunk_size=2000):
            yield [
                m.meter_id,
                m.partner_reference,
                " ".join(m.connection_references),
                m.transmission_region,
                m.customer_classification,
                m.meter_type,
                m.utility_name,
                m.service_account_number,
                m.customer_name,
                m.service_address,
                m.global_enrollment_status,
                " ".join(m.required_action_codes),
                "yes" if m.is_archived else "no",
                m.created_at.isoformat(),
            ]

    return export_response("meters.csv", EXPORT_HEADER, lines(), lambda: _columns(rows))


def _columns(rows: QuerySet[Meter]) -> QuerySet[Meter, tuple[object, ...]]:
    """meter_export's cells as SQL columns, for COPY."""
    return rows.values_list(
        Cell("meter_id"),
        Cell("partner_reference"),
        Cell(JsonJoined("connection_references")),
        Cell("transmission_region"),
        Cell("customer_classification"),
        Cell("meter_type"),
        Cell("utility_name"),
        Cell("service_account_number"),
        Cell("customer_name"),
        Cell("service_address"),
        Cell("global_enrollment_status"),
        Cell(JsonJoined("required_action_codes")),
        Cell(YesNo("is_archived")),
        Cell(IsoTime("created_at")),
    )


def detail_context(meter: Meter) -> dict[str, object]:
    # the customer's refIds: the partner reference and the connections the meter came from
    refs = own_references(meter)
    links = Link.objects.filter(ref_id__in=refs).order_by("ref_id", "pk")
    results = ReconciliationResult.objects.filter(meter=meter) or as_matched(
        matched_meters(Meter.objects.filter(pk=meter.pk))
    )
    return {
        "meter": meter,
        "customer": customer_of(meter, holders(refs)),
        "connections": Connection.objects.filter(ref_id__in=refs).order_by("ref_id"),
        "links": links,
        "enrollment": Enrollment.objects.filter(meter_id=meter.meter_id).first(),
        "changes": ReferenceChange.objects.filter(meter=meter).select_related("by")[:100],
        "results": results,
        "reference": next((r.suggested_reference for r in results if r.suggested_reference), ""),
        "tab": "meters",
    }


@dashboard_view
@require_GET
def meter_detail(request: HtmxHttpRequest, meter_id: str) -> HttpResponse:
    meter = get_object_or_404(Meter, meter_id=meter_id)
    return render(request, "meters/detail.html", detail_context(meter))


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def overdue_list(request: HtmxHttpRequest) -> HttpResponse:
    """Completed connections still without meters past the threshold."""
    rows = (
        Connection.objects.filter(next_action=Action.METERS_OVERDUE)
        .select_related("link")
        .order_by("last_interaction_at", "pk")
    )
    page, total = capped_page(rows, PAGE_SIZE, request.GET.get("page"))
    context = {
        "page": page,
        "total": total,
        "hours": settings.METERS_OVERDUE_HOURS,
        "tab": "overdue",
    }
    template = "meters/_overdue_table.html" if is_partial(request) else "meters/overdue.html"
    return render(request, template, context)


@ops_view
@require_POST
def sync_now(request: HtmxHttpRequest) -> HttpResponse:
    """The meters list's "Refresh from Leap": queue a meters sync after this request commits,
    or follow the one running; htmx gets the run's inline progress."""
    return refresh_response(
        request, SyncRun.Kind.METERS, lambda: sync_meters_task.delay(trigger="manual")
    )
