"""The reconciliation page: categories as tabs, the CSV export, and the run button."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import (
    RECONCILE_PERMISSION,
    dashboard_view,
    permission_view,
)
from leapdash.exports import TEXT, Cell, Lookup, export_response
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.paging import CappedPaginator, RowCount, capped_page

from ..findings import wording
from ..models import (
    Category,
    Meter,
    ReconciliationResult,
    ReconciliationRun,
)
from ..reconcile import as_matched, latest_run, matched_meters, unit_of
from ..sql import METER_CATEGORIES
from ..tasks import reconcile_task

PAGE_SIZE = 50
EXPORT_HEADER = [
    "category",
    "partner_reference",
    "meter_id",
    "partner_record",
    "reason",
    "suggested_reference",
    "suggested_fix",
]
RUN_QUEUED_KEY = "meters:reconciliation-queued"
RUN_QUEUED_SECONDS = 60


def _category(request: HtmxHttpRequest, counts: dict[str, int] | None = None) -> str:
    """The requested tab; without one, the first tab with something in it."""
    value = request.GET.get("category", "")
    if value in Category.values:
        return value
    return next((c for c in Category.values if (counts or {}).get(c)), Category.BY_CONNECTION)


def _results(category: str, run: ReconciliationRun | None) -> QuerySet[ReconciliationResult]:
    return (
        ReconciliationResult.objects.filter(run=run, category=category)
        .select_related("meter", "partner_record")
        .defer("meter__raw")
        .order_by("partner_reference", "pk")
    )


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def reconciliation(request: HtmxHttpRequest) -> HttpResponse:
    run = latest_run()
    counts = run.counts if run else {}
    category = _category(request, counts)
    tabs = [
        (value, label, counts.get(value, 0), unit_of(value)) for value, label in Category.choices
    ]
    number = request.GET.get("page")
    if category == Category.MATCHED:
        # matched meters have no stored finding: listed live, counted by the run (no COUNT
        # over 10^6 meters)
        meters = matched_meters().defer("raw").order_by("partner_reference", "pk")
        total = RowCount(counts.get(category, 0))
        paginator = CappedPaginator(meters, PAGE_SIZE, total)
        page = paginator.get_page(number)
        page.object_list = as_matched(page.object_list)
        total = paginator.total
    else:
        page, total = capped_page(_results(category, run), PAGE_SIZE, number)
    context = {
        "run": run,
        "tabs": tabs,
        "category": category,
        "category_label": Category(category).label,
        "page": page,
        "total": total,
        "fixable": category in METER_CATEGORIES,
        "tab": "reconciliation",
    }
    template = "meters/_results.html" if is_partial(request) else "meters/reconciliation.html"
    return render(request, template, context)


@dashboard_view
@require_GET
def reconciliation_export(request: HtmxHttpRequest) -> HttpResponse:
    category = _category(request)
    name = f"reconciliation-{category}.csv"
    if category == Category.MATCHED:
        return export_response(name, EXPORT_HEADER, _matched_lines(), _matched_columns)
    rows = ReconciliationResult.objects.filter(run=latest_run(), category=category)
    rows = rows.order_by("partner_reference", "pk")
    values = rows.values_list(
        "category",
        "partner_reference",
        "meter__meter_id",
        "partner_record__reference",
        "suggested_reference",
        "connection_status",
        "expected_meters",
        "found_meters",
    )

    def lines() -> Iterator[tuple[object, ...]]:
        for kind, reference, meter, record, suggested, status, expected, found in values.iterator(
            chunk_size=2000
        ):
            facts = ReconciliationResult(
                category=kind,
                connection_status=status,
                expected_meters=expected,
                found_meters=found,
            )
            reason, fix = wording(facts)
            yield kind, reference, meter, record, reason, suggested, fix

    return export_response(name, EXPORT_HEADER, lines(), lambda: _finding_columns(rows))


def _matched_meters() -> QuerySet[Meter]:
    return matched_meters().order_by("partner_reference", "pk")


def _matched_lines() -> Iterator[tuple[object, ...]]:
    reason, fix = wording(ReconciliationResult(category=Category.MATCHED))
    meters = _matched_meters().values_list("partner_reference", "meter_id")
    for reference, meter in meters.iterator(chunk_size=2000):
        yield Category.MATCHED, reference, meter, reference, reason, "", fix


def _matched_columns() -> QuerySet[Meter, tuple[object, ...]]:
    """_matched_lines' cells as SQL columns, for COPY."""
    reason, fix = wording(ReconciliationResult(category=Category.MATCHED))
    return _matched_meters().values_list(
        Cell(Value(str(Category.MATCHED))),
        Cell("partner_reference"),
        Cell("meter_id"),
        Cell("partner_reference"),
        Cell(Value(reason)),
        Cell(Value("")),
        Cell(Value(fix)),
    )


def _finding_columns(
    rows: QuerySet[ReconciliationResult],
) -> QuerySet[ReconciliationResult, tuple[object, ...]]:
    """The export's lines as SQL columns, for COPY. The reason and fix stay findings.wording's:
    it words each distinct set of facts the rows hold (a handful), and SQL looks them up."""
    facts = Concat(
        F("connection_status"),
        Value("|"),
        Coalesce(Cast("expected_meters", TEXT), Value("")),
        Value("|"),
        Coalesce(Cast("found_meters", TEXT), Value("")),
        output_field=TEXT,
    )
    reasons, fixes = {}, {}
    distinct = rows.order_by().values_list(
        "category", "connection_status", "expected_meters", "found_meters"
    )
    for kind, status, expected, found in distinct.distinct():
        key = f"{status}|{'' if expected is None else expected}|{'' if found is None else found}"
        reasons[key], fixes[key] = wording(
            ReconciliationResult(
                category=kind,
                connection_status=status,
                expected_meters=expected,
                found_meters=found,
            )
        )
    return rows.values_list(
        Cell("category"),
        Cell("partner_reference"),
        Cell("meter__meter_id"),
        Cell("partner_record__reference"),
        Cell(Lookup(facts, reasons, "")),
        Cell("suggested_reference"),
        Cell(Lookup(facts, fixes, "")),
    )


@permission_view(RECONCILE_PERMISSION)
@require_POST
def reconciliation_run(request: HtmxHttpRequest) -> HttpResponse:
    # one queued pass at a time: the hourly sync ends with one anyway
    if not cache.add(RUN_QUEUED_KEY, request.user.pk, timeout=RUN_QUEUED_SECONDS):
        messages.info(request, "A reconciliation was queued less than a minute ago.")
        return HttpResponseRedirect(reverse("meters:reconciliation"))
    user_id = request.user.pk
    transaction.on_commit(lambda: reconcile_task.delay(user_id))
    messages.success(request, "Reconciliation queued; the counts update when it finishes.")
    return HttpResponseRedirect(reverse("meters:reconciliation"))
