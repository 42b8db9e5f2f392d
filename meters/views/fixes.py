"""Reference fixes: preview the new partner_reference of one or more meters, confirm, and send
them to Leap."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from leapdash.accounts.roles import SEND_FIX_PERMISSION, dashboard_view, may
from leapdash.htmx import HtmxHttpRequest
from leapdash.leap.client import LeapClient

from .. import fixes
from ..arrival import overdue_after
from ..models import (
    Meter,
)
from .meters import detail_context


def _posted_pairs(request: HtmxHttpRequest) -> list[tuple[Meter, str]]:
    """`fix` values "<meter pk>:<reference>" (checkboxes), or `meter` + `reference` (a form)."""
    wanted: dict[int, str] = {}
    for value in request.POST.getlist("fix"):
        pk, _, reference = value.partition(":")
        if pk.isdigit():
            wanted[int(pk)] = reference
    meter_pk = request.POST.get("meter", "")
    if meter_pk.isdigit():
        wanted[int(meter_pk)] = request.POST.get("reference", "")
    meters = Meter.objects.defer("raw").in_bulk(list(wanted))
    return [(meters[pk], ref) for pk, ref in wanted.items() if pk in meters]


def _confirmed_moves(request: HtmxHttpRequest) -> set[int]:
    """The meters (pks) the user confirmed moving to another customer's refId."""
    return {int(v) for v in request.POST.getlist("move") if v.isdigit()}


def _form_problem(request: HtmxHttpRequest, previewed: list[fixes.Fix]) -> HttpResponse | None:
    """The meter page's form again, the error beside the field and the typed value kept, when
    its one reference cannot be used."""
    if "reference" not in request.POST or len(previewed) != 1:
        return None
    [fix] = previewed
    if fix.status not in ("invalid", "unchanged"):
        return None
    context = detail_context(fix.meter)
    context.update(reference=request.POST["reference"], reference_error=fix.message)
    return render(request, "meters/detail.html", context)


@dashboard_view
@require_POST
def fix_references(request: HtmxHttpRequest) -> HttpResponse:
    """Preview the changes; with `confirm`, send them to Leap and show each meter's outcome.
    A move to another customer's refId needs its `move` box ticked, or nothing is sent."""
    pairs = _posted_pairs(request)
    allowed = may(request.user, SEND_FIX_PERMISSION)  # anyone previews; ops send to Leap
    previewed = fixes.preview(pairs)
    problem = _form_problem(request, previewed)
    if problem is not None:
        return problem
    confirmed = _confirmed_moves(request)
    sending = request.POST.get("confirm") == "1" and bool(pairs)
    refused = fixes.unconfirmed(previewed, confirmed) if sending else []
    if not sending or refused:
        context = {
            "fixes": previewed,
            "sendable": allowed and any(f.sendable for f in previewed),
            "needs_ops": not allowed,
            "confirmed": confirmed,
            "refused": {f.meter.pk for f in refused},
        }
        return render(request, "meters/fix_preview.html", context, status=400 if refused else 200)
    if not allowed:
        raise PermissionDenied("Sending reference fixes to Leap is for ops.")
    with LeapClient.from_settings() as client:
        done = fixes.apply(
            client=client,
            pairs=pairs,
            user_id=request.user.pk,
            now=timezone.now(),
            overdue_after=overdue_after(),
            confirmed=confirmed,
        )
    return render(request, "meters/fix_result.html", {"fixes": done})
