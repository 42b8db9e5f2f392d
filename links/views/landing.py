"""Public: where Leap's final redirect can land (the customer's thank-you page)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .. import builder
from ..models import Flow, LandingVisit

# Query parameters of the landing that are ours, not the partner's redirect params.
LANDING_OWN_PARAMS = ("flow", "next")


@never_cache
@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """Where Leap's final redirect can point: thanks the customer, records an unverified visit.

    Anyone can forge this request, so it proves nothing and marks nothing connected or opened;
    it only notes that someone reached the thank-you page. The response is the same whether or
    not the refId is known. A forward goes only to a URL on the flow's allow-list (no open
    redirect).
    """
    pairs = ((key, value) for key, values in request.GET.lists() for value in values)
    data = builder.clean_landing(pairs, ignore=LANDING_OWN_PARAMS)
    flow_title = request.GET.get("flow", "")[:100]
    flows = list(Flow.objects.filter(title=flow_title)[:2]) if flow_title else []
    flow = flows[0] if len(flows) == 1 else None
    LandingVisit.objects.create(
        ref_id=data.ref_id,
        params=data.params,
        user_agent=request.headers.get("User-Agent", "")[: builder.LANDING_USER_AGENT_MAX],
        flow_title=flow_title,
    )
    # No Link is touched, not even first_opened_at: "opened" comes only from Leap's Connect
    # data (the sync), since this request proves nothing.
    target = request.GET.get("next", "")
    if flow is not None and target and target in flow.forward_allowlist:
        return HttpResponseRedirect(target)
    return render(request, "links/done.html", {"org_name": settings.LEAP_ORG_NAME})
