"""Sync health: every SyncRun, newest first, the live progress of running ones, and the age of
the last good sync per kind."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import dashboard_view
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.idle import polls

from .freshness import refresh_state
from .models import SyncRun
from .tracking import SCHEDULED_KINDS, freshness, last_runs, last_success_at


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
    latest = last_runs()
    health = [{"fresh": f, "last": latest.get(f.kind)} for f in freshness(now)]
    # Runs older than the task time limit died with their worker: do not poll those forever.
    alive_since = now - timedelta(seconds=settings.SYNC_TASK_TIME_LIMIT)
    running = SyncRun.objects.filter(status=SyncRun.Status.RUNNING, started_at__gte=alive_since)
    context = {
        "page": page,
        "health": health,
        "kinds": [(k, SyncRun.Kind(k).label) for k in SCHEDULED_KINDS],
        "kind": kind,
        "running": list(running.order_by("started_at")),
        "stale_hours": settings.SYNC_STALE_WARNING_HOURS,
    }
    template = "runs/_table.html" if is_partial(request) else "runs/list.html"
    return render(request, template, context)


@polls  # the card refreshes itself: not the user's activity
@dashboard_view
@require_GET
def run_progress(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One run's progress card; it polls itself every 2 s only while the run is running."""
    run = get_object_or_404(SyncRun, pk=pk)
    return render(request, "runs/_progress.html", {"run": run})


@polls  # the inline refresh status polls itself: not the user's activity
@dashboard_view
@require_GET
def refresh_status(request: HtmxHttpRequest, kind: str) -> HttpResponse:
    """What became of a "Refresh from Leap" asked at ?after=: queued, running (polling every
    2 s) or its result; when it succeeded, the page's "Leap data as of" is swapped too."""
    if kind not in SCHEDULED_KINDS:
        raise Http404("No such sync.")
    try:
        after = datetime.fromisoformat(request.GET.get("after", ""))
    except ValueError:
        return HttpResponseBadRequest("after must be an ISO 8601 time.")
    if after.tzinfo is None:
        return HttpResponseBadRequest("after needs a UTC offset.")
    refresh = refresh_state(kind, after, timezone.now())
    context: dict[str, object] = {"refresh": refresh}
    if refresh.state == SyncRun.Status.SUCCEEDED:
        context["as_of"] = {"kind": kind, "at": last_success_at(kind)}
    return render(request, "runs/_refresh.html", context)
