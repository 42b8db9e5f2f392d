"""The funnel page and its CSVs: the stages per flow, the drop-offs by error code and each
cadence experiment's variants (connections.funnel counts them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import dashboard_view
from leapdash.csvs import csv_response
from leapdash.htmx import HtmxHttpRequest, is_partial, push_clean_url
from leapdash.kept import Kept
from links.models import Link

from ..experiments import CHART_DAYS
from ..filters import FunnelFilter
from ..funnel import (
    BAR_HEIGHT,
    STAGES,
    STEP_HEIGHT,
    FunnelCounts,
    kept_funnel,
    stages_of,
    variant_sections,
)


def _funnel_data(request: HtmxHttpRequest) -> tuple[FunnelFilter, Kept[FunnelCounts]]:
    """The filter and its kept counts, named by the filter's valid values alone."""
    filterset = FunnelFilter(request.GET, queryset=Link.objects.all())
    chosen = filterset.form.cleaned_data if filterset.is_valid() else {}
    name = urlencode(sorted((k, str(getattr(v, "pk", v))) for k, v in chosen.items() if v))
    return filterset, kept_funnel(name, filterset.qs, timezone.now())


def _totals(flows: list[dict[str, Any]]) -> dict[str, int]:
    return {key: sum(int(f[key]) for f in flows) for key, _ in STAGES}


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def funnel(request: HtmxHttpRequest) -> HttpResponse:
    filterset, counts = _funnel_data(request)
    flows = counts.value.flows
    stages = stages_of(_totals(flows))
    chart_height = len(STAGES) * STEP_HEIGHT
    context = {
        "filter": filterset,
        "flows": flows,
        "stages": stages,
        "errors": counts.value.errors,
        "counted_at": counts.as_of,
        "chart": {"height": chart_height, "bar_height": BAR_HEIGHT},
        "experiments": variant_sections(filterset.qs),
        "chart_days": CHART_DAYS,
    }
    template = "connections/_funnel.html" if is_partial(request) else "connections/funnel.html"
    return push_clean_url(request, render(request, template, context))


def _csv_rows(flows: list[dict[str, Any]], errors: list[dict[str, Any]]) -> Iterator[list[object]]:
    for f in flows:
        name = f"{f['flow__org_name']}/{f['flow__title']}" if f["flow_id"] else "Direct to utility"
        yield [name, f["flow__campaign"] or "", *(f[key] for key, _ in STAGES)]
    totals = _totals(flows)
    yield ["Total", "", *(totals[key] for key, _ in STAGES)]
    yield []
    yield ["error_code", "label", "connections", "who_acts"]
    for e in errors:
        yield [e["error_code"], e["label"], e["connections"], e["who_acts"]]


@dashboard_view
@require_GET
def funnel_csv(request: HtmxHttpRequest) -> HttpResponse:
    _, counts = _funnel_data(request)
    header = ["flow", "campaign", *(key for key, _ in STAGES)]
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    rows = _csv_rows(counts.value.flows, counts.value.errors)
    return csv_response(f"funnel-{stamp}.csv", header, rows)


VARIANT_HEADER = [
    "experiment",
    "flow",
    "variant",
    "holdout",
    "abandoned",
    "touched",
    "completed_7d",
    "completed_7d_pct",
    "median_hours_first_touch_to_completion",
    "p_value_vs_first",
    "verdict",
]


def _variant_rows(sections: list[dict[str, Any]]) -> Iterator[list[object]]:
    for section in sections:
        e = section["experiment"]
        for arm in section["arms"]:
            r, cmp = arm.result, arm.comparison
            yield [
                e.name,
                str(e.flow),
                arm.name,
                "yes" if arm.holdout else "",
                r.abandoned,
                r.touched,
                r.completed,
                "" if arm.rate_percent is None else f"{arm.rate_percent:.1f}",
                "" if r.median_hours is None else f"{r.median_hours:.1f}",
                "" if cmp is None or cmp.p_value is None else f"{cmp.p_value:.4f}",
                "baseline" if cmp is None else cmp.words,
            ]


@dashboard_view
@require_GET
def funnel_variants_csv(request: HtmxHttpRequest) -> HttpResponse:
    filterset = FunnelFilter(request.GET, queryset=Link.objects.all())
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    rows = _variant_rows(variant_sections(filterset.qs))
    return csv_response(f"funnel-variants-{stamp}.csv", VARIANT_HEADER, rows)
