"""classify never raises on a well-formed record and always gives the same answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from connections.cadence import Abandonment, PastTouch, Policy, next_touch
from connections.choices import Action
from connections.messages import MESSAGES
from connections.status import Customer, classify
from leapdash.leap.records import UTILITY_IDS, AgreementsRecord, ConnectionRecord

from .builders import util

ODD = st.text(min_size=0, max_size=12)
CONNECTION_STATUSES = st.sampled_from(["COMPLETED", "NOT_STARTED", "PARTIAL", "ERROR"]) | ODD
UTILITY_STATUSES = st.sampled_from(["CONNECTED", "NOT_CONNECTED", "ERROR"]) | ODD
AGREEMENTS = st.sampled_from(["NOT_REQUIRED", "PENDING", "SIGNED", "DECLINED"]) | ODD
CODES = st.none() | st.sampled_from(["USER_CANCELED", "BAD_LOGIN", "NO_METERS_FOUND"]) | ODD
TIMES = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)

utilities = st.builds(
    util,
    name=st.sampled_from(sorted(UTILITY_IDS)),
    status=UTILITY_STATUSES,
    error_code=CODES,
    required=st.booleans(),
    at=TIMES,
)


@st.composite
def records(draw: st.DrawFn) -> ConnectionRecord:
    last = draw(TIMES)
    return ConnectionRecord(
        id="CAISO_x_ref",
        ref_id="ref",
        transmission_region=draw(st.sampled_from(["CAISO", "NYISO", "ERCOT"])),
        started_at=draw(st.none() | st.just(last - timedelta(minutes=3))),
        last_interaction_at=last,
        status=draw(CONNECTION_STATUSES),
        utilities=tuple(draw(st.lists(utilities, max_size=4))),
        agreements=AgreementsRecord(
            prohibited_resource_attestation=draw(AGREEMENTS),
            demand_response_participation=draw(AGREEMENTS),
        ),
        unknown_values=(),
        raw={},
    )


@settings(max_examples=300, deadline=None)
@given(
    record=records(),
    now=TIMES,
    kind=st.sampled_from(["", "residential", "commercial"]),
    follow_up=st.booleans(),
)
def test_classify_never_raises_and_is_deterministic(record, now, kind, follow_up):
    customer = Customer(kind, follow_up)
    first = classify(record, now, customer)
    again = classify(record, now, customer)
    assert first == again
    assert first.kind in Action.values
    assert first.reason
    assert first.message_key == "" or first.message_key in MESSAGES
    if first.kind == Action.IN_PROGRESS:
        assert first.actionable_at is not None
        assert now < first.actionable_at


@settings(max_examples=200, deadline=None)
@given(
    last=TIMES,
    touches=st.lists(st.tuples(TIMES, st.sampled_from(["sent", "skipped", "snoozed"])), max_size=5),
    now=TIMES,
    webhook=st.booleans(),
)
def test_next_touch_never_raises_and_keeps_the_gap(last, touches, now, webhook):
    policy = Policy()
    past = [PastTouch(at, last, outcome, at + timedelta(days=1)) for at, outcome in touches]
    result = next_touch(Abandonment(last, seen_by_webhook=webhook), past, now, policy)
    assert result.touch in (None, 1, 2, 3)
    if result.due_from is not None:
        assert all(result.due_from >= t.at + policy.min_gap for t in past if t.outcome == "sent")
