"""A new link: the form, its live preview (URL and QR code), and saving or re-sending it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from leapdash.accounts.roles import dashboard_view

from .. import builder
from ..forms import LinkForm
from ..models import CustomerType, Flow, Link
from ..qr import qr_data_uri


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
    return {"url": form.url, "qr": qr_data_uri(form.url)}


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
