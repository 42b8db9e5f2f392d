"""The re-engagement cadence, rule by rule, on plain values (no clock, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connections.cadence import (
    Abandonment,
    CadenceState,
    NextTouch,
    PastTouch,
    Policy,
    WebhookState,
    abandonment,
    after_event,
    daytime,
    next_touch,
)

LA = ZoneInfo("America/Los_Angeles")
POLICY = Policy(zone=LA)
# 10:00 in Los Angeles (PST, UTC-8): well inside the allowed hours
A = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def sent(at: datetime, abandoned_at: datetime | None = A) -> PastTouch:
    return PastTouch(at, abandoned_at, "sent")


# (id, abandonment, past touches, now, expected state, touch, due_from)
CASES = [
    (
        "connect-touch-1-waits-the-quiet-hour",
        Abandonment(A),
        [],
        A + 30 * M,
        CadenceState.SCHEDULED,
        1,
        A + H,
    ),
    (
        "connect-touch-1-due-after-the-quiet-hour",
        Abandonment(A),
        [],
        A + H,
        CadenceState.DUE,
        1,
        A + H,
    ),
    (
        "webhook-touch-1-after-the-flow-delay",
        Abandonment(A, seen_by_webhook=True),
        [],
        A + 15 * M,
        CadenceState.DUE,
        1,
        A + 15 * M,
    ),
    (
        "webhook-touch-1-not-before-the-delay",
        Abandonment(A, seen_by_webhook=True),
        [],
        A + 14 * M,
        CadenceState.SCHEDULED,
        1,
        A + 15 * M,
    ),
    (
        "re-authorization-touch-1-at-once",
        Abandonment(A, reauthorize=True),
        [],
        A,
        CadenceState.DUE,
        1,
        A,
    ),
    (
        "touch-2-aims-at-day-1",
        Abandonment(A),
        [sent(A + H)],
        A + 23 * H,
        CadenceState.SCHEDULED,
        2,
        A + 24 * H,
    ),
    (
        "touch-3-aims-at-day-3",
        Abandonment(A),
        [sent(A + H), sent(A + 24 * H)],
        A + 72 * H,
        CadenceState.DUE,
        3,
        A + 72 * H,
    ),
    (
        "after-touch-3-back-to-marketing",
        Abandonment(A),
        [sent(A + H), sent(A + 24 * H), sent(A + 72 * H)],
        A + 80 * H,
        CadenceState.MARKETING,
        None,
        None,
    ),
    # the gap wins over everything: touch 1 of a new abandonment included
    (
        "gap-holds-touch-1-of-a-new-abandonment",
        Abandonment(A),
        [sent(A - 14 * H, abandoned_at=A - 15 * H)],
        A + H,
        CadenceState.SCHEDULED,
        1,
        A + 6 * H,
    ),
    (
        "gap-holds-touch-2-after-a-late-touch-1",
        Abandonment(A),
        [sent(A + 10 * H)],
        A + 24 * H,
        CadenceState.SCHEDULED,
        2,
        A + 30 * H,
    ),
    (
        "touches-of-an-older-abandonment-do-not-count",
        Abandonment(A),
        [sent(A - 30 * H, abandoned_at=A - 31 * H)],
        A + H,
        CadenceState.DUE,
        1,
        A + H,
    ),
    (
        "a-skip-ends-the-cadence",
        Abandonment(A),
        [PastTouch(A + H, A, "skipped")],
        A + 30 * H,
        CadenceState.SKIPPED,
        None,
        None,
    ),
    (
        "a-snooze-holds-it",
        Abandonment(A),
        [PastTouch(A + H, A, "snoozed", A + 25 * H)],
        A + 2 * H,
        CadenceState.SNOOZED,
        None,
        None,
    ),
    (
        "an-ended-snooze-lets-it-go",
        Abandonment(A),
        [PastTouch(A + H, A, "snoozed", A + 2 * H)],
        A + 3 * H,
        CadenceState.DUE,
        1,
        A + H,
    ),
    (
        "an-unanswered-abandonment-expires-after-a-week",
        Abandonment(A),
        [],
        A + 8 * 24 * H,
        CadenceState.MARKETING,
        None,
        None,
    ),
    # due in the day but not sent by 20:00: it waits for the next morning
    (
        "due-at-dusk-waits-for-the-morning",
        Abandonment(A + 8 * H + 30 * M),
        [],
        A + 10 * H,
        CadenceState.SCHEDULED,
        1,
        datetime(2026, 12, 2, 16, 0, tzinfo=UTC),
    ),
    # night: 19:30 in Los Angeles plus the quiet hour is 20:30, so 08:00 the next morning
    (
        "night-moves-to-the-next-morning",
        Abandonment(A + 9 * H + 30 * M),
        [],
        A + 11 * H,
        CadenceState.SCHEDULED,
        1,
        datetime(2026, 12, 2, 16, 0, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(
    ("abandoned", "touches", "now", "state", "touch", "due_from"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_the_cadence(abandoned, touches, now, state, touch, due_from):
    result = next_touch(abandoned, touches, now, POLICY)
    assert (result.state, result.touch, result.due_from) == (state, touch, due_from)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-12-01 07:59", "2026-12-01 08:00"),
        ("2026-12-01 08:00", "2026-12-01 08:00"),
        ("2026-12-01 19:59", "2026-12-01 19:59"),
        ("2026-12-01 20:00", "2026-12-02 08:00"),
        ("2026-12-01 23:30", "2026-12-02 08:00"),
        ("2026-03-08 03:00", "2026-03-08 08:00"),  # the night clocks go forward
    ],
)
def test_daytime_moves_a_night_time_to_eight_in_the_morning(local, expected):
    at = datetime.fromisoformat(local).replace(tzinfo=LA)
    assert daytime(at, POLICY) == datetime.fromisoformat(expected).replace(tzinfo=LA)


def test_daytime_uses_the_customers_zone():
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 21:00 in New York, 18:00 in Los Angeles
    assert daytime(at, POLICY) == at
    new_york = Policy(zone=ZoneInfo("America/New_York"))
    assert daytime(at, new_york) == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


# (id, Leap's last interaction, webhook state, webhook receipt, expected abandonment)
ABANDONMENTS = [
    ("connect-data-only", A, "", None, Abandonment(A)),
    (
        "webhook-abandonment-newer",
        A,
        WebhookState.ABANDONED,
        A + 5 * M,
        Abandonment(A + 5 * M, seen_by_webhook=True),
    ),
    (
        "webhook-a-little-older-is-the-same-abandonment",
        A + 5 * M,
        WebhookState.ABANDONED,
        A,
        Abandonment(A, seen_by_webhook=True),
    ),
    (
        "connect-data-newer-than-the-webhook",
        A + 2 * H,
        WebhookState.ABANDONED,
        A,
        Abandonment(A + 2 * H),
    ),
    (
        "webhook-activity-waits-the-quiet-hour",
        A,
        WebhookState.ACTIVE,
        A + 5 * M,
        Abandonment(A + 5 * M),
    ),
    (
        "closed-after-connecting-waits-for-connect-data",
        A,
        WebhookState.CLOSED,
        A + 5 * M,
        Abandonment(A + 5 * M),
    ),
    ("completed-by-webhook", A, WebhookState.COMPLETED, A + 5 * M, None),
]


@pytest.mark.parametrize(
    ("last", "state", "webhook_at", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in ABANDONMENTS],
)
def test_where_the_cadence_counts_from(last, state, webhook_at, expected):
    assert abandonment(last, webhook_state=state, webhook_at=webhook_at) == expected


def test_a_re_authorization_counts_from_when_the_meters_asked():
    assert abandonment(A, reauthorize_since=A + 50 * H) == Abandonment(A + 50 * H, reauthorize=True)


S, AU = "connect_session.updated", "connect_session.authorization_updated"
EVENTS = [
    ("", S, "CREATED", WebhookState.ACTIVE),
    (WebhookState.ACTIVE, AU, "INITIATED", WebhookState.PENDING),
    (WebhookState.PENDING, AU, "FAILED", WebhookState.ABANDONED),
    (WebhookState.ABANDONED, S, "UPDATED", WebhookState.ABANDONED),
    (WebhookState.ABANDONED, AU, "INITIATED", WebhookState.PENDING),
    (WebhookState.ACTIVE, S, "CLOSED", WebhookState.ABANDONED),
    (WebhookState.PENDING, S, "CLOSED", WebhookState.CLOSED),  # outcome unknown: wait
    (WebhookState.ACTIVE, AU, "COMPLETED", WebhookState.AUTHORIZED),
    (WebhookState.AUTHORIZED, S, "CLOSED", WebhookState.CLOSED),
    (WebhookState.AUTHORIZED, AU, "FAILED", WebhookState.CLOSED),
    (WebhookState.AUTHORIZED, AU, "INITIATED", WebhookState.AUTHORIZED),
    (WebhookState.AUTHORIZED, S, "COMPLETED", WebhookState.COMPLETED),
    (WebhookState.CLOSED, S, "CREATED", WebhookState.ACTIVE),
    (WebhookState.ACTIVE, "meter.created", "", WebhookState.ACTIVE),
]


@pytest.mark.parametrize(("state", "event", "status", "expected"), EVENTS)
def test_the_session_state_after_each_webhook_event(state, event, status, expected):
    assert after_event(state, event, status) == expected


def test_a_touch_key_names_the_connection_the_abandonment_and_the_touch():
    touch = NextTouch(CadenceState.DUE, 2, A, A + 5 * M + timedelta(microseconds=7))
    assert touch.key(41) == "touch-41-20261201T180500000007Z-2"
    with pytest.raises(ValueError, match="scheduled"):
        NextTouch(CadenceState.MARKETING).key(41)
