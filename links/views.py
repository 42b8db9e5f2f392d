"""Flows, single links, the link table and its export, and the public final-redirect landing."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from connections.models import Connection
from connections.timeline import connection_context, with_details
from leapdash.accounts.roles import ALLOWLIST_PERMISSION, dashboard_view, may
from leapdash.csvs import csv_response
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.runs.freshness import data_as_of
from leapdash.runs.models import SyncRun
from meters.arrival import meters_of_ref

from . import builder
from .filters import LinkFilter
from .forms import FlowForm, LinkForm
from .models import CustomerType, Flow, LandingVisit, Link

PAGE_SIZE = 50
METERS_SHOWN = 50  # a link's page lists this many of its meters, newest first
# Query parameters of the landing that are ours, not the partner's redirect params.
LANDING_OWN_PARAMS = ("flow", "next")


# --- flows ------------------------------------------------------------------------------------


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


# --- one link ---------------------------------------------------------------------------------


def _qr_data_uri(url: str) -> str:
    # A data: URI keeps the SVG out of the HTML (no |safe) and is allowed by the CSP (img-src).
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


@dashboard_view
@require_http_methods(["GET", "POST"])
def link_new(request: HttpRequest) -> HttpResponse:
    initial: dict[str, object] = {k: v for k, v in request.GET.items() if k in LinkForm.base_fields}
    if "requested_utilities" in request.GET:
        initial["requested_utilities"] = request.GET.getlist("requested_utilities")
    form = LinkForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        link = _save_link(request, form)
        messages.success(request, f"Link for {link.ref_id} ready to send.")
        return redirect("links:detail", pk=link.pk)
    return render(request, "links/new.html", {"form": form, **_preview_context(form)})


@dashboard_view
@require_POST
def link_preview(request: HttpRequest) -> HttpResponse:
    """The live preview: validates the form as the user types and shows URL, copy and QR."""
    form = LinkForm(request.POST)
    form.is_valid()
    return render(request, "links/_preview.html", {"form": form, **_preview_context(form)})


def _preview_context(form: LinkForm) -> dict[str, object]:
    if form.offer_connect:
        return {"url": "", "qr": "", "connect_offer": _connect_offer(form)}
    if not form.is_bound or not form.url or form.errors:
        return {"url": "", "qr": ""}
    return {"url": form.url, "qr": _qr_data_uri(form.url)}


def _connect_offer(form: LinkForm) -> str:
    """The same customer as a Leap Connect link: a commercial customer cannot use Direct.

    The chosen utility becomes the requested one; the flow is filled in when exactly one
    commercial flow offers it (otherwise the person chooses, and the builder checks the flow).
    """
    keep = ("ref_id", "customer_name", "customer_email", "customer_external_id")
    query: dict[str, str] = {k: form.data.get(k, "") for k in keep}
    query.update(kind=Link.Kind.CONNECT, customer_type=CustomerType.COMMERCIAL)
    utility = form.data.get("utility", "")
    if utility:
        query["requested_utilities"] = utility
        flows = [
            flow
            for flow in Flow.objects.filter(customer_type=CustomerType.COMMERCIAL)
            if utility in builder.flow_utilities(flow.region, flow.utilities)
        ]
        if len(flows) == 1:
            query["flow"] = str(flows[0].pk)
    for key in ("redirect_params", "do_not_contact"):
        if form.data.get(key):
            query[key] = form.data[key]
    return f"{reverse('links:new')}?{urlencode(query)}"


def _save_link(request: HttpRequest, form: LinkForm) -> Link:
    data = form.cleaned_data
    is_connect = data["kind"] == Link.Kind.CONNECT
    link = form.existing or Link(org_name=data["org_name"], ref_id=data["ref_id"])
    link.kind = data["kind"]
    link.flow = data["flow"] if is_connect else None
    link.utility = "" if is_connect else data["utility"]
    link.requested_utilities = list(data["requested_utilities"]) if is_connect else []
    link.customer_name = data["customer_name"]
    link.customer_email = data["customer_email"]
    link.customer_external_id = data["customer_external_id"]
    link.customer_type = data["customer_type"]
    link.redirect_params = data["redirect_params"]
    # Re-sending never lifts an opt-out; only the link page's explicit switch does.
    link.do_not_contact = data["do_not_contact"] or link.do_not_contact
    link.url = form.url
    if link.pk is None:
        link.created_by_id = request.user.pk
    else:
        link.sent_at = None  # a re-sent link is marked sent again when it goes out
    link.save()
    return link


@dashboard_view
@require_GET
def link_detail(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(Link.objects.select_related("flow", "created_by"), pk=pk)
    visits = LandingVisit.objects.filter(ref_id=link.ref_id)[:10]
    # Leap's side of this customer: the Connect entry of the refId, and the meters carrying it
    found = with_details(Connection.objects.filter(Q(link=link) | Q(ref_id=link.ref_id)))
    now = timezone.now()
    context = {
        "link": link,
        "qr": _qr_data_uri(link.url),
        "visits": visits,
        "connections": [connection_context(c, now) for c in found.order_by("pk")],
        "meters": meters_of_ref(link.ref_id).order_by("-created_at", "pk")[:METERS_SHOWN],
    }
    return render(request, "links/detail.html", context)


@dashboard_view
@require_POST
def link_mark_sent(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(Link, pk=pk)
    Link.objects.filter(pk=link.pk).update(sent_at=timezone.now())
    messages.success(request, f"Link for {link.ref_id} marked as sent.")
    return redirect("links:detail", pk=link.pk)


@dashboard_view
@require_POST
def link_do_not_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn the customer's opt-out on or off; the re-engagement queue reads the flag."""
    link = get_object_or_404(Link, pk=pk)
    choice = request.POST.get("do_not_contact")
    if choice not in ("on", "off"):
        return HttpResponseBadRequest("do_not_contact must be on or off.")
    Link.objects.filter(pk=link.pk).update(do_not_contact=choice == "on")
    if choice == "on":
        messages.success(request, f"{link.ref_id} is marked do not contact: no more touches.")
    else:
        messages.success(request, f"{link.ref_id} may be contacted again.")
    return redirect("links:detail", pk=link.pk)


@dashboard_view
@require_GET
def link_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The link's QR code as an SVG file, for printing or mailing."""
    link = get_object_or_404(Link, pk=pk)
    svg = io.BytesIO()
    # a file, not inline markup: it needs the SVG namespace to open as an image anywhere
    segno.make(link.url, error="m").save(
        svg, kind="svg", scale=8, border=4, xmldecl=False, svgns=True, title=link.ref_id
    )
    response = HttpResponse(svg.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="link-{link.pk}-qr.svg"'
    return response


# --- the link table ---------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[LinkFilter, QuerySet[Link]]:
    filterset = LinkFilter(request.GET, queryset=Link.objects.select_related("flow"))
    rows = filterset.qs
    order = list(rows.query.order_by)
    # a unique tie-breaker keeps pages stable whatever the chosen sort
    rows = rows.order_by(*order, "-pk") if order else rows.order_by("-created_at", "-pk")
    return filterset, rows


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def link_list(request: HtmxHttpRequest) -> HttpResponse:
    filterset, rows = _filtered(request)
    page = Paginator(rows if filterset.is_valid() else Link.objects.none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context: dict[str, object] = {"filter": filterset, "page": page}
    context["sort"] = request.GET.get("sort", "")
    if is_partial(request):
        return render(request, "links/_table.html", context)
    # a link's progress comes from Leap's Connect data: the connections sync refreshes it
    context["as_of"] = data_as_of(SyncRun.Kind.CONNECTIONS, reverse("connections:sync_now"))
    return render(request, "links/list.html", context)


@dashboard_view
@require_GET
def link_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV, streamed row by row (any size)."""
    filterset, rows = _filtered(request)
    if not filterset.is_valid():
        rows = Link.objects.none()
    header = [
        "ref_id",
        "kind",
        "flow",
        "campaign",
        "customer_name",
        "customer_email",
        "external_id",
        "customer_type",
        "utilities",
        "url",
        "created_at",
        "sent_at",
        "first_opened_at",
        "do_not_contact",
    ]
    values = (
        [
            link.ref_id,
            link.kind,
            link.flow.title if link.flow else "",
            link.flow.campaign if link.flow else "",
            link.customer_name,
            link.customer_email,
            link.customer_external_id,
            link.customer_type,
            link.utility or " ".join(link.requested_utilities),
            link.url,
            _iso(link.created_at),
            _iso(link.sent_at),
            _iso(link.first_opened_at),
            "yes" if link.do_not_contact else "no",
        ]
        for link in rows.iterator(chunk_size=2000)
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return csv_response(f"links-{stamp}.csv", header, values)


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ""


# --- final-redirect landing (public) ----------------------------------------------------------


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
