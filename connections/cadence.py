"""The re-engagement cadence: when the next touch to an abandoned customer is due. Pure: no
clock, no queries, no settings (the caller hands in a Policy).

Leap's advice (LEAP_API.md §2), made exact:
- the cadence counts from the abandonment: the customer's last interaction in Leap's Connect
  data, or, with webhooks on, the first receipt of a newer webhook event. An abandonment seen by
  webhook (session closed without completing, authorization failed) lets touch 1 go after the
  flow's delay (Leap's 5–60 min window); otherwise touch 1 waits out Leap's quiet hour;
- touch 2 aims at day 1 and touch 3 at day 3 after the abandonment, then the customer goes back
  to normal marketing;
- no touch is ever due within the minimum gap of the previous touch to the same customer,
  whatever its abandonment: the gap wins over everything else;
- automated touches go out only in the customer's daytime (their region's time zone);
- a later abandonment (new progress) restarts the cadence; a skipped touch ends it; a snooze
  holds it.
Each touch is named by an idempotency key (connection, abandonment, touch number), so a touch
is recorded at most once however often it is computed, posted or retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import models

TOUCHES = 3
# Touch 2 and 3 aim at day 1 and day 3 after the abandonment (touch 1: see Policy).
LATER_TOUCHES = (timedelta(days=1), timedelta(days=3))
# Past this, an abandonment no touch answered is left to normal marketing (touch 3 aims at
# day 3; the gap and the night can push it a day further, never four).
HORIZON = timedelta(days=7)
# Two readings of one abandonment: Leap's last interaction may be stamped a little after the
# webhook that reported it was received (the events carry no time of their own).
SAME_ABANDONMENT = timedelta(minutes=10)


class WebhookState(models.TextChoices):
    """Where Leap's webhooks last left a customer's Connect session."""

    ACTIVE = "active", "In a session"
    PENDING = "pending", "A utility authorization under way"
    AUTHORIZED = "authorized", "Connected a utility in this session"
    ABANDONED = "abandoned", "Left without connecting"
    CLOSED = "closed", "Session closed after connecting a utility"
    COMPLETED = "completed", "Completed"


class CadenceState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DUE = "due", "Due"
    MARKETING = "marketing", "Back to marketing"
    SKIPPED = "skipped", "Skipped"
    SNOOZED = "snoozed", "Snoozed"
    WAITING = "waiting", "Waiting for Leap's data"


@dataclass(frozen=True, slots=True)
class Policy:
    """The knobs: settings and the flow's own delay, in plain values."""

    quiet: timedelta = timedelta(hours=1)
    first_delay: timedelta = timedelta(minutes=15)  # after a webhook-seen abandonment
    min_gap: timedelta = timedelta(hours=20)
    later: tuple[timedelta, timedelta] = LATER_TOUCHES  # touch 2 and 3 (a variant may move them)
    day_starts: time = time(8)
    day_ends: time = time(20)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Los_Angeles"))


@dataclass(frozen=True, slots=True)
class Abandonment:
    at: datetime
    seen_by_webhook: bool = False  # touch 1 after the flow's delay, with the generic message
    reauthorize: bool = False  # the meters asked for it: no quiet hour to wait out


@dataclass(frozen=True, slots=True)
class PastTouch:
    at: datetime
    abandoned_at: datetime | None  # the abandonment it answered; None for old records
    outcome: str  # Touchpoint.Outcome value
    snoozed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class NextTouch:
    state: CadenceState
    touch: int | None = None  # 1, 2, 3
    due_from: datetime | None = None
    abandoned_at: datetime | None = None
    early: bool = False  # touch 1 of a webhook-seen abandonment

    @property
    def state_label(self) -> str:
        return CadenceState(self.state).label

    def key(self, connection_id: int) -> str:
        """The idempotency key: connection + abandonment + touch."""
        if self.abandoned_at is None or self.touch is None:
            raise ValueError("only a scheduled touch has a key")
        at = self.abandoned_at.astimezone(UTC)
        return f"touch-{connection_id}-{at:%Y%m%dT%H%M%S%fZ}-{self.touch}"


# Leap's webhook statuses (LEAP_API.md §2): the session's and the utility authorization's.
SESSION_EVENT = "connect_session.updated"
AUTHORIZATION_EVENT = "connect_session.authorization_updated"


def after_event(state: str, event_type: str, status: str) -> str:
    """The session state after one webhook event. An authorization that failed, or a session
    closed before any utility was tried, is an abandonment. After a utility was connected, or
    while an authorization is still under way (a manual review, a customer who never logged
    in), the Connect data decides: the customer may be parked, waiting or done. UPDATED only
    accompanies the other events and changes nothing."""
    connected = state in (WebhookState.AUTHORIZED, WebhookState.CLOSED)
    if event_type == SESSION_EVENT:
        if status == "CREATED":
            return WebhookState.ACTIVE
        if status == "COMPLETED":
            return WebhookState.COMPLETED
        if status == "CLOSED":
            unknown = connected or state == WebhookState.PENDING
            return WebhookState.CLOSED if unknown else WebhookState.ABANDONED
        return state or WebhookState.ACTIVE
    if event_type == AUTHORIZATION_EVENT:
        if status == "COMPLETED":
            return WebhookState.AUTHORIZED
        if status == "FAILED":
            return WebhookState.CLOSED if connected else WebhookState.ABANDONED
        if status == "INITIATED" and not connected:
            return WebhookState.PENDING
    return state


def abandonment(
    last_interaction_at: datetime,
    *,
    webhook_state: str = "",
    webhook_at: datetime | None = None,
    reauthorize_since: datetime | None = None,
) -> Abandonment | None:
    """Where the cadence counts from; None while the webhooks say the session completed."""
    if reauthorize_since is not None:
        return Abandonment(reauthorize_since, reauthorize=True)
    if webhook_at is not None and last_interaction_at <= webhook_at + SAME_ABANDONMENT:
        if webhook_state == WebhookState.COMPLETED:
            return None
        return Abandonment(webhook_at, seen_by_webhook=webhook_state == WebhookState.ABANDONED)
    return Abandonment(last_interaction_at)


def daytime(at: datetime, policy: Policy) -> datetime:
    """`at`, or the next moment inside the customer's allowed hours."""
    local = at.astimezone(policy.zone)
    if policy.day_starts <= local.time() < policy.day_ends:
        return at
    day = local.date() if local.time() < policy.day_starts else local.date() + timedelta(days=1)
    opens = datetime.combine(day, policy.day_starts, tzinfo=policy.zone)
    return opens.astimezone(UTC)


def next_touch(
    abandoned: Abandonment, touches: Sequence[PastTouch], now: datetime, policy: Policy
) -> NextTouch:
    """The next touch for this abandonment, given every recent touch to the customer."""
    this = [t for t in touches if t.abandoned_at == abandoned.at]
    if any(t.outcome == "skipped" for t in this):
        return NextTouch(CadenceState.SKIPPED, abandoned_at=abandoned.at)
    if any(t.outcome == "snoozed" and t.snoozed_until and t.snoozed_until > now for t in this):
        return NextTouch(CadenceState.SNOOZED, abandoned_at=abandoned.at)
    done = sum(1 for t in this if t.outcome == "sent")
    if done >= TOUCHES or now - abandoned.at > HORIZON:
        return NextTouch(CadenceState.MARKETING, abandoned_at=abandoned.at)
    touch = done + 1
    if touch == 1:
        early = abandoned.seen_by_webhook
        wait = timedelta(0) if abandoned.reauthorize else policy.quiet
        target = abandoned.at + (policy.first_delay if early else wait)
    else:
        early = False
        target = abandoned.at + policy.later[touch - 2]
    sent = [t.at for t in touches if t.outcome == "sent"]
    if sent:
        target = max(target, max(sent) + policy.min_gap)
    due_from = daytime(target, policy)
    if now >= due_from and daytime(now, policy) != now:
        due_from = daytime(now, policy)  # it came due, but the customer's night has begun
    state = CadenceState.DUE if now >= due_from else CadenceState.SCHEDULED
    return NextTouch(state, touch, due_from, abandoned.at, early)


def _at(moment: datetime, policy: Policy) -> str:
    local = moment.astimezone(policy.zone)
    zone = f"{local:%H:%M} in the customer's time zone, {policy.zone.key}"
    return f"{moment.astimezone(UTC):%b %-d, %H:%M} UTC ({zone})"


def _why(nt: NextTouch, policy: Policy) -> str:
    if nt.touch == 1 and nt.early:
        minutes = int(policy.first_delay.total_seconds() // 60)
        return f"{minutes} minutes after Leap's webhook showed the customer leave"
    if nt.touch == 1:
        return "once Leap's quiet hour after the customer's last step has passed"
    if policy.later != LATER_TOUCHES:
        hours = int(policy.later[(nt.touch or 2) - 2].total_seconds() // 3600)
        return f"{hours} h after the abandonment (the customer's cadence variant)"
    return "a day after the abandonment" if nt.touch == 2 else "three days after the abandonment"


def describe_touch(nt: NextTouch, policy: Policy) -> str:
    """The next touch in plain words: which, when (UTC and the customer's time zone), why then."""
    if nt.touch is None or nt.due_from is None:
        return f"Re-engagement: {nt.state_label.lower()}."
    which = f"Touch {nt.touch} of {TOUCHES}"
    if nt.state == CadenceState.DUE:
        return f"{which} is due since {_at(nt.due_from, policy)}: it is in the re-engagement queue."
    if nt.state == CadenceState.WAITING:
        return (
            f"{which} waits for Leap's next Connect data (the customer was active within the "
            "hour); it goes to the re-engagement queue once a sync shows them still stuck."
        )
    hours = f"{policy.day_starts:%H:%M}–{policy.day_ends:%H:%M}"
    gap = int(policy.min_gap.total_seconds() // 3600)
    return (
        f"Next re-engagement touch: {which.lower()}, from {_at(nt.due_from, policy)}, "
        f"{_why(nt, policy)}; never within {gap} h of the previous touch, and only during the "
        f"customer's day ({hours})."
    )
