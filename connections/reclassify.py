"""Classify stored connections again from their last Leap record, without asking Leap.

A verdict depends on more than Leap's record: the customer's type and their flow's follow-up
choice (which change when a link appears or a flow is edited: queued then, by the signals
below), the clock (a manual review goes to ops after a few days) and the rules themselves
(RULES_VERSION: both checked at the end of every sync). The hourly sync only re-reads records
Leap changed, so these connections are put through the same write path here, from the record
kept in Connection.raw: an unchanged verdict writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from leapdash.leap.client import Page
from leapdash.leap.records import ConnectionRecord, RecordError, parse_connection
from leapdash.runs.tracking import SyncCounts
from links.models import Flow, Link, RefIdAlias

from .choices import Action
from .models import Connection
from .status import RULES_VERSION
from .sync import write_page

CHUNK = 500


def needing_reclassification(now: datetime) -> QuerySet[Connection]:
    """Connections whose verdict the clock or the rules changed (two index scans). A new link
    or a flow's change is handled when it happens (the signals below)."""
    escalation_due = Q(next_action=Action.PROVIDER_REVIEW, actionable_at__lte=now)
    older_rules = Q(rules_version__lt=RULES_VERSION)
    return Connection.objects.filter(escalation_due | older_rules)


def reclassify(
    ref_ids: Sequence[str], *, now: datetime, counts: SyncCounts | None = None
) -> SyncCounts:
    """Re-run the verdict of these refIds from their stored records."""
    counts = counts if counts is not None else SyncCounts()
    for start in range(0, len(ref_ids), CHUNK):
        chunk = ref_ids[start : start + CHUNK]
        raws = Connection.objects.filter(ref_id__in=chunk).values_list("raw", flat=True)
        records: list[ConnectionRecord] = []
        errors: list[RecordError] = []
        for raw in raws:
            try:
                records.append(parse_connection(raw))
            except RecordError as exc:  # a placeholder from a webhook: no record yet
                errors.append(exc)
        write_page(Page(records, errors, None, 0), now=now, counts=counts)
    return counts


def reclassify_due(now: datetime) -> SyncCounts:
    """The sync's last step: every connection whose verdict may be out of date, a chunk at a
    time in id order (each chunk is written before the next is read)."""
    counts = SyncCounts()
    after = 0
    while True:
        rows = list(
            needing_reclassification(now)
            .filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "ref_id")[:CHUNK]
        )
        if not rows:
            return counts
        after = rows[-1][0]
        reclassify([ref for _, ref in rows], now=now, counts=counts)


def on_link_saved(sender: type[Link], instance: Link, created: bool, **kwargs: object) -> None:
    """A new link may be the one a stored connection was waiting for (its customer type)."""
    if created:
        on_links_created(sender, ref_ids=[instance.ref_id])


def on_links_created(sender: type[Link], ref_ids: list[str], **kwargs: object) -> None:
    """Links made in bulk (an import): the connections already stored for their refIds."""
    known: list[str] = []
    for start in range(0, len(ref_ids), CHUNK):
        chunk = ref_ids[start : start + CHUNK]
        known += Connection.objects.filter(ref_id__in=chunk).values_list("ref_id", flat=True)
    if known:
        _queue(known)


def on_aliases_deleted(sender: type[RefIdAlias], ref_ids: list[str], **kwargs: object) -> None:
    """The connections of deleted aliases lose their link at their next classification."""
    _queue(ref_ids)


def on_flow_saved(sender: type[Flow], instance: Flow, created: bool, **kwargs: object) -> None:
    """A flow's customer type or follow-up choice changes the verdicts of its customers."""
    if not created:
        refs = Connection.objects.filter(link__flow=instance).values_list("ref_id", flat=True)
        if refs.exists():
            _queue(list(refs))


def _queue(ref_ids: list[str]) -> None:
    from .tasks import reclassify_connections_task  # tasks imports this module

    transaction.on_commit(lambda: reclassify_connections_task.delay(ref_ids))
