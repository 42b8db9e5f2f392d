"""`manage.py sandbox <seed|reset|advance|demo|deliver-webhooks>`: drive the Leap sandbox."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser
from django.db import transaction

from leapdash.leap.sandbox import seeding, webhooks
from leapdash.leap.sandbox.models import Connection, Flow
from leapdash.leap.sandbox.state import advance_clock, sandbox_now

DEMO_ORG = "demo-energy"
DEMO_FLOWS: tuple[tuple[str, str, str, list[str], bool], ...] = (
    # (title, region, customer type, default requested utilities, DR agreement)
    ("commercial-solar", "CAISO", "COMMERCIAL", ["pge", "sce"], True),
    ("home-battery", "CAISO", "RESIDENTIAL", [], False),
    ("ny-demand-response", "NYISO", "RESIDENTIAL", [], False),
)
# leapdash's own landing page (links:done) names the flow in `flow`
DEMO_THANK_YOU_URL = "http://127.0.0.1:8000/links/done/?flow={title}"


def demo(stdout: Any = None) -> None:
    """Idempotent demo data: the demo org's flows plus a few hundred connections and meters."""
    with transaction.atomic():
        flows = {}
        for title, region, customer_type, requested, dr in DEMO_FLOWS:
            flows[title], _ = Flow.objects.get_or_create(
                org_name=DEMO_ORG,
                title=title,
                defaults={
                    "region": region,
                    "customer_type": customer_type,
                    "default_requested": requested,
                    "dr_agreement": dr,
                    "thank_you_url": DEMO_THANK_YOU_URL.format(title=title),
                },
            )
    if Connection.objects.filter(ref_id__startswith="demo-").exists():
        return
    seeding.seed(connections=240, seed=2024, prefix="demo-ca", flow=flows["home-battery"])
    seeding.seed(connections=60, seed=2024, prefix="demo-ny", flow=flows["ny-demand-response"])
    scripted_demo_customers(flows, sandbox_now())
    if stdout:
        stdout.write(
            f"Seeded the sandbox: 3 flows for demo-energy, {300 + len(DEMO_STORIES)} connections."
        )


UNMATCHED_DEMO_REF_ID = "demo-new-0O2"  # demo_setup records no link for it

# Customers the demo shows on purpose, each through the same steps a real journey takes:
# (refId, flow, customer type, [(utility, scenario), ...], days ago)
DEMO_STORIES: tuple[tuple[str, str, str, list[tuple[str, str]], float], ...] = (
    # commercial: the required PG&E failed while SCE connected: follow up on PG&E
    (
        "demo-biz-001",
        "commercial-solar",
        "COMMERCIAL",
        [("sdge", "residential"), ("pge", "badlogin")],
        0.3,
    ),
    # commercial: one of two required utilities connected
    ("demo-biz-002", "commercial-solar", "COMMERCIAL", [("pge", "one_of_two_required")], 1.2),
    # the data provider reviews by hand: nobody acts yet
    ("demo-review-001", "home-battery", "RESIDENTIAL", [("sce", "pending_manual")], 1.0),
    # completed days ago; now its meter asks the customer to re-authorize
    ("demo-reauth-001", "home-battery", "RESIDENTIAL", [("pge", "revoked")], 3.0),
    # opened a link whose refId was typed by hand, O for 0: it matches no link (the partner's
    # link is demo-new-002), so the dashboard lists it under "Needs attention"
    (UNMATCHED_DEMO_REF_ID, "home-battery", "RESIDENTIAL", [("pge", "badlogin")], 0.5),
)


def scripted_demo_customers(flows: dict[str, Flow], now: Any) -> None:
    from datetime import timedelta

    from leapdash.leap.sandbox import state
    from leapdash.leap.sandbox.scenarios import SCENARIOS

    for ref_id, title, customer_type, attempts, days_ago in DEMO_STORIES:
        at = now - timedelta(days=days_ago)
        flow = flows[title]
        requested = list(flow.default_requested) or [attempts[-1][0]]
        with transaction.atomic():
            connection = state.open_connection(ref_id=ref_id, flow=flow, now=at)
            for utility, name in attempts:
                state.utility_started(connection, utility, requested, at)
                state.record_attempt(
                    connection,
                    utility_id=utility,
                    scenario=SCENARIOS[name],
                    requested=requested,
                    customer_type=customer_type,
                    pra_status="SIGNED" if flow.dr_agreement else "NOT_REQUIRED",
                    dr_status="SIGNED" if flow.dr_agreement else "NOT_REQUIRED",
                    now=at,
                )
            state.session_closed(connection, at)


class Command(BaseCommand):
    help = "Seed, reset, move the clock of, or deliver webhooks from the local Leap sandbox."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed", help="bulk-create connections and their meters")
        seed.add_argument("--connections", type=int, default=1000)
        seed.add_argument(
            "--meters", type=int, default=None, help="total meters (default: per scenario)"
        )
        seed.add_argument("--seed", type=int, default=0)
        seed.add_argument("--prefix", default="sbx", help="refIds are <prefix>-<seed>-<n>")
        sub.add_parser("reset", help="delete connections, meters and queued events; clock to now")
        advance = sub.add_parser("advance", help="move the sandbox clock forward")
        advance.add_argument("--hours", type=float, required=True)
        sub.add_parser("demo", help="idempotent demo flows and data (make demo)")
        deliver = sub.add_parser("deliver-webhooks", help="deliver every webhook event that is due")
        deliver.add_argument(
            "--until-idle",
            action="store_true",
            help="repeat while retries fall due at once (LEAP_SANDBOX_WEBHOOK_TIME_FACTOR=0)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "seed":
            started = time.monotonic()
            try:
                made = seeding.seed(
                    connections=options["connections"],
                    meters=options["meters"],
                    seed=options["seed"],
                    prefix=options["prefix"],
                )
            except seeding.AlreadySeeded as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"Seeded {made.connections} connections and {made.meters} meters "
                f"in {time.monotonic() - started:.1f} s."
            )
        elif action == "reset":
            seeding.reset()
            self.stdout.write("Sandbox reset: no connections, no meters, clock at real time.")
        elif action == "advance":
            moved = advance_clock(options["hours"])
            self.stdout.write(f"Sandbox clock now {moved:%Y-%m-%d %H:%M} UTC.")
        elif action == "demo":
            demo(self.stdout)
        elif action == "deliver-webhooks":
            if options["until_idle"]:
                counts = webhooks.deliver_until_idle()
            else:
                counts = webhooks.deliver_due(sandbox_now())
            self.stdout.write(
                "Webhooks: {delivered} delivered, {retrying} to retry, {failed} given up.".format(
                    **counts
                )
            )
