""" "Leap data as of …" on the pages people work from, and the inline "Refresh from Leap": what
became of the sync a click asked for, polled until that run ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from leapdash.htmx import HtmxHttpRequest

from .models import SyncRun
from .tracking import last_success_at


def data_as_of(kind: str, refresh_url: str) -> dict[str, object]:
    """The end of the last good run of `kind` (None: never), and where its refresh is posted.
    One query on the (kind, status, started_at) index."""
    return {"kind": kind, "at": last_success_at(kind), "refresh_url": refresh_url}


def alive_run(kind: str, now: datetime) -> SyncRun | None:
    """The run of `kind` in progress; one still marked running after the task time limit died
    with its worker and does not count."""
    cutoff = now - timedelta(seconds=settings.SYNC_TASK_TIME_LIMIT)
    return (
        SyncRun.objects.filter(kind=kind, status=SyncRun.Status.RUNNING, started_at__gte=cutoff)
        .order_by("started_at", "pk")
        .first()
    )


@dataclass(frozen=True)
class Refresh:
    """The state of a refresh asked for at `after`: "queued" until a worker starts the run, then
    the run's own status. A run that already ended is never shown as queued."""

    kind: str
    after: datetime
    state: str
    run: SyncRun | None

    @property
    def polling(self) -> bool:
        return self.state in ("queued", SyncRun.Status.RUNNING)

    @property
    def poll_url(self) -> str:
        url = reverse("runs:refresh", args=[self.kind])
        return f"{url}?{urlencode({'after': self.after.isoformat()})}"


def refresh_state(kind: str, after: datetime, now: datetime) -> Refresh:
    """The first run of `kind` started at or after `after`. A skipped run (another held the
    lock) gives way to the run that held it, when one started since; otherwise it is the
    result. Nothing after the task time limit: the request was lost."""
    runs = SyncRun.objects.filter(kind=kind, started_at__gte=after).order_by("started_at", "pk")
    run = runs.exclude(status=SyncRun.Status.SKIPPED).first() or runs.first()
    if run is not None:
        return Refresh(kind, after, run.status, run)
    if now - after > timedelta(seconds=settings.SYNC_TASK_TIME_LIMIT):
        return Refresh(kind, after, "lost", None)
    return Refresh(kind, after, "queued", None)


def start_refresh(kind: str, now: datetime, enqueue: Callable[[], object]) -> tuple[Refresh, bool]:
    """Queue a sync of `kind` once this request commits, unless one is running: then follow
    that one. Returns what to show and whether a sync was queued."""
    running = alive_run(kind, now)
    if running is not None:
        return Refresh(kind, running.started_at, running.status, running), False
    transaction.on_commit(enqueue)
    return Refresh(kind, now, "queued", None), True


def refresh_response(
    request: HtmxHttpRequest, kind: str, enqueue: Callable[[], object]
) -> HttpResponse:
    """A list's "Refresh from Leap": queue the kind's sync after this request commits, or
    follow the one running; htmx gets the run's inline progress, a plain POST Sync health."""
    refresh, queued = start_refresh(kind, timezone.now(), enqueue)
    if request.htmx:
        return render(request, "runs/_refresh.html", {"refresh": refresh})
    name = SyncRun.Kind(kind).label.lower()
    if queued:
        messages.success(
            request, f"{name.capitalize()} sync queued. Progress shows on Sync health."
        )
    else:
        messages.info(request, f"A {name} sync is already running; it will pick up changes.")
    return HttpResponseRedirect(reverse("runs:list"))
