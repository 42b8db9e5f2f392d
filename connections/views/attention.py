"""Needs attention: the page of connections whose refId matches no link, and the one-click alias."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import dashboard_view
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.paging import CappedPaginator
from links.models import Link, RefIdAlias

from ..attention import PAGE_SIZE, attach, suggestions_for, unmatched_connections, unmatched_count
from ..models import Connection

log = logging.getLogger(__name__)


def _page_context(request: HtmxHttpRequest) -> dict[str, object]:
    rows = unmatched_connections().order_by("-last_interaction_at", "pk")
    paginator = CappedPaginator(rows, PAGE_SIZE, unmatched_count())
    page = paginator.get_page(request.GET.get("page"))
    suggestions = suggestions_for([c.ref_id for c in page.object_list])
    links = {
        link.ref_id: link
        for link in Link.objects.filter(
            ref_id__in=[s.ref_id for found in suggestions.values() for s in found]
        ).order_by("-pk")  # the oldest link of a refId wins, as in the sync
    }
    items = [
        {"c": c, "suggestions": [(s, links[s.ref_id]) for s in suggestions[c.ref_id]]}
        for c in page.object_list
    ]
    return {"page": page, "items": items, "total": paginator.total}


@dashboard_view
@require_GET
@vary_on_headers("HX-Request")
def attention(request: HtmxHttpRequest) -> HttpResponse:
    context = _page_context(request)
    partial = is_partial(request)
    template = "connections/_attention_table.html" if partial else "connections/attention.html"
    return render(request, template, context)


def _refused(request: HtmxHttpRequest, error: str) -> HttpResponse:
    return render(
        request,
        "connections/attention.html",
        {**_page_context(request), "error": error},
        status=400,
    )


def _chosen_link(request: HtmxHttpRequest) -> Link | None:
    """The link named by the form: a suggestion's id, or a refId typed by hand."""
    pk = request.POST.get("link", "").strip()
    if pk:
        return Link.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    ref_id = request.POST.get("ref_id", "").strip()
    return Link.objects.filter(ref_id=ref_id).order_by("pk").first() if ref_id else None


@dashboard_view
@require_POST
def confirm_alias(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Record that this connection's refId stands for the chosen link, then attach it (the
    sync and re-classification find the link through the alias from now on)."""
    c = get_object_or_404(Connection.objects.defer("raw"), pk=pk)
    link = _chosen_link(request)
    if link is None:
        return _refused(request, "Choose one of the suggested links, or type an existing refId.")
    if c.link_id is not None:
        return _refused(request, f"{c.ref_id} is already matched to a link.")
    try:
        with transaction.atomic():
            by = request.user if request.user.is_authenticated else None
            RefIdAlias.objects.create(ref_id=c.ref_id, link=link, created_by=by)
    except IntegrityError:
        return _refused(request, f"{c.ref_id} already has an alias.")
    log.info("refId alias %s -> %s recorded by %s", c.ref_id, link.ref_id, request.user)
    attach(c.ref_id, link)
    messages.success(request, f"{c.ref_id} is now matched to {link.ref_id}.")
    return redirect("connections:attention")
