"""What leapdash should have sent each scripted customer, checked against what it sent.

Written from the rules as README states them, apart from the code that implements them: each
visit of a customer is an abandonment (or not) that leapdash can know of at a given time: at
the next tick when webhooks are on, at the next hourly sync after Leap's hourly refresh when
they are off. From there each touch has an earliest and a latest time, and every touch that
reached the partner's tool is held to them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .population import ERRORS, TICK, Customer, Visit
from .world import Touch

HOUR = timedelta(hours=1)
QUIET = HOUR
GAP = timedelta(hours=20)
DELAY = timedelta(minutes=15)
LATER = {2: timedelta(days=1), 3: timedelta(days=3)}
HORIZON = timedelta(days=7)
METER_DELAY = timedelta(hours=24)
ZONES = {"CAISO": ZoneInfo("America/Los_Angeles"), "NYISO": ZoneInfo("America/New_York")}
DAY = (time(8), time(20))
VIOLATIONS = ("double", "early", "late", "after_progress", "no_action_needed", "missed", "night")


@dataclass
class Episode:
    anchor: datetime  # where the cadence counts from
    leap_at: datetime  # Leap's last interaction for it
    early: bool = False  # seen by webhook: touch 1 after the flow's delay
    reauthorize: bool = False
    needs_touch: bool = True
    ends_at: datetime | None = None  # when leapdash can know of the customer's next progress


@dataclass
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    by_story: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    details: list[str] = field(default_factory=list)

    def flag(self, c: Customer, kind: str, what: str) -> None:
        self.counts[kind] += 1
        self.by_story[c.story][kind] += 1
        self.details.append(f"{kind}: {c.ref_id} ({c.story}, webhooks {c.webhooks}): {what}")


def ceil_to(at: datetime, step: timedelta) -> datetime:
    seconds = step.total_seconds()
    return datetime.fromtimestamp(math.ceil(at.timestamp() / seconds) * seconds, tz=UTC)


def daytime(at: datetime, zone: ZoneInfo) -> datetime:
    local = at.astimezone(zone)
    if DAY[0] <= local.time() < DAY[1]:
        return at
    day = local.date() + timedelta(days=0 if local.time() < DAY[0] else 1)
    return datetime.combine(day, DAY[0], tzinfo=zone).astimezone(UTC)


def _outcome(c: Customer, v: Visit) -> str:
    """touch, none (nothing to do or parked), done (completed), reauthorize."""
    if v.scenario == "" or v.scenario in ERRORS:
        return "touch"
    if v.scenario in ("one_of_two_required", "agreement_pending"):
        return "touch"
    if v.scenario == "other_utility":
        return "touch" if c.follow_up else "none"
    if v.scenario in ("revoked", "expired"):
        return "reauthorize"
    if v.scenario == "residential":
        return "done"
    return "none"  # pending_manual


def episodes(c: Customer) -> list[Episode]:
    found: list[Episode] = []
    for v in c.visits:
        seen = ceil_to(v.at, TICK) if c.webhooks else ceil_to(v.at, HOUR)
        if found:
            found[-1].ends_at = seen
        outcome = _outcome(c, v)
        failed = v.scenario == "" or v.scenario in ERRORS
        early = c.webhooks and failed and c.story != "commercial_error_other_connected"
        anchor = ceil_to(v.at, TICK) if c.webhooks else v.at
        wanted = outcome == "touch" and not c.do_not_contact and not c.skip
        found.append(Episode(anchor, v.at, early=early, needs_touch=wanted))
        if outcome == "reauthorize":
            # the first hourly meters sync once Leap shows the meter (a day later)
            detected = ceil_to(v.at + METER_DELAY, HOUR)
            found[-1].ends_at = detected
            found.append(
                Episode(detected, v.at, reauthorize=True, needs_touch=not c.do_not_contact)
            )
    return found


def _window(
    c: Customer, e: Episode, n: int, previous: datetime | None
) -> tuple[datetime, datetime]:
    """Earliest and latest time of touch n of an episode."""
    if n == 1 and e.reauthorize:
        earliest = latest = e.anchor
    elif n == 1 and e.early:
        delay = timedelta(minutes=c.arm.first_delay_minutes) if c.variant else DELAY
        earliest = latest = e.anchor + delay
    elif n == 1:
        earliest = e.anchor + QUIET
        # the verdict turns actionable at the first hourly sync after the quiet hour
        latest = max(earliest, ceil_to(e.leap_at + QUIET, HOUR))
    else:
        earliest = latest = e.anchor + (c.arm.later[n - 2] if c.variant else LATER[n])
    if previous is not None:
        earliest, latest = max(earliest, previous + GAP), max(latest, previous + GAP)
    zone = ZONES[c.region]
    # it goes at a tick: the first one from `latest` on, or the next morning's if that is night
    return daytime(earliest, zone), daytime(ceil_to(latest, TICK), zone)


def check(customers: list[Customer], touches: list[Touch], end: datetime) -> Report:
    report = Report()
    sent: dict[str, list[Touch]] = defaultdict(list)
    for t in touches:
        sent[t.ref_id].append(t)
    for c in customers:
        _check_customer(c, sorted(sent.get(c.ref_id, []), key=lambda t: t.at), end, report)
    return report


def _check_customer(c: Customer, touches: list[Touch], end: datetime, report: Report) -> None:
    zone = ZONES[c.region]
    for before, t in zip(touches, touches[1:], strict=False):
        if t.at - before.at < GAP:
            report.flag(c, "double", f"touches at {before.at} and {t.at}")
    for t in touches:
        if not DAY[0] <= t.at.astimezone(zone).time() < DAY[1]:
            report.flag(c, "night", f"touch at {t.at.astimezone(zone)}")
    plan = episodes(c)
    by_anchor = {e.anchor: e for e in plan}
    for t in touches:
        e = by_anchor.get(t.abandoned_at)
        if e is None:
            report.flag(c, "early", f"touch {t.touch} at {t.at} answers no abandonment")
        elif not e.needs_touch:
            report.flag(c, "no_action_needed", f"touch {t.touch} at {t.at}")
        elif e.ends_at is not None and t.at >= e.ends_at:
            report.flag(
                c, "after_progress", f"touch {t.touch} at {t.at}, progress seen {e.ends_at}"
            )
    for e in plan:
        if e.needs_touch:
            _check_episode(c, e, touches, end, report)


def _check_episode(
    c: Customer, e: Episode, touches: list[Touch], end: datetime, report: Report
) -> None:
    mine = [t for t in touches if t.abandoned_at == e.anchor]
    stop = min(end, e.ends_at) if e.ends_at else end
    for n in (1, 2, 3):
        match = [t for t in mine if t.touch == n]
        cutoff = match[0].at if match else stop
        earlier = [t.at for t in touches if t.at < cutoff]
        earliest, latest = _window(c, e, n, max(earlier) if earlier else None)
        if latest > e.anchor + HORIZON:
            return
        if not match:
            if latest + TICK < stop:
                report.flag(c, "missed", f"touch {n} due {earliest}..{latest}, none by {stop}")
            return
        at = match[0].at
        if at < earliest:
            report.flag(c, "early", f"touch {n} at {at}, earliest {earliest}")
        elif at > latest + TICK:
            report.flag(c, "late", f"touch {n} at {at}, latest {latest}")
