"""Confirming a previewed LinkBatch: its new links written all or none, opt-outs carried over
to customers imported before."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from connections.overview import forget_all as forget_overview

from .bulk import LOOKUP_CHUNK
from .models import Link, LinkBatch
from .signals import links_created


class ImportConflict(Exception):
    """Between preview and confirmation another link took some of the batch's refIds."""

    def __init__(self, ref_ids: list[str]) -> None:
        self.ref_ids = ref_ids
        super().__init__(f"{len(ref_ids)} refIds were taken since the preview")


def import_batch(batch_id: int) -> int:
    """Create the batch's new links, all or none; returns how many were created.

    Raises ImportConflict (nothing written) if another link took one of the refIds since the
    preview. A batch already imported creates nothing again.
    """
    with transaction.atomic():
        batch = LinkBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != LinkBatch.Status.PREVIEW:
            return 0
        new_rows = [r for r in batch.rows if not r.get("existing")]
        taken = _taken(batch.org_name, [r["ref_id"] for r in new_rows])
        if taken:
            raise ImportConflict(sorted(taken))
        links = [_link(batch, r) for r in new_rows]
        try:
            with transaction.atomic():
                Link.objects.bulk_create(links, batch_size=1000)
        except IntegrityError:
            # a concurrent import won the race on a refId; ours writes nothing
            raise ImportConflict([]) from None
        _carry_opt_outs(batch)
        batch.status = LinkBatch.Status.IMPORTED
        batch.created_links = len(links)
        batch.imported_at = timezone.now()
        batch.save(update_fields=["status", "created_links", "imported_at"])
        links_created.send(Link, ref_ids=[link.ref_id for link in links])
    return len(links)


def _taken(org_name: str, ref_ids: list[str]) -> set[str]:
    """The refIds another link holds already."""
    taken: set[str] = set()
    for start in range(0, len(ref_ids), LOOKUP_CHUNK):
        refs = ref_ids[start : start + LOOKUP_CHUNK]
        taken |= set(
            Link.objects.filter(org_name=org_name, ref_id__in=refs).values_list("ref_id", flat=True)
        )
    return taken


def _link(batch: LinkBatch, row: dict[str, Any]) -> Link:
    return Link(
        flow=batch.flow,
        kind=batch.kind,
        org_name=batch.org_name,
        ref_id=row["ref_id"],
        customer_name=row["name"],
        customer_email=row["email"],
        customer_external_id=row["external_id"],
        customer_type=row["customer_type"],
        utility=row["utility"],
        requested_utilities=row["requested"],
        redirect_params=row["params"],
        url=row["url"],
        do_not_contact=row.get("do_not_contact", False),
        batch=batch,
        created_by_id=batch.created_by_id,
    )


def _carry_opt_outs(batch: LinkBatch) -> None:
    """An opt-out in the file holds for a customer imported before too (never lifted here)."""
    opted_out = [r["ref_id"] for r in batch.rows if r.get("existing") and r.get("do_not_contact")]
    for start in range(0, len(opted_out), LOOKUP_CHUNK):
        Link.objects.filter(
            org_name=batch.org_name, ref_id__in=opted_out[start : start + LOOKUP_CHUNK]
        ).update(do_not_contact=True)
    forget_overview()
