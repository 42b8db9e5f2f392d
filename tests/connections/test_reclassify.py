"""Verdicts that change without Leap's record changing: a link appears, a flow's choice changes,
a manual review ages, the rules change. And "opened" comes from Leap's data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connections.choices import Action
from connections.models import Connection
from connections.reclassify import needing_reclassification, reclassify, reclassify_due
from connections.status import RULES_VERSION
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Flow, Link
from links.signals import links_created

from .builders import NOW, PGE, SCE, conn, page_of, util

pytestmark = pytest.mark.django_db

PARKED_OR_NOT = conn("PARTIAL", util(PGE, "ERROR", "BAD_LOGIN"), util(SCE, required=False))


def _store(*records, now=NOW):
    write_page(page_of(list(records)), now=now, counts=SyncCounts())


def _action(ref_id="ref-1") -> str:
    return Connection.objects.get(ref_id=ref_id).next_action


def _link(flow=None, customer_type="residential", ref_id="ref-1") -> Link:
    return Link.objects.create(
        org_name="acme",
        ref_id=ref_id,
        url="https://l.example/x",
        flow=flow,
        customer_type=customer_type,
    )


@pytest.fixture
def eager(monkeypatch):
    """Tasks queued on commit run at once, as a worker would run them."""
    from connections.tasks import reclassify_connections_task

    monkeypatch.setitem(reclassify_connections_task.app.conf, "task_always_eager", True)


def test_a_link_that_appears_later_gives_the_customer_type(
    eager, django_capture_on_commit_callbacks
):
    _store(PARKED_OR_NOT)
    assert _action() == Action.OTHER_UTILITY_CONNECTED  # unknown type: the old heuristic
    with django_capture_on_commit_callbacks(execute=True):
        _link(customer_type="commercial")
    c = Connection.objects.select_related("link").get()
    assert c.link is not None
    assert (c.next_action, c.link.customer_type) == (Action.TAILORED_MESSAGE, "commercial")


def test_links_imported_in_bulk_reclassify_their_stored_connections(
    eager, django_capture_on_commit_callbacks
):
    _store(PARKED_OR_NOT)
    Link.objects.bulk_create(
        [
            Link(
                org_name="acme",
                ref_id="ref-1",
                url="https://l.example/x",
                customer_type="commercial",
            )
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        links_created.send(Link, ref_ids=["ref-1", "not-opened-yet"])
    assert _action() == Action.TAILORED_MESSAGE


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [(False, Action.OTHER_UTILITY_CONNECTED), (True, Action.TAILORED_MESSAGE)],
)
def test_the_flows_follow_up_choice_decides_for_its_residential_customers(follow_up, expected):
    flow = Flow.objects.create(org_name="acme", title="home", follow_up_other_utility=follow_up)
    _link(flow=flow)
    _store(PARKED_OR_NOT)
    assert _action() == expected
    flow.follow_up_other_utility = not follow_up
    flow.save()
    reclassify(["ref-1"], now=NOW)
    assert _action() != expected


def test_editing_a_flow_reclassifies_its_customers(eager, django_capture_on_commit_callbacks):
    flow = Flow.objects.create(org_name="acme", title="home")
    _link(flow=flow)
    _store(PARKED_OR_NOT)
    assert _action() == Action.OTHER_UTILITY_CONNECTED
    flow.follow_up_other_utility = True
    with django_capture_on_commit_callbacks(execute=True):
        flow.save()
    assert _action() == Action.TAILORED_MESSAGE


def test_a_manual_review_goes_to_ops_after_three_days_without_a_new_record():
    review = conn("ERROR", util(PGE, "ERROR", "PENDING_MANUAL_REVIEW"))
    _store(review)
    assert _action() == Action.PROVIDER_REVIEW
    assert not needing_reclassification(NOW).exists()
    later = review.last_interaction_at + timedelta(days=3)
    assert list(needing_reclassification(later).values_list("ref_id", flat=True)) == ["ref-1"]
    reclassify_due(later)
    assert _action() == Action.ASK_LEAP_SUPPORT


def test_connections_classified_by_older_rules_are_classified_again():
    _store(conn("ERROR", util(PGE, "ERROR", "PENDING_MANUAL_REVIEW")))
    # as the previous version stored it: its own verdict and fingerprint
    Connection.objects.update(
        rules_version=RULES_VERSION - 1, next_action=Action.TAILORED_MESSAGE, fingerprint="v1"
    )
    counts = reclassify_due(NOW)
    c = Connection.objects.get()
    assert (c.next_action, c.rules_version, counts.updated) == (
        Action.PROVIDER_REVIEW,
        RULES_VERSION,
        1,
    )
    assert reclassify_due(NOW).updated == 0  # converged


def test_a_link_is_opened_when_leaps_data_first_shows_its_refid():
    link = _link()
    record = conn("NOT_STARTED")
    _store(record)
    link.refresh_from_db()
    assert link.first_opened_at == record.started_at
    _store(conn("NOT_STARTED", last=record.last_interaction_at + timedelta(hours=5)))
    link.refresh_from_db()
    assert link.first_opened_at == record.started_at  # the first sighting stays


def test_a_link_made_after_its_connection_synced_is_opened_and_leaves_never_opened(
    eager, django_capture_on_commit_callbacks
):
    from connections.filters import never_opened_links
    from connections.funnel import per_flow

    record = conn("NOT_STARTED")
    _store(record)
    with django_capture_on_commit_callbacks(execute=True):
        link = _link()
    link.refresh_from_db()
    assert link.first_opened_at == record.started_at
    assert not never_opened_links().exists()
    assert per_flow(Link.objects.all())[0]["opened"] == 1
