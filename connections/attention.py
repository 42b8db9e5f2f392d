"""Needs attention: connections whose refId matches no link, the links each was probably meant
for (links.refids ranks them), and the one-click "This is <refId>" that records the alias.

Suggestions stay cheap at 10^6 links: a page of connections asks one query for candidates,
the few links next to each typed refId in look-alike-key order, forwards and reversed (both
indexed), so a slip early or late in the refId still leaves a neighbour that shares the rest.
Only those candidates are ranked in Python.
"""

from __future__ import annotations

from django.db import connection as db
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from leapdash.paging import CAP, RowCount, capped_count
from links.models import Link
from links.refids import Suggestion, lookalike_key, nearest

from . import sql
from .models import Connection
from .reclassify import reclassify
from .sync import mark_links_opened

PAGE_SIZE = 50


def unmatched_connections() -> QuerySet[Connection]:
    """Connections whose refId matches no link (and no alias): newest activity first."""
    return Connection.objects.filter(link__isnull=True).defer("raw")


def unmatched_count(cap: int = CAP) -> RowCount:
    """How many need attention, counted up to `cap` (a partial index holds only them)."""
    return capped_count(unmatched_connections(), cap)


def suggestions_for(typed: list[str]) -> dict[str, list[Suggestion]]:
    """The nearest existing link refIds of each typed refId: one query for all of them."""
    if not typed:
        return {}
    with db.cursor() as cursor:
        cursor.execute(*sql.link_neighbours([lookalike_key(ref_id) for ref_id in typed]))
        found = cursor.fetchall()
    candidates: dict[int, list[str]] = {}
    for n, ref_id in found:
        candidates.setdefault(n, []).append(ref_id)
    return {ref_id: nearest(ref_id, candidates.get(i, [])) for i, ref_id in enumerate(typed)}


def attach(ref_id: str, link: Link) -> None:
    """Classify the connection again with its link found through the alias; a placeholder
    without a Leap record yet (from a webhook) just takes the link."""
    reclassify([ref_id], now=timezone.now())
    with transaction.atomic():
        if Connection.objects.filter(ref_id=ref_id, link__isnull=True).update(link=link):
            mark_links_opened([link.pk])
