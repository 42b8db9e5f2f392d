"""Cadence experiments: which variant a customer gets, what each variant may change, and how
two variants' completion rates compare. Pure: no clock, no queries, no settings.

A customer's arm is a function of their refId and the experiment's salt only, so a re-sync
gives the same answer and two experiments (two salts) split customers independently. The
holdout arm gets no automated touch, so the lift of re-engagement itself can be measured.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .cadence import LATER_TOUCHES

HOLDOUT = "Holdout"  # the holdout arm's name
BUCKETS = 10_000  # a share of 1% is 100 buckets
MIN_VARIANTS, MAX_VARIANTS = 2, 4
# Leap's window for touch 1 after a webhook-seen abandonment (LEAP_API.md §2)
FIRST_DELAY_MINUTES = (5, 60)
# Touch 3 aims at most at day 5, so the minimum gap and the night still land it before the
# cadence's 7-day horizon.
LAST_TOUCH_HOURS = 5 * 24
# Below this many customers in an arm, a comparison says nothing yet.
MIN_PER_ARM = 30


@dataclass(frozen=True, slots=True)
class Arm:
    """One variant, in plain values: its share of customers and its cadence."""

    key: str
    share: int  # percent
    holdout: bool = False
    first_delay_minutes: int = 15
    second_touch_hours: int = 24
    third_touch_hours: int = 72
    template_set: str = ""  # message texts of this named set where it has them

    @property
    def later(self) -> tuple[timedelta, timedelta]:
        return timedelta(hours=self.second_touch_hours), timedelta(hours=self.third_touch_hours)


DEFAULT_LATER_HOURS = tuple(int(t.total_seconds() // 3600) for t in LATER_TOUCHES)


def bucket(ref_id: str, salt: str) -> int:
    """0..9999, stable for this refId and salt."""
    digest = hashlib.sha256(f"{salt}:{ref_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign(ref_id: str, salt: str, arms: Sequence[Arm]) -> str:
    """The key of the arm this customer falls into; arms in their stored order."""
    b = bucket(ref_id, salt)
    edge = 0
    for arm in arms:
        edge += arm.share * BUCKETS // 100
        if b < edge:
            return arm.key
    return arms[-1].key  # shares that total 100 leave nothing here


def problems(arms: Sequence[Arm], min_gap_hours: int) -> list[str]:
    """What is wrong with an experiment's arms, in words; empty when it may run."""
    found: list[str] = []
    variants = [a for a in arms if not a.holdout]
    if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        found.append(f"An experiment has {MIN_VARIANTS} to {MAX_VARIANTS} variants.")
    if sum(1 for a in arms if a.holdout) > 1:
        found.append("An experiment has at most one holdout.")
    if sum(a.share for a in arms) != 100:
        found.append("The shares (holdout included) must add up to 100%.")
    if any(a.share <= 0 for a in arms):
        found.append("Every variant needs a share above 0%.")
    low, high = FIRST_DELAY_MINUTES
    for a in variants:
        if not low <= a.first_delay_minutes <= high:
            found.append(f"{a.key}: touch 1 goes {low} to {high} minutes after the abandonment.")
        if not min_gap_hours <= a.second_touch_hours:
            found.append(f"{a.key}: touch 2 comes at least {min_gap_hours} h after touch 1.")
        if a.third_touch_hours < a.second_touch_hours + min_gap_hours:
            found.append(f"{a.key}: touch 3 comes at least {min_gap_hours} h after touch 2.")
        if a.third_touch_hours > LAST_TOUCH_HOURS:
            found.append(f"{a.key}: touch 3 comes at most {LAST_TOUCH_HOURS} h after.")
    return found


@dataclass(frozen=True, slots=True)
class Comparison:
    p_value: float | None
    words: str


def compare(done_a: int, n_a: int, done_b: int, n_b: int) -> Comparison:
    """Variant b against variant a: a two-sided two-proportion z-test on completions."""
    if n_a < MIN_PER_ARM or n_b < MIN_PER_ARM:
        return Comparison(None, "not enough data yet")
    pooled = (done_a + done_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if spread == 0:
        return Comparison(1.0, "no difference")
    z = (done_b / n_b - done_a / n_a) / spread
    p = math.erfc(abs(z) / math.sqrt(2))  # 2 * (1 - Φ(|z|))
    if p >= 0.05:
        return Comparison(p, "no clear difference yet")
    better = "better" if z > 0 else "worse"
    return Comparison(p, f"completes {better}, unlikely to be chance")


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# --- conversion per variant ---------------------------------------------------------------------

WINDOW = timedelta(days=7)  # completed within this of the first touch
QUIET = timedelta(hours=1)  # completed within Leap's quiet hour of starting: never abandoned
CHART_DAYS = 14


@dataclass(frozen=True, slots=True)
class Customer:
    """One assigned customer, in plain values."""

    started_at: datetime
    completed_at: datetime | None  # Leap's last interaction of a completed connection
    first_touch_at: datetime | None  # the first touch sent


@dataclass(frozen=True, slots=True)
class ArmResult:
    abandoned: int
    touched: int
    completed: int  # within WINDOW of the first touch (of the abandonment when untouched)
    median_hours: float | None  # first touch → completion
    by_day: tuple[float, ...]  # share of abandoned completed by each day since abandonment

    @property
    def rate(self) -> float | None:
        return self.completed / self.abandoned if self.abandoned else None


def abandoned(c: Customer) -> bool:
    """Left without completing: not completed, touched, or completed after the quiet hour."""
    if c.completed_at is None or c.first_touch_at is not None:
        return True
    return c.completed_at - c.started_at > QUIET


def summarise(customers: Sequence[Customer]) -> ArmResult:
    rows = [c for c in customers if abandoned(c)]
    completed = 0
    hours: list[float] = []
    reached = [0] * (CHART_DAYS + 1)
    for c in rows:
        if c.completed_at is None:
            continue
        since = c.first_touch_at or c.started_at
        if c.completed_at <= since + WINDOW:
            completed += 1
        if c.first_touch_at is not None and c.completed_at >= c.first_touch_at:
            hours.append((c.completed_at - c.first_touch_at).total_seconds() / 3600)
        day = max(0, math.ceil((c.completed_at - c.started_at) / timedelta(days=1)))
        for d in range(min(day, CHART_DAYS + 1), CHART_DAYS + 1):
            reached[d] += 1
    n = len(rows)
    return ArmResult(
        abandoned=n,
        touched=sum(1 for c in rows if c.first_touch_at is not None),
        completed=completed,
        median_hours=median(hours),
        by_day=tuple(r / n for r in reached) if n else (),
    )
