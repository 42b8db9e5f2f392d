"""Needs attention: connections whose refId matches no link, the links each was probably meant
for (links.refids ranks them), and the one-click "This is <refId>" that records the alias.

Suggestions stay cheap at 10^6 links: a page of connections asks one query for candidates,
the few links next to each typed refId in look-alike-key order, forwards and reversed (both
indexed), so a slip early or late in the refId still leaves a neighbour that shares the rest.
Only those candidates are ranked in Python.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from leapdash.accounts.roles import dashboard_view
from leapdash.htmx import HtmxHttpRequest, is_partial
from leapdash.paging import CAP, CappedPaginator, RowCount, capped
from links.models import Link, RefIdAlias
from links.refids import Suggestion, lookalike_key, nearest

from .models import Connection
from .reclassify import reclassify
from .sync import mark_links_opened

log = logging.getLogger(__name__)
PAGE_SIZE = 50
NEIGHBOURS = 6  # links read on each side of a typed refId, in each of the two key orders


def unmatched_connections() -> QuerySet[Connection]:
    """Connections whose refId matches no link (and no alias): newest activity first."""
    return Connection.objects.filter(link__isnull=True).defer("raw")


def unmatched_count(cap: int = CAP) -> RowCount:
    """How many need attention, counted up to `cap` (a partial index holds only them)."""
    return capped(unmatched_connections().order_by().values("pk")[: cap + 1].count(), cap)


def _candidates_sql(typed: list[str]) -> tuple[str, list[str]]:
    table = Link._meta.db_table
    parts: list[str] = []
    params: list[str] = []
    for i, ref_id in enumerate(typed):
        key = lookalike_key(ref_id)
        for column, value in (("ref_key", key), ("ref_key_reversed", key[::-1])):
            for op, order in ((">=", ""), ("<", " DESC")):
                parts.append(
                    f"SELECT {i} AS n, ref_id FROM (SELECT ref_id FROM {table} "
                    f"WHERE {column} {op} %s ORDER BY {column}{order} LIMIT {NEIGHBOURS}) "
                    f"AS s{len(parts)}"
                )
                params.append(value)
    return " UNION ALL ".join(parts), params


def suggestions_for(typed: list[str]) -> dict[str, list[Suggestion]]:
    """The nearest existing link refIds of each typed refId: one query for all of them."""
    if not typed:
        return {}
    sql, params = _candidates_sql(typed)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    candidates: dict[int, list[str]] = {}
    for n, ref_id in found:
        candidates.setdefault(n, []).append(ref_id)
    return {ref_id: nearest(ref_id, candidates.get(i, [])) for i, ref_id in enumerate(typed)}


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


def attach(ref_id: str, link: Link) -> None:
    """Classify the connection again with its link found through the alias; a placeholder
    without a Leap record yet (from a webhook) just takes the link."""
    reclassify([ref_id], now=timezone.now())
    with transaction.atomic():
        if Connection.objects.filter(ref_id=ref_id, link__isnull=True).update(link=link):
            mark_links_opened([link.pk])
