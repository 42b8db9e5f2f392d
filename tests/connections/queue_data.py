"""Queue test data: one connection due for each touch and some that owe the customer nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from connections.models import Connection, Touchpoint
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Flow, Link

from .builders import PGE, SCE, conn, page_of, util

# 12:00 in Los Angeles: inside the customers' allowed hours
NOON = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
H = timedelta(hours=1)


def store(*records):
    write_page(page_of(list(records)), now=timezone.now(), counts=SyncCounts())


def link(ref, name="", **extra):
    return Link.objects.create(
        org_name="acme", ref_id=ref, customer_name=name, url=f"https://l.example/{ref}", **extra
    )


def manual_touch(c, n, at, abandoned_at):
    key = f"manual-{c.pk}-{n}"
    Touchpoint.objects.create(connection=c, touch=n, at=at, abandoned_at=abandoned_at, key=key)


def make_due() -> dict:
    """One connection due for each touch, and one of each kind that owes the customer nothing."""
    now = timezone.now()
    flow = Flow.objects.create(org_name="acme", title="home", customer_type="residential")
    for ref, name in [("t1", "Ana <i>"), ("t2", "Ben"), ("t3", "Cy")]:
        link(ref, name)
    link("opted", "Di", do_not_contact=True)
    link("parked", "Ed", flow=flow, customer_type="residential")
    a1, a2, a3 = now - 2 * H, now - 26 * H, now - 73 * H
    store(
        conn("NOT_STARTED", ref_id="t1", last=a1),
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN", at=a2), ref_id="t2", last=a2),
        conn("NOT_STARTED", ref_id="t3", last=a3),
        conn("NOT_STARTED", ref_id="soon", last=now - timedelta(minutes=1)),
        conn("COMPLETED", util(PGE), ref_id="done", last=now - 2 * H),
        conn("NOT_STARTED", ref_id="old", last=now - timedelta(days=8)),
        conn("NOT_STARTED", ref_id="opted", last=a1),
        conn("PARTIAL", util(PGE, "NOT_CONNECTED"), util(SCE, required=False), ref_id="parked"),
        conn("ERROR", util(PGE, "ERROR", "PENDING_MANUAL_REVIEW"), ref_id="pmr", last=a1),
    )
    t2, t3 = Connection.objects.get(ref_id="t2"), Connection.objects.get(ref_id="t3")
    manual_touch(t2, 1, a2 + H, a2)
    manual_touch(t3, 1, a3 + H, a3)
    manual_touch(t3, 2, a3 + 24 * H, a3)
    return {c.ref_id: c for c in Connection.objects.all()}


def due_refs(page: str) -> set[str]:
    refs = {"t1", "t2", "t3", "soon", "done", "old", "opted", "parked", "pmr"}
    return {r for r in refs if f'data-ref-id="{r}"' in page}
