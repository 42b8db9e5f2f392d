"""The scripted customers of a simulated campaign: who they are and what they do when.

Everything comes from one random.Random(seed), so a seed always scripts the same campaign.
Each customer makes one or two visits to Leap Connect; a visit ends in one of Leap's scenarios
(leapdash.leap.sandbox.scenarios). What leapdash should do about each outcome is worked out by
the oracle (oracle.py), not here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connections.experiments import Arm, assign

TICK = timedelta(minutes=15)
# --variants: every flow splits its customers between two cadences; customers who hit an error
# come back and complete far more often under the quick one (the scripted lift to measure).
SALT = "simulated-campaign"
ARMS = (
    Arm("Day 1", 50),
    Arm("Quick", 50, first_delay_minutes=5, second_touch_hours=20, third_touch_hours=44),
)
COMES_BACK = {"Day 1": 0.15, "Quick": 0.6}

# (scenario name, its weight, the customer types it fits)
ERRORS = (
    "badlogin",
    "locked",
    "access_unsupported",
    "websitedown",
    "utilityerror",
    "wait_to_login",
    "randomerror",
    "empty",
    "partialmeters",
    "user_canceled",
)
# What a campaign's customers do, by share. Each name is a scenario table row in the report.
STORIES: tuple[tuple[str, int], ...] = (
    ("never_opens", 10),
    ("opens_only", 8),
    ("error", 22),
    ("error_then_completes", 8),
    ("error_then_fails_again", 6),
    ("completes", 8),
    ("manual_review", 5),
    ("reauthorize", 5),
    ("commercial_missing", 6),
    ("commercial_error_other_connected", 4),
    ("agreement_pending", 3),
    ("parked", 5),
    ("parked_follow_up", 3),
    ("opted_out", 4),
    ("skipped", 3),
)


@dataclass(frozen=True)
class Visit:
    at: datetime
    scenario: str  # a sandbox scenario name, or "" for opening the link only
    utility: str = "pge"


@dataclass
class Customer:
    index: int
    story: str
    ref_id: str
    customer_type: str  # residential | commercial
    region: str  # CAISO | NYISO
    webhooks: bool
    follow_up: bool = False  # the flow follows up a customer who connected another utility
    do_not_contact: bool = False
    skip: bool = False  # a program manager skips the first due touch
    visits: list[Visit] = field(default_factory=list)
    variant: str = ""  # with --variants: the cadence variant leapdash gives them

    @property
    def arm(self) -> Arm:
        return next((a for a in ARMS if a.key == self.variant), Arm("", 100))

    @property
    def utility(self) -> str:
        return "pge" if self.region == "CAISO" else "cecony-utilityapi"

    @property
    def requested(self) -> list[str]:
        return [self.utility]


def _minute_in_tick(rng: random.Random) -> timedelta:
    """Customers act between ticks (never on one), so every rule has one reading."""
    return timedelta(minutes=rng.choice((2, 7, 11)))


def script(
    seed: int, customers: int, start: datetime, days: int, variants: bool = False
) -> list[Customer]:
    rng = random.Random(seed)
    names = [name for name, _ in STORIES]
    weights = [weight for _, weight in STORIES]
    last_start = max(1, days - 4) * 24 * 4  # ticks: leave room for the cadence to finish
    population = []
    for i in range(customers):
        story = rng.choices(names, weights)[0]
        commercial = story.startswith("commercial") or story == "agreement_pending"
        region = "NYISO" if rng.random() < 0.3 else "CAISO"
        c = Customer(
            index=i,
            story=story,
            ref_id=f"sim-{i:05d}",
            customer_type="commercial" if commercial else "residential",
            region=region,
            webhooks=rng.random() < 0.5,
            follow_up=story == "parked_follow_up",
            do_not_contact=story == "opted_out",
            skip=story == "skipped",
        )
        first = start + TICK * rng.randrange(last_start) + _minute_in_tick(rng)
        c.visits = _visits(story, first, rng)
        if variants:
            _respond(c, rng)
        population.append(c)
    return population


def _respond(c: Customer, rng: random.Random) -> None:
    """The customer's variant, and whether an error customer comes back to complete."""
    c.variant = assign(c.ref_id, SALT, ARMS)
    if c.story != "error" or rng.random() >= COMES_BACK[c.variant]:
        return
    first = c.visits[0].at
    back = first + timedelta(hours=rng.choice((3, 6, 20, 30))) + timedelta(minutes=5)
    c.story = "error_then_completes"
    c.visits.append(Visit(back, "residential"))


def _visits(story: str, first: datetime, rng: random.Random) -> list[Visit]:
    error = rng.choice(ERRORS)
    later = first + timedelta(hours=rng.choice((3, 6, 20, 30, 50))) + timedelta(minutes=5)
    match story:
        case "never_opens":
            return []
        case "opens_only":
            return [Visit(first, "")]
        case "error" | "opted_out" | "skipped":
            return [Visit(first, error)]
        case "error_then_completes":
            return [Visit(first, error), Visit(later, "residential")]
        case "error_then_fails_again":
            return [Visit(first, error), Visit(later, rng.choice(ERRORS))]
        case "completes":
            return [Visit(first, "residential")]
        case "manual_review":
            return [Visit(first, "pending_manual")]
        case "reauthorize":
            return [Visit(first, rng.choice(("revoked", "expired")))]
        case "commercial_missing":
            return [Visit(first, "one_of_two_required")]
        case "commercial_error_other_connected":
            return [Visit(first, error)]  # plus a connected non-required utility: see world.py
        case "agreement_pending":
            return [Visit(first, "agreement_pending")]
        case "parked" | "parked_follow_up":
            return [Visit(first, "other_utility")]
    raise ValueError(story)
