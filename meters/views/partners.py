"""The partner's own records: the list, a CSV upload with preview and all-or-nothing import,
and records derived from links."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import (
    dashboard_view,
    is_ops,
)
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.paging import capped_page

from ..models import (
    PartnerImport,
    PartnerRecord,
)
from ..partners import (
    FileProblem,
    ImportRefused,
    derive_from_links,
    import_partner_records,
    parse_partner_csv,
)

PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def partner_list(request: HtmxHttpRequest) -> HttpResponse:
    rows = PartnerRecord.objects.order_by("reference", "pk")
    search = request.GET.get("q", "").strip()
    if search:
        rows = rows.filter(reference__startswith=search)
    page, total = capped_page(rows, PAGE_SIZE, request.GET.get("page"))
    template = "meters/_partners_table.html" if is_partial(request) else "meters/partners.html"
    context = {"page": page, "total": total, "q": search, "tab": "partners"}
    return render(request, template, context)


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
        rows=parsed.kept,
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
