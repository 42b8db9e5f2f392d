"""The outgoing hook's settings page (ops)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from leapdash.accounts.roles import ops_view
from leapdash.htmx import HtmxHttpRequest

from ..cadence import HORIZON
from ..forms import HookForm
from ..models import OutgoingHook
from ..tasks import post_due_touches_task


@ops_view
@require_http_methods(["GET", "POST"])
def hook_settings(request: HtmxHttpRequest) -> HttpResponse:
    hook = OutgoingHook.load()
    form = HookForm(request.POST or None, instance=hook)
    if request.method == "POST":
        if request.POST.get("send_now") == "1" and hook.enabled and hook.url:
            transaction.on_commit(lambda: post_due_touches_task.delay())
            messages.success(request, "Due touches will be posted to the hook shortly.")
            return redirect("connections:hook")
        if form.is_valid():
            form.save()
            messages.success(request, "Outgoing hook saved.")
            return redirect("connections:hook")
    context = {"form": form, "hook": hook, "window_days": HORIZON.days}
    return render(request, "connections/hook.html", context)
