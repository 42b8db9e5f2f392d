"""`manage.py simulate_campaign`: a whole re-engagement campaign on a simulated clock, checked
customer by customer against the cadence rules (leapdash/simulation/)."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from leapdash.simulation import campaign
from leapdash.simulation.oracle import VIOLATIONS, check
from leapdash.simulation.population import STORIES


class Command(BaseCommand):
    help = (
        "Run scripted customers through the sandbox for N simulated days with leapdash's real "
        "sync, queue and hook, on a database of its own, and check every touch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--explain", action="store_true", help="list every violation, one line each"
        )
        parser.add_argument(
            "--variants",
            action="store_true",
            help="split every flow between two cadence variants; error customers come back "
            "more often under the quick one, and the table compares them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = campaign.run(
            customers=options["customers"],
            days=options["days"],
            seed=options["seed"],
            variants=options["variants"],
        )
        report = check(outcome.customers, outcome.touches, outcome.end)
        report.counts["double"] += sum(outcome.repeats.values()) + outcome.bad_signatures
        self._table(outcome, report)
        if options["explain"]:
            for line in report.details:
                self.stdout.write(line)
        fields = " ".join(f"{kind}={report.counts[kind]}" for kind in VIOLATIONS)
        self.stdout.write(f"touches={len(outcome.touches)} {fields}")
        if any(report.counts[kind] for kind in VIOLATIONS):
            sys.exit(1)

    def _table(self, outcome: campaign.Outcome, report: Any) -> None:
        customers = Counter(c.story for c in outcome.customers)
        story_of = {c.ref_id: c.story for c in outcome.customers}
        touches = Counter(story_of[t.ref_id] for t in outcome.touches)
        header = f"{'scenario':34} {'customers':>9} {'touches':>8} {'violations':>10}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for story, _ in STORIES:
            bad = sum(report.by_story[story].values())
            self.stdout.write(f"{story:34} {customers[story]:>9} {touches[story]:>8} {bad:>10}")
        self.stdout.write("")
        if outcome.arms:
            self._variants(outcome)

    def _variants(self, outcome: campaign.Outcome) -> None:
        """The funnel's Variants section, as text: the winner reads "completes better"."""
        header = f"{'variant':34} {'abandoned':>9} {'completed':>9} {'rate':>6}  against the first"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for arm in outcome.arms:
            r = arm.result
            rate = f"{arm.rate_percent:.1f}%" if arm.rate_percent is not None else "—"
            verdict = "baseline" if arm.comparison is None else arm.comparison.words
            if arm.comparison is not None and arm.comparison.p_value is not None:
                verdict += f" (p={arm.comparison.p_value:.4f})"
            self.stdout.write(
                f"{arm.name:34} {r.abandoned:>9} {r.completed:>9} {rate:>6}  {verdict}"
            )
        self.stdout.write("")
