"""Bulk seeding: many connections and meters, deterministic under a seed.

The scenario mix follows SCENARIOS' seed_weight (mostly completed, a tail of every error).
Rows are built in chunks and written with one COPY each (bulk_create off PostgreSQL), so
memory stays bounded.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection as db
from django.db import models, transaction

from leapdash import pgcopy
from leapdash.db import is_postgresql
from leapdash.leap.utilities import REGION_UTILITIES

from .documents import (
    connection_document,
    connection_id,
    connection_status,
    meter_documents,
    utility_item,
)
from .models import Connection, Flow, Meter
from .scenarios import SCENARIO_LIST, Scenario
from .state import meter_delay, meter_row, sandbox_now

CHUNK = 2000


class AlreadySeeded(ValueError):
    """The seed's refIds exist already: reset first (or use another seed or prefix)."""


@dataclass
class SeedResult:
    connections: int
    meters: int


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _meter_counts(scenarios: list[Scenario], meters: int | None) -> list[int]:
    """Meters per connection: the scenario's count, then trimmed or topped up to `meters`."""
    counts = [s.meters for s in scenarios]
    if meters is None:
        return counts
    total = 0
    for i, count in enumerate(counts):
        counts[i] = min(count, max(meters - total, 0))
        total += counts[i]
    takers = [i for i, s in enumerate(scenarios) if s.connection_status == "COMPLETED" and s.meters]
    while total < meters and takers:
        for i in takers:
            if total >= meters:
                break
            counts[i] += 1
            total += 1
    return counts


def seed(
    *,
    connections: int,
    meters: int | None = None,
    seed: int = 0,
    now: datetime | None = None,
    prefix: str = "sbx",
    flow: Flow | None = None,
) -> SeedResult:
    """Create `connections` connections (refIds `<prefix>-<seed>-<n>`) and their meters."""
    now = now or sandbox_now()
    rng = random.Random(seed)
    first_ref = f"{prefix}-{seed}-{0:07d}"
    if connections and Connection.objects.filter(ref_id=first_ref).exists():
        raise AlreadySeeded(f"refId {first_ref} exists: run `sandbox reset` or pick another seed")
    weights = [s.seed_weight for s in SCENARIO_LIST]
    scenarios = rng.choices(SCENARIO_LIST, weights=weights, k=connections)
    counts = _meter_counts(scenarios, meters)
    made = SeedResult(0, 0)
    for start in range(0, connections, CHUNK):
        with transaction.atomic():
            made.meters += _chunk(rng, scenarios, counts, start, _Batch(prefix, seed, now, flow))
        made.connections += len(scenarios[start : start + CHUNK])
    return made


def _insert(model: type[models.Model], rows: list[Any]) -> None:
    """bulk_create, or on PostgreSQL one COPY (several times faster for a million rows); the
    rows get their primary keys either way."""
    if not is_postgresql(db):
        model._default_manager.bulk_create(rows, batch_size=500)
        return
    names = [column.attname for column in pgcopy.columns(model)]
    keys = pgcopy.insert_new(model, [{n: getattr(row, n) for n in names} for row in rows])
    for row, pk in zip(rows, keys, strict=True):
        row.pk = pk


@dataclass(frozen=True)
class _Batch:
    """What one chunk's rows share."""

    prefix: str
    seed: int
    now: datetime
    flow: Flow | None


def _chunk(
    rng: random.Random, scenarios: list[Scenario], counts: list[int], start: int, batch: _Batch
) -> int:
    rows: list[Connection] = []
    plans: list[tuple[Scenario, str, int]] = []
    for i in range(start, min(start + CHUNK, len(scenarios))):
        row, utility = _connection(rng, scenarios[i], i, batch)
        rows.append(row)
        plans.append((scenarios[i], utility, counts[i]))
    _insert(Connection, rows)
    meters = [
        meter
        for row, (scenario, utility, count) in zip(rows, plans, strict=True)
        for meter in _meters(rng, row, scenario, utility, count)
    ]
    _insert(Meter, meters)
    return len(meters)


def _connection(
    rng: random.Random, scenario: Scenario, i: int, batch: _Batch
) -> tuple[Connection, str]:
    """The i-th seeded connection, as its scenario plays out; and the utility it tried."""
    flow = batch.flow
    region = flow.region if flow else ("NYISO" if rng.random() < 0.2 else "CAISO")
    if scenario.only_utility:
        region = "CAISO"
    utilities = REGION_UTILITIES[region]
    utility = scenario.only_utility or rng.choice(utilities)
    started = batch.now - timedelta(seconds=rng.uniform(3600, 30 * 86400))
    last = min(started + timedelta(seconds=rng.uniform(60, 7200)), batch.now)
    items = _utility_items(rng, scenario, utility, utilities, last)
    commercial_caiso = scenario.classification == "COMMERCIAL" and region == "CAISO"
    pra = scenario.pra_status or ("SIGNED" if commercial_caiso else "NOT_REQUIRED")
    dr = "SIGNED" if flow and flow.dr_agreement else "NOT_REQUIRED"
    status = connection_status(items, pra, dr)
    ref_id = f"{batch.prefix}-{batch.seed}-{i:07d}"
    cid = connection_id(region, ref_id, rng)
    times = {"started_at": started, "last_interaction_at": last}
    document = connection_document(
        cid=cid,
        region=region,
        ref_id=ref_id,
        status=status,
        utilities=items,
        pra=pra,
        dr=dr,
        **times,
    )
    row = Connection(
        connection_id=cid,
        ref_id=ref_id,
        flow=flow,
        region=region,
        customer_type=scenario.classification,
        scenario=scenario.name,
        status=status,
        utilities=items,
        pra_status=pra,
        dr_status=dr,
        changed_at=last,
        document=document,
        **times,
    )
    return row, utility


def _utility_items(
    rng: random.Random, scenario: Scenario, utility: str, utilities: Sequence[str], at: datetime
) -> list[dict[str, Any]]:
    """The connection's utilities: the one tried, after a required one left unconnected when
    the scenario has the customer connect another utility or miss a second required one."""
    items = []
    if scenario.other_utility or scenario.second_required:
        other = next(u for u in utilities if u != utility)
        items.append(
            utility_item(
                other, required=True, status="NOT_CONNECTED", error_code=None, at=at, rng=rng
            )
        )
    items.append(
        utility_item(
            utility,
            required=not scenario.other_utility,
            status=scenario.utility_status,
            error_code=scenario.error_code,
            at=at,
            rng=rng,
        )
    )
    return items


def _meters(
    rng: random.Random, row: Connection, scenario: Scenario, utility: str, count: int
) -> list[Meter]:
    created = row.last_interaction_at + meter_delay()
    meters = []
    for index in range(count):
        document, enrollment = meter_documents(
            meter_id=_uuid(rng),
            ref_id=row.ref_id,
            region=row.region,
            utility_id=utility,
            scenario=scenario,
            classification=row.customer_type,
            created_at=created,
            index=index,
        )
        meters.append(meter_row(document, enrollment, row, created))
    return meters


def reset() -> None:
    """Forget every connection, meter and queued webhook event; flows and webhooks stay."""
    from .models import JourneySession, WebhookDelivery
    from .state import reset_clock

    models_: list[type[models.Model]] = [WebhookDelivery, Meter, Connection, JourneySession]
    if is_postgresql(db):
        # TRUNCATE frees a million rows at once; the ORM's delete would walk them in batches
        tables = ", ".join(db.ops.quote_name(m._meta.db_table) for m in models_)
        with db.cursor() as cursor:
            # run deferred FK checks of this transaction first, or TRUNCATE refuses
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables}")
    else:
        for model in models_:  # the demo's few rows
            model._default_manager.all().delete()
    reset_clock()
