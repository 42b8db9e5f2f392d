from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import dashboard_view, ops_view
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.runs.models import SyncRun

from .models import Connection, UtilityConnection
from .status import Action, ConnectionStatus
from .tasks import sync_connections_task


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def connection_list(request: HtmxHttpRequest) -> HttpResponse:
    rows = Connection.objects.select_related("link").prefetch_related(
        Prefetch("utilities", queryset=UtilityConnection.objects.order_by("position"))
    )
    status = request.GET.get("status", "")
    if status:
        rows = rows.filter(status=status)
    action = request.GET.get("next_action", "")
    if action:
        rows = rows.filter(next_action=action)
    page = Paginator(rows.order_by("-last_interaction_at", "pk"), 50).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "statuses": ConnectionStatus.choices,
        "actions": Action.choices,
        "status": status,
        "next_action": action,
    }
    template = "connections/_table.html" if is_partial(request) else "connections/list.html"
    return render(request, template, context)


@ops_view
@require_POST
def sync_now(request: HtmxHttpRequest) -> HttpResponse:
    """Queue a sync after this request commits; say so politely if one is already running."""
    # A run still marked running after the task time limit died with its worker: ignore it.
    cutoff = timezone.now() - timedelta(seconds=settings.SYNC_TASK_TIME_LIMIT)
    running = SyncRun.objects.filter(
        kind=SyncRun.Kind.CONNECTIONS, status=SyncRun.Status.RUNNING, started_at__gte=cutoff
    ).exists()
    if running:
        messages.info(request, "A connections sync is already running; it will pick up changes.")
    else:
        full = request.POST.get("full") == "1"
        transaction.on_commit(lambda: sync_connections_task.delay(full=full, trigger="manual"))
        messages.success(request, "Connections sync queued. Progress shows on Sync health.")
    return HttpResponseRedirect(reverse("runs:list"))
