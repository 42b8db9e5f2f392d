"""The partner's Leap Connect flows: the list, and the form to add or edit one."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from leapdash.accounts.roles import ALLOWLIST_PERMISSION, dashboard_view, may

from ..forms import FlowForm
from ..models import Flow


@dashboard_view
@require_GET
def flow_list(request: HttpRequest) -> HttpResponse:
    flows = Flow.objects.annotate(link_count=Count("links")).order_by("org_name", "title")
    landing = request.build_absolute_uri(reverse("links:done"))
    return render(request, "links/flows.html", {"flows": flows, "landing_url": landing})


@dashboard_view
@require_http_methods(["GET", "POST"])
def flow_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    flow = get_object_or_404(Flow, pk=pk) if pk is not None else None
    form = FlowForm(request.POST or None, instance=flow)
    if not may(request.user, ALLOWLIST_PERMISSION):
        # the allow-list decides where the public landing forwards customers: ops set it
        form.fields["forward_allowlist"].disabled = True
        form.fields["forward_allowlist"].help_text = "Set by ops (where the landing may forward)."
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Flow {saved} saved.")
        return redirect("links:flows")
    return render(request, "links/flow_form.html", {"form": form, "flow": flow})
