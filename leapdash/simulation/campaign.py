"""One simulated campaign: the scripted customers go through the sandbox while leapdash's own
tasks run on beat's schedule; what reached the partner's tool is handed to the oracle."""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.db import transaction
from django.test import Client

from connections.due import candidates, due_for
from connections.experiments import summarise
from connections.funnel import ArmRow, arrivals, compared
from connections.models import Connection, Experiment, OutgoingHook
from connections.tasks import post_due_touches_task, sync_connections_task
from leapdash.accounts.roles import PROGRAM_MANAGERS
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox import state
from leapdash.leap.sandbox.scenarios import SCENARIOS
from leapdash.leap.sandbox.webhooks import deliver_due
from leapdash.leap.utilities import REGION_UTILITIES
from links.models import Flow, Link
from meters.tasks import sync_meters_task

from .population import ARMS, SALT, Customer, Visit, script
from .world import (
    ORG,
    SIGNING_SECRET,
    Clock,
    Receiver,
    Touch,
    own_database,
    pointed_at,
    post_webhooks_for,
    served,
    ticks,
)

# A Monday: every run of a seed sees the same weekdays and daylight-saving dates.
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
FIRST_TOUCH_DELAY_MINUTES = 15


@dataclass
class Outcome:
    customers: list[Customer]
    touches: list[Touch]
    repeats: dict[str, int]
    bad_signatures: int
    start: datetime
    end: datetime
    arms: list[ArmRow]  # --variants: the funnel's Variants section, the flows together


def run(*, customers: int, days: int, seed: int, variants: bool = False) -> Outcome:
    # locks of this run only: a run stopped midway must not hold the next one's
    settings.CACHES["default"]["KEY_PREFIX"] = f"leapdash-simulation-{uuid.uuid4().hex}"
    with suppress(AttributeError):  # this thread's cache, if made already, with the old prefix
        del caches["default"]
    population = script(seed, customers, START, days, variants)
    arms: list[ArmRow] = []
    receiver = Receiver()
    clock = Clock(START)
    try:
        with own_database("leapdash_simulation"), served() as base, pointed_at(base):
            _set_up(population, base, receiver.url, variants)
            _play(population, clock, days)
            arms = _variant_results() if variants else []
    finally:
        clock.stop()
        receiver.close()
    return Outcome(
        population,
        sorted(receiver.touches, key=lambda t: (t.at, t.ref_id)),
        receiver.repeats,
        receiver.bad_signatures,
        START,
        START + timedelta(days=days),
        arms,
    )


def _set_up(population: list[Customer], base: str, hook_url: str, variants: bool) -> None:
    sandbox.Webhook.objects.create(
        receiver_url=f"{base}/webhooks/leap/",
        event_types=["connect_session.updated", "connect_session.authorization_updated"],
        headers=[{"name": "X-Leapdash-Webhook-Secret", "value": settings.LEAP_WEBHOOK_SECRET}],
    )
    OutgoingHook.objects.update_or_create(
        pk=1, defaults={"url": hook_url, "enabled": True, "signing_secret": SIGNING_SECRET}
    )
    links = []
    for c in population:
        flow = _flow(c)
        links.append(
            Link(
                flow=flow,
                org_name=ORG,
                ref_id=c.ref_id,
                customer_name=f"Customer {c.index}",
                customer_email=f"customer{c.index}@example.com",
                customer_type=c.customer_type,
                requested_utilities=c.requested,
                url=f"{base}/sandbox/connect/{ORG}/{flow.title}/?refId={c.ref_id}",
                do_not_contact=c.do_not_contact,
            )
        )
    Link.objects.bulk_create(links)
    if variants:
        for flow in Flow.objects.all():
            _experiment(flow)


def _experiment(flow: Flow) -> None:
    """The same split as the script's (population.ARMS, SALT), from the campaign's start."""
    experiment = Experiment.objects.create(
        flow=flow, name="Quick or day 1", salt=SALT, started_at=START
    )
    experiment.add_variants(list(ARMS))


def _variant_results() -> list[ArmRow]:
    """The funnel's numbers per variant, every flow's customers of a variant together."""
    per_name = arrivals(Connection.objects.filter(variant__isnull=False), "variant__name")
    return compared([(arm.key, False, summarise(per_name.get(arm.key, []))) for arm in ARMS])


def _flow(c: Customer) -> Flow:
    """One flow per region, customer type and follow-up choice, here and in the sandbox."""
    title = _flow_title(c)
    sandbox.Flow.objects.get_or_create(
        org_name=ORG, title=title, defaults={"region": c.region, "thank_you_url": ""}
    )
    flow, _ = Flow.objects.get_or_create(
        org_name=ORG,
        title=title,
        defaults={
            "region": c.region,
            "customer_type": c.customer_type,
            "follow_up_other_utility": c.follow_up,
            "first_touch_delay_minutes": FIRST_TOUCH_DELAY_MINUTES,
        },
    )
    return flow


def _flow_title(c: Customer) -> str:
    return f"{c.region}-{c.customer_type}{'-follow-up' if c.follow_up else ''}".lower()


def _play(population: list[Customer], clock: Clock, days: int) -> None:
    by_ref = {c.ref_id: c for c in population}
    pending = sorted(
        ((v.at, c.index, c, v) for c in population for v in c.visits), key=lambda e: e[:2]
    )
    post = post_webhooks_for(by_ref)
    pm = _program_manager()
    skippers = [c for c in population if c.skip]
    i = 0
    for tick in ticks(START, days):
        while i < len(pending) and pending[i][0] <= tick:
            at, _, customer, visit = pending[i]
            clock.move_to(at)
            _visit(customer, visit, at)
            i += 1
        clock.move_to(tick)
        deliver_due(tick, post)
        if tick.minute == 0:
            sync_connections_task()
            sync_meters_task()
        _skip_due_touches(pm, skippers, tick)
        post_due_touches_task.run()


def _visit(c: Customer, visit: Visit, at: datetime) -> None:
    flow = sandbox.Flow.objects.get(org_name=ORG, title=_flow_title(c))
    with transaction.atomic():
        connection = state.open_connection(ref_id=c.ref_id, flow=flow, now=at)
        if visit.scenario:
            if c.story == "commercial_error_other_connected":
                other = REGION_UTILITIES[c.region][1]
                _attempt(connection, c, other, "residential", at)
            # connecting another utility than the requested one means logging in there
            utility = c.utility
            if visit.scenario == "other_utility":
                utility = REGION_UTILITIES[c.region][1]
            _attempt(connection, c, utility, visit.scenario, at)
        state.session_closed(connection, at)


def _attempt(connection: sandbox.Connection, c: Customer, utility: str, name: str, at: datetime):
    state.utility_started(connection, utility, c.requested, at)
    state.record_attempt(
        connection,
        utility_id=utility,
        scenario=SCENARIOS[name],
        requested=c.requested,
        customer_type=c.customer_type.upper(),
        pra_status="NOT_REQUIRED",
        dr_status="NOT_REQUIRED",
        now=at,
    )


def _program_manager() -> User:
    user = User.objects.create_user("simulated-pm", password=None)
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGERS))
    return user


def _skip_due_touches(pm: User, skippers: list[Customer], now: datetime) -> None:
    """A program manager skips, from the queue, the first touch due to these customers (each
    once: then the customer leaves the list; one who has not visited yet is not looked for)."""
    refs = [c.ref_id for c in skippers if c.visits and c.visits[0].at <= now]
    if not refs:
        return
    for connection in candidates(now).filter(ref_id__in=refs):
        due = due_for(connection, now)
        if due is None:
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(pm)  # a session of today: sessions end after hours, not days
        response = client.post(
            f"/connections/{connection.pk}/touch/",
            {"action": "skip", "touch": str(due.touch.touch)},
        )
        if response.status_code != 302 or response["Location"] != "/connections/queue/":
            raise RuntimeError(f"the queue refused the skip: HTTP {response.status_code}")
        skippers[:] = [c for c in skippers if c.ref_id != connection.ref_id]
