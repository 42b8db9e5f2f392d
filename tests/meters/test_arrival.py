"""meters.arrival, the one owner of "meters arrived / overdue / re-authorize", against the
sandbox over real HTTP: each row a completed connection and what its meters say."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connections.choices import Action
from connections.models import Connection
from leapdash.leap.sandbox.state import advance_clock, sandbox_now
from meters.arrival import OVERDUE_CHECK, overdue_after, overdue_cutoff, overdue_reason
from meters.sync import sync_meters

from .conftest import sync_connections_now

pytestmark = pytest.mark.django_db(transaction=True)


def _sync(leap, hours: float) -> None:
    sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=timedelta(hours=hours))


def _action(ref_id: str) -> Connection:
    return Connection.objects.get(ref_id=ref_id)


def test_the_default_overdue_threshold_is_72_hours(settings):
    assert settings.METERS_OVERDUE_HOURS == 72
    assert overdue_after() == timedelta(hours=72)
    now = sandbox_now()
    assert overdue_cutoff(now, overdue_after()) == now - timedelta(hours=72)
    assert "72 hours" in overdue_reason(overdue_after())
    assert OVERDUE_CHECK in overdue_reason(overdue_after())


@pytest.mark.parametrize(
    ("hours_later", "expected"),
    [(25, Action.WAIT_FOR_METERS), (71, Action.WAIT_FOR_METERS), (73, Action.METERS_OVERDUE)],
)
def test_meters_are_overdue_only_72_hours_after_completed(leap, customer, hours_later, expected):
    customer("slow-0002")  # completed; its meters are not visible yet
    sync_connections_now(leap)
    Connection.objects.filter(ref_id="slow-0002").update(
        last_interaction_at=sandbox_now() - timedelta(hours=hours_later)
    )
    Connection.objects.filter(ref_id="slow-0002").update(next_action=Action.WAIT_FOR_METERS)
    _sync(leap, 72)
    c = _action("slow-0002")
    assert c.next_action == expected
    if expected == Action.METERS_OVERDUE:
        assert "First search Leap's meters for this refId" in c.next_action_reason


def test_a_meter_asking_to_re_authorize_sends_the_customer_back_to_the_queue(leap, customer):
    customer("reauth-0001", "revoked")
    customer("fine-0001")
    sync_connections_now(leap)
    advance_clock(25)  # the meters appear a day after completion
    _sync(leap, 72)
    reauth, fine = _action("reauth-0001"), _action("fine-0001")
    assert (reauth.next_action, reauth.message_key) == (Action.REAUTHORIZE, "reauthorize")
    assert reauth.reauthorize_since is not None
    assert fine.next_action == Action.METERS_ARRIVED
    first_seen = reauth.reauthorize_since
    advance_clock(1)
    _sync(leap, 72)
    assert _action("reauth-0001").reauthorize_since == first_seen  # the cadence's anchor stays
