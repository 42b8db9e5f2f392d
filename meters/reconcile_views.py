"""Reconciliation pages (categories as tabs, CSV export, run button) and partner records
(CSV upload with preview and all-or-nothing import, records derived from links)."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import (
    RECONCILE_PERMISSION,
    dashboard_view,
    is_ops,
    permission_view,
)
from leapdash.csvs import csv_response
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.paging import CappedPaginator, RowCount

from .models import (
    Category,
    PartnerImport,
    PartnerRecord,
    ReconciliationResult,
    ReconciliationRun,
    wording,
)
from .partners import (
    FileProblem,
    ImportRefused,
    derive_from_links,
    import_partner_records,
    parse_partner_csv,
)
from .reconcile import METER_CATEGORIES, as_matched, latest_run, matched_meters, unit_of
from .tasks import reconcile_task

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
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
RUN_QUEUED_KEY = "meters:reconciliation-queued"
RUN_QUEUED_SECONDS = 60


def _category(request: HtmxHttpRequest) -> str:
    value = request.GET.get("category", "")
    return value if value in Category.values else Category.BY_CONNECTION


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
    category = _category(request)
    run = latest_run()
    counts = run.counts if run else {}
    tabs = [
        (value, label, counts.get(value, 0), unit_of(value)) for value, label in Category.choices
    ]
    number = request.GET.get("page")
    if category == Category.MATCHED:
        # matched meters have no stored finding: listed live, counted by the run (no COUNT
        # over 10^6 meters)
        meters = matched_meters().defer("raw").order_by("partner_reference", "pk")
        total = RowCount(counts.get(category, 0))
        page = CappedPaginator(meters, PAGE_SIZE, total).get_page(number)
        page.object_list = as_matched(page.object_list)
    else:
        page = Paginator(_results(category, run), PAGE_SIZE).get_page(number)
    context = {
        "run": run,
        "tabs": tabs,
        "category": category,
        "category_label": Category(category).label,
        "page": page,
        "fixable": category in METER_CATEGORIES,
    }
    template = "meters/_results.html" if is_partial(request) else "meters/reconciliation.html"
    return render(request, template, context)


@dashboard_view
@require_GET
def reconciliation_export(request: HtmxHttpRequest) -> HttpResponse:
    category = _category(request)
    if category == Category.MATCHED:
        return csv_response(f"reconciliation-{category}.csv", EXPORT_HEADER, _matched_lines())
    rows = ReconciliationResult.objects.filter(run=latest_run(), category=category)
    values = rows.order_by("partner_reference", "pk").values_list(
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

    return csv_response(f"reconciliation-{category}.csv", EXPORT_HEADER, lines())


def _matched_lines() -> Iterator[tuple[object, ...]]:
    reason, fix = wording(ReconciliationResult(category=Category.MATCHED))
    meters = matched_meters().order_by("partner_reference", "pk")
    for reference, meter in meters.values_list("partner_reference", "meter_id").iterator(
        chunk_size=2000
    ):
        yield Category.MATCHED, reference, meter, reference, reason, "", fix


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


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def partner_list(request: HtmxHttpRequest) -> HttpResponse:
    rows = PartnerRecord.objects.order_by("reference", "pk")
    search = request.GET.get("q", "").strip()
    if search:
        rows = rows.filter(reference__startswith=search)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "meters/_partners_table.html" if is_partial(request) else "meters/partners.html"
    return render(request, template, {"page": page, "q": search})


@dashboard_view
@require_POST
def partner_upload(request: HtmxHttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None or upload.file is None:
        messages.error(request, "Choose a CSV file to upload.")
        return HttpResponseRedirect(reverse("meters:partners"))
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        messages.error(request, "The file is larger than 20 MB: split it.")
        return HttpResponseRedirect(reverse("meters:partners"))
    try:
        parsed = parse_partner_csv(upload.file)
    except FileProblem as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("meters:partners"))
    batch = PartnerImport.objects.create(
        filename=(upload.name or "")[:255],
        rows=parsed.rows,
        errors=parsed.errors,
        total_rows=parsed.total,
        created_by_id=request.user.pk,
    )
    return HttpResponseRedirect(reverse("meters:partner_import", args=[batch.pk]))


@dashboard_view
@require_GET
def partner_import(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PartnerImport, pk=pk)
    return render(
        request,
        "meters/partner_import.html",
        {"batch": batch, "sample": batch.rows[:20], "errors": batch.errors[:200]},
    )


@dashboard_view
@require_POST
def partner_import_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PartnerImport, pk=pk)
    if batch.created_by_id != request.user.pk and not is_ops(request.user):
        raise PermissionDenied("Only the person who uploaded this file, or ops, may import it.")
    try:
        count = import_partner_records(batch)
    except ImportRefused as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("meters:partner_import", args=[batch.pk]))
    messages.success(request, f"{count} partner records imported. Run a reconciliation to match.")
    return HttpResponseRedirect(reverse("meters:partners"))


@dashboard_view
@require_POST
def partner_from_links(request: HtmxHttpRequest) -> HttpResponse:
    count = derive_from_links()
    messages.success(request, f"{count} partner records added from links.")
    return HttpResponseRedirect(reverse("meters:partners"))
