from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leapdash.accounts.roles import dashboard_view


@dashboard_view
@require_GET
def connection_list(request: HttpRequest) -> HttpResponse:
    return render(request, "connections/list.html")
