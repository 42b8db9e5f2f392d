"""Bulk import pages: upload a CSV, preview it with per-row errors, confirm, download results."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from leapdash.accounts.roles import dashboard_view, is_ops
from leapdash.csvs import FileProblem, csv_response
from leapdash.htmx import HtmxHttpRequest

from .. import batches, bulk
from ..forms import BulkUploadForm
from ..models import Link, LinkBatch

ERRORS_SHOWN = 200


@dashboard_view
@require_http_methods(["GET", "POST"])
def bulk_upload(request: HtmxHttpRequest) -> HttpResponse:
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        batch = _parse_into_batch(request, form)
        if batch is not None:
            if request.htmx:
                return HttpResponseClientRedirect(batch_url(batch))
            return redirect(batch_url(batch))
    template = "links/_upload_form.html" if request.htmx else "links/upload.html"
    return render(request, template, {"form": form})


def batch_url(batch: LinkBatch) -> str:
    return reverse("links:batch", kwargs={"pk": batch.pk})


def _parse_into_batch(request: HttpRequest, form: BulkUploadForm) -> LinkBatch | None:
    upload = form.cleaned_data["file"]
    kind, flow = form.cleaned_data["kind"], form.cleaned_data["flow"]
    if kind != Link.Kind.CONNECT:
        flow = None
    org_name = flow.org_name if flow else settings.LEAP_ORG_NAME
    if upload.size > bulk.MAX_BYTES:
        form.add_error(
            "file", f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is 10 MB."
        )
        return None
    try:
        parsed = bulk.parse_csv(
            upload.file,
            kind=kind,
            flow=flow,
            org_name=org_name,
            use_extra_columns=form.cleaned_data["use_extra_columns"],
        )
    except FileProblem as problem:
        form.add_error("file", str(problem))
        return None
    finally:
        upload.close()
    return LinkBatch.objects.create(
        org_name=org_name,
        flow=flow,
        kind=kind,
        filename=upload.name[:255],
        rows=parsed.table.kept,
        errors=parsed.table.errors,
        error_count=parsed.table.error_count,
        param_columns=parsed.param_columns,
        ignored_columns=parsed.ignored_columns,
        total_rows=parsed.table.total,
        created_by_id=request.user.pk,
    )


@dataclass(frozen=True)
class Pending:
    """What confirming would change: new links, opt-outs of customers imported before."""

    new: int
    existing: int
    opt_outs: int
    warnings: int

    @property
    def anything(self) -> bool:
        return bool(self.new or self.opt_outs)


def pending(batch: LinkBatch) -> Pending:
    existing = [r for r in batch.rows if r.get("existing")]
    return Pending(
        new=len(batch.rows) - len(existing),
        existing=len(existing),
        opt_outs=sum(1 for r in existing if r.get("do_not_contact")),
        warnings=len(_warned(batch)),
    )


def _warned(batch: LinkBatch) -> list[dict[str, Any]]:
    """New rows kept with a warning (a row imported before is not created again)."""
    return [r for r in batch.rows if r.get("warning") and not r.get("existing")]


@dashboard_view
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(LinkBatch.objects.select_related("flow"), pk=pk)
    context = {
        "batch": batch,
        "pending": pending(batch),
        "errors": batch.errors[:ERRORS_SHOWN],
        "more_errors": max(batch.error_count - ERRORS_SHOWN, 0),
        "warnings": _warned(batch)[:ERRORS_SHOWN],
        "sample": batch.rows[:10],
    }
    return render(request, "links/batch.html", context)


@dashboard_view
@require_POST
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(LinkBatch, pk=pk)
    if batch.created_by_id != request.user.pk and not is_ops(request.user):
        raise PermissionDenied("Only the person who uploaded this file, or ops, may import it.")
    if batch.status != LinkBatch.Status.PREVIEW:
        messages.info(request, "This upload was already handled; nothing was imported again.")
        return redirect("links:batch", pk=batch.pk)
    if not pending(batch).anything:
        messages.error(request, "Nothing to create: every valid row was imported before.")
        return redirect("links:batch", pk=batch.pk)
    try:
        created = batches.import_batch(batch.pk)
    except batches.ImportConflict as conflict:
        taken = ", ".join(conflict.ref_ids[:10])
        messages.error(
            request,
            "Nothing was imported: since the preview, other links took "
            f"{len(conflict.ref_ids) or 'some'} of these refIds{': ' + taken if taken else ''}. "
            "Upload the file again to see the current state.",
        )
        return redirect("links:batch", pk=batch.pk)
    noun = "link" if created == 1 else "links"
    messages.success(request, f"{created:,} {noun} created. Download the results for their URLs.")
    return redirect("links:batch", pk=batch.pk)


@dashboard_view
@require_POST
def batch_discard(request: HttpRequest, pk: int) -> HttpResponse:
    batches = LinkBatch.objects.filter(pk=pk, status=LinkBatch.Status.PREVIEW)
    if not is_ops(request.user):
        batches = batches.filter(created_by=request.user.pk)  # someone else's stays
    updated = batches.update(status=LinkBatch.Status.DISCARDED, rows=[], errors=[])
    if updated:
        messages.info(request, "Upload discarded; nothing was imported.")
    return redirect("links:upload")


RESULT_HEADER = ["line", "status", "ref_id", "name", "email", "url", "column", "message"]


@dashboard_view
@require_GET
def batch_result(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole upload in one file, by line: each row's status (created, warning, existing,
    error; "to create" before confirmation), its URL, and what is wrong or worth knowing."""
    batch = get_object_or_404(LinkBatch, pk=pk)
    imported = batch.status == LinkBatch.Status.IMPORTED
    rows = (_result_row(r, imported) for r in batch.rows)
    errors = (
        [e["line"], "error", *(e.get(k, "") for k in bulk.IDENTITY), "", e["column"], e["message"]]
        for e in batch.errors
    )
    lines = heapq.merge(rows, errors, key=lambda cells: int(cells[0]))
    return csv_response(f"links-batch-{batch.pk}.csv", RESULT_HEADER, lines)


def _result_row(row: dict[str, Any], imported: bool) -> list[object]:
    if row.get("existing"):
        status = "existing"
    elif row.get("warning"):
        status = "warning"
    else:
        status = "created" if imported else "to create"
    column = "email" if status == "warning" else ""
    message = row.get("warning", "") if status == "warning" else ""
    return [
        row["line"],
        status,
        row["ref_id"],
        row["name"],
        row["email"],
        row["url"],
        column,
        message,
    ]
