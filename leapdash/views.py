"""The home page: what needs attention now, and how fresh the data is."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leapdash.accounts.roles import dashboard_view
from leapdash.runs.tracking import last_runs


@dashboard_view
@require_GET
def home(request: object) -> HttpResponse:
    return render(request, "home.html", {"runs": last_runs()})  # type: ignore[arg-type]
