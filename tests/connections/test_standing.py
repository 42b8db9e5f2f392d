"""One status per customer: where each customer to re-engage stands (due.py), and every page
that counts them agrees (home, queue, the connections list)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from connections.badges import status_note
from connections.cadence import CadenceState, NextTouch, Policy, describe_touch
from connections.due import Standing, due_ids, standing_counts, standing_rows
from connections.models import Connection, Touchpoint
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link

from .builders import PGE, conn, page_of, util

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(midday):
    """One customer in each standing: due, waiting (touched an hour ago), finished (a week
    old), skipped, opted out, and one in progress (not to re-engage)."""
    now = timezone.now()
    stale, old = now - timedelta(hours=3), now - timedelta(days=9)
    records = [
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN", at=stale), ref_id="due", last=stale),
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN", at=stale), ref_id="touched", last=stale),
        conn("NOT_STARTED", ref_id="old", last=old),
        conn("NOT_STARTED", ref_id="skipped", last=stale),
        conn("NOT_STARTED", ref_id="optout", last=stale),
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN", at=now), ref_id="active", last=now),
    ]
    for r in records:
        Link.objects.create(
            org_name="demo", ref_id=r.ref_id, url="https://x", customer_name=r.ref_id
        )
    Link.objects.filter(ref_id="optout").update(do_not_contact=True)
    write_page(page_of(records), now=now, counts=SyncCounts())
    for ref, outcome in (("touched", "sent"), ("skipped", "skipped")):
        c = Connection.objects.get(ref_id=ref)
        Touchpoint.objects.create(
            connection=c,
            touch=1,
            outcome=outcome,
            at=now - timedelta(hours=1),
            abandoned_at=c.last_interaction_at,
            key=f"k-{ref}",
            message_key=c.message_key,
        )
    return now


@pytest.mark.parametrize(
    ("standing", "refs"),
    [
        (Standing.DUE, {"due"}),
        (Standing.WAITING, {"touched"}),
        (Standing.FINISHED, {"old", "skipped"}),
        (Standing.OPTED_OUT, {"optout"}),
    ],
)
def test_each_customer_to_reengage_stands_in_exactly_one_place(customers, standing, refs):
    rows = standing_rows(Connection.objects.all(), standing, customers)
    assert set(rows.values_list("ref_id", flat=True)) == refs


def test_the_counts_are_the_rows(customers):
    counts = standing_counts(customers)
    for standing in Standing.values:
        total = sum(per.get(standing, 0) for per in counts.values())
        assert total == standing_rows(Connection.objects.all(), standing, customers).count()
    assert due_ids(customers) == [Connection.objects.get(ref_id="due").pk]


def _number(page: str, key: str) -> int:
    match = re.search(rf'data-home-count="{key}">.*?(\d+) <small>', page, re.S)
    assert match, key
    return int(match.group(1))


def _href(page: str, key: str) -> str:
    match = re.search(rf'<a href="([^"]+)" data-home-count="{key}">', page)
    assert match, key
    return match.group(1).replace("&amp;", "&")


def test_every_home_count_links_to_exactly_its_rows_and_due_now_is_the_queues(pm_client, customers):
    home = pm_client.get("/").content.decode()
    keys = [*Standing.values, "action-TAILORED_MESSAGE", "action-due-TAILORED_MESSAGE"]
    keys += ["action-RESEND_LINK", "action-due-RESEND_LINK", "status-ERROR"]
    for key in keys:
        listed = pm_client.get(_href(home, key)).context["total"]
        assert not listed.capped
        assert listed.n == _number(home, key), key
    queue = pm_client.get("/connections/queue/").context
    assert queue["count"] == _number(home, "due") == 1
    assert _number(home, "action-TAILORED_MESSAGE") == 2  # to re-engage; 1 due now
    assert _number(home, "action-due-TAILORED_MESSAGE") == 1


NOON = datetime(2026, 5, 1, 16, 8, tzinfo=UTC)  # 09:08 in Los Angeles


@pytest.mark.parametrize(
    ("touch", "expected"),
    [
        (
            NextTouch(CadenceState.SCHEDULED, 2, NOON, NOON - timedelta(days=1)),
            "Next re-engagement touch: touch 2 of 3, from May 1, 16:08 UTC (09:08 in the "
            "customer's time zone, America/Los_Angeles), a day after the abandonment; never "
            "within 20 h of the previous touch, and only during the customer's day (08:00–20:00).",
        ),
        (
            NextTouch(CadenceState.DUE, 1, NOON, NOON, early=True),
            "Touch 1 of 3 is due since May 1, 16:08 UTC (09:08 in the customer's time zone, "
            "America/Los_Angeles): it is in the re-engagement queue.",
        ),
        (NextTouch(CadenceState.SNOOZED), "Re-engagement: snoozed."),
    ],
)
def test_the_next_touch_says_which_when_and_why(touch, expected):
    assert describe_touch(touch, Policy()) == expected


@pytest.mark.parametrize(
    ("status", "action", "says"),
    [
        ("ERROR", "IN_PROGRESS", "Leap reports Error, but the customer was active"),
        ("ERROR", "TAILORED_MESSAGE", ""),
        ("COMPLETED", "WAIT_FOR_METERS", ""),
    ],
)
def test_in_progress_beside_an_error_badge_is_explained(status, action, says):
    note = status_note(status, action, NOON)
    assert note.startswith(says) if says else note == ""
    if says:
        assert "from 16:08 UTC" in note


def test_the_connection_page_explains_in_progress_and_the_next_touch(pm_client, customers):
    active = Connection.objects.get(ref_id="active")
    page = pm_client.get(f"/connections/{active.pk}/").content.decode()
    assert "data-status-note>Leap reports Error" in page
    due = Connection.objects.get(ref_id="due")
    page = pm_client.get(f"/connections/{due.pk}/").content.decode()
    assert "Touch 1 of 3 is due since" in page
