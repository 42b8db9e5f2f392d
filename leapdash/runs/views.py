"""Sync health: every SyncRun, newest first, with the age of the last good sync per kind."""

from datetime import timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import dashboard_view
from leapdash.htmx import HtmxHttpRequest, is_partial

from .models import SyncRun
from .tracking import last_success_at


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def run_list(request: HtmxHttpRequest) -> HttpResponse:
    runs = SyncRun.objects.all()
    kind = request.GET.get("kind", "")
    if kind in SyncRun.Kind.values:
        runs = runs.filter(kind=kind)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    stale_after = timedelta(hours=settings.SYNC_STALE_WARNING_HOURS)
    health = []
    for value, label in SyncRun.Kind.choices:
        at = last_success_at(value)
        health.append({"kind": label, "at": at, "stale": at is None or now - at > stale_after})
    context = {"page": page, "health": health, "kinds": SyncRun.Kind.choices, "kind": kind}
    template = "runs/_table.html" if is_partial(request) else "runs/list.html"
    return render(request, template, context)
