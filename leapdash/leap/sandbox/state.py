"""The sandbox's clock and the state changes a customer (or a test-submit) causes.

The journey, test-submit and the webhooks all go through these functions, so a click-through
and an API submission leave the same records behind.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from leapdash.leap.utilities import REGION_UTILITIES

from . import webhooks
from .documents import connection_document, connection_id, connection_status, meter_documents
from .models import Connection, Flow, Meter, SandboxState
from .scenarios import UTILITIES, Scenario


def sandbox_now() -> datetime:
    """Real time moved by `sandbox advance`."""
    state = SandboxState.objects.filter(pk=1).first()
    offset = state.clock_offset_seconds if state else 0.0
    return timezone.now() + timedelta(seconds=offset)


def advance_clock(hours: float) -> datetime:
    state, _ = SandboxState.objects.get_or_create(pk=1)
    state.clock_offset_seconds += hours * 3600
    state.save(update_fields=["clock_offset_seconds"])
    return sandbox_now()


def reset_clock() -> None:
    SandboxState.objects.update_or_create(pk=1, defaults={"clock_offset_seconds": 0})


def refresh_boundary(now: datetime) -> datetime:
    """The last moment Connect data was refreshed (Leap refreshes it periodically)."""
    period = settings.LEAP_SANDBOX_REFRESH_SECONDS
    if period <= 0:
        return now
    return datetime.fromtimestamp(now.timestamp() // period * period, tz=UTC)


def published_document(connection: Connection, boundary: datetime) -> dict[str, Any] | None:
    """What the Connect API shows of a connection as of the last refresh, or None if nothing."""
    if connection.changed_at <= boundary:
        return connection.document
    return connection.stale_document


def meter_delay() -> timedelta:
    return timedelta(hours=settings.LEAP_SANDBOX_METER_DELAY_HOURS)


def new_referral(rng: random.Random | None = None) -> str:
    number = rng.getrandbits(32) if rng else uuid.uuid4().int
    return f"{number % 100000:05d}-{number // 100000 % 100000:05d}"


def _save(connection: Connection, now: datetime, *, created: bool = False) -> None:
    """Recompute status and document; keep the last published document until the next refresh."""
    if not created and connection.changed_at < refresh_boundary(now):
        connection.stale_document = connection.document
    connection.status = connection_status(
        connection.utilities, connection.pra_status, connection.dr_status
    )
    connection.changed_at = now
    connection.document = connection_document(
        cid=connection.connection_id,
        region=connection.region,
        ref_id=connection.ref_id,
        started_at=connection.started_at,
        last_interaction_at=connection.last_interaction_at,
        status=connection.status,
        utilities=connection.utilities,
        pra=connection.pra_status,
        dr=connection.dr_status,
    )
    connection.save()


def open_connection(*, ref_id: str, flow: Flow, now: datetime) -> Connection:
    """The customer opened a link with a refId: the Connect entry exists from now on."""
    connection = Connection.objects.filter(ref_id=ref_id).first()
    if connection is not None:
        return connection
    connection = Connection(
        connection_id=connection_id(flow.region, ref_id),
        ref_id=ref_id,
        flow=flow,
        region=flow.region,
        started_at=now,
        last_interaction_at=now,
        changed_at=now,
    )
    _save(connection, now, created=True)
    webhooks.emit(
        "connect_session.updated", {"partner_reference": ref_id, "status": "CREATED"}, now
    )
    return connection


def utility_started(
    connection: Connection,
    utility_id: str,
    requested: list[str],
    now: datetime,
    *,
    pra_status: str = "NOT_REQUIRED",
    dr_status: str = "NOT_REQUIRED",
) -> None:
    """The customer picked a utility: it appears as NOT_CONNECTED until the login ends, and the
    agreements stop reading NOT_REQUIRED."""
    if not any(u["utility_name"] == UTILITIES[utility_id].name for u in connection.utilities):
        _set_utility(connection, utility_id, utility_id in requested, "NOT_CONNECTED", None, now)
        connection.last_interaction_at = now
        connection.pra_status, connection.dr_status = pra_status, dr_status
        _save(connection, now)
        webhooks.emit(
            "connect_session.authorization_updated",
            {
                "partner_reference": connection.ref_id,
                "utility_name": UTILITIES[utility_id].code,
                "status": "INITIATED",
            },
            now,
        )


def _set_utility(
    connection: Connection,
    utility_id: str,
    required: bool,
    status: str,
    error_code: str | None,
    now: datetime,
) -> None:
    name = UTILITIES[utility_id].name
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for item in connection.utilities:
        if item["utility_name"] == name:
            item.update(status=status, error_code=error_code if status == "ERROR" else None)
            item["utility_is_required"] = item["utility_is_required"] or required
            item["last_interaction_date_time_utc"] = stamp
            return
    connection.utilities.append(
        {
            "authorization_uuid": str(uuid.uuid4()),
            "utility_name": name,
            "utility_is_required": required,
            "status": status,
            "error_code": error_code if status == "ERROR" else None,
            "start_date_time_utc": stamp,
            "last_interaction_date_time_utc": stamp,
        }
    )


@transaction.atomic
def record_attempt(
    connection: Connection,
    *,
    utility_id: str,
    scenario: Scenario,
    requested: list[str],
    customer_type: str,
    pra_status: str,
    dr_status: str,
    now: datetime,
) -> list[Meter]:
    """A utility login ended with `scenario`: update the connection, schedule its meters."""
    # Requested utilities the customer has not connected show as NOT_CONNECTED and required,
    # so that connecting only another utility leaves the connection PARTIAL (as Leap does).
    missing = [u for u in requested if u != utility_id]
    if (scenario.other_utility and not missing) or scenario.second_required:
        missing += _others(utility_id, 1)
    present = {u["utility_name"] for u in connection.utilities}
    for other in dict.fromkeys(missing):
        if UTILITIES[other].name not in present:
            _set_utility(connection, other, True, "NOT_CONNECTED", None, now)
    required = utility_id in requested and not scenario.other_utility
    _set_utility(
        connection, utility_id, required, scenario.utility_status, scenario.error_code, now
    )
    connection.customer_type = customer_type
    connection.scenario = scenario.name
    connection.pra_status = scenario.pra_status or pra_status
    connection.dr_status = dr_status
    connection.last_interaction_at = now
    before = connection.status
    _save(connection, now)
    _report_attempt(connection, utility_id, scenario, before, now)
    found_meters = scenario.utility_status == "CONNECTED" or scenario.error_code == "PARTIAL_METERS"
    if scenario.meters and found_meters:
        return create_meters(connection, scenario, utility_id, customer_type, now)
    return []


def _report_attempt(
    connection: Connection, utility_id: str, scenario: Scenario, before: str, now: datetime
) -> None:
    """The webhooks Leap sends after a utility login: the authorization's outcome, then the
    session's progress (a session completes only once)."""
    auth_status = {"CONNECTED": "COMPLETED", "ERROR": "FAILED"}.get(
        scenario.utility_status, "INITIATED"
    )
    if scenario.error_code == "PENDING_MANUAL_REVIEW":
        auth_status = "INITIATED"  # awaiting the provider's review: it has not failed
    webhooks.emit(
        "connect_session.authorization_updated",
        {
            "partner_reference": connection.ref_id,
            "utility_name": UTILITIES[utility_id].code,
            "status": auth_status,
        },
        now,
    )
    session_status = "COMPLETED" if connection.status == "COMPLETED" else "UPDATED"
    if not (before == "COMPLETED" and session_status == "COMPLETED"):
        webhooks.emit(
            "connect_session.updated",
            {"partner_reference": connection.ref_id, "status": session_status},
            now,
        )


def agreements_answered(
    connection: Connection, *, pra_status: str, dr_status: str, now: datetime
) -> None:
    """The customer answered the terms Leap shows after a utility login: the agreements, and
    with them the status, change; Leap reports the session's progress."""
    before = connection.status
    connection.pra_status, connection.dr_status = pra_status, dr_status
    connection.last_interaction_at = now
    _save(connection, now)
    status = "COMPLETED" if connection.status == "COMPLETED" else "UPDATED"
    if not (before == "COMPLETED" and status == "COMPLETED"):  # completes only once
        webhooks.emit(
            "connect_session.updated",
            {"partner_reference": connection.ref_id, "status": status},
            now,
        )


def session_closed(connection: Connection, now: datetime) -> None:
    """The customer left Leap Connect without completing: Leap closes the session."""
    if connection.status != "COMPLETED":
        webhooks.emit(
            "connect_session.updated",
            {"partner_reference": connection.ref_id, "status": "CLOSED"},
            now,
        )


def _others(utility_id: str, count: int) -> list[str]:
    region = UTILITIES[utility_id].region or "CAISO"
    return [u for u in REGION_UTILITIES.get(region, ()) if u != utility_id][:count]


def create_meters(
    connection: Connection, scenario: Scenario, utility_id: str, classification: str, now: datetime
) -> list[Meter]:
    """The scenario's meters, visible LEAP_SANDBOX_METER_DELAY_HOURS after `now`."""
    visible_at = now + meter_delay()
    meters = []
    for index in range(scenario.meters):
        meter_id = uuid.uuid4()
        document, enrollment = meter_documents(
            meter_id=meter_id,
            ref_id=connection.ref_id,
            region=connection.region,
            utility_id=utility_id if UTILITIES[utility_id].region else "pge",
            scenario=scenario,
            classification=classification,
            created_at=visible_at,
            index=index,
        )
        meters.append(meter_row(document, enrollment, connection, visible_at))
    Meter.objects.bulk_create(meters)
    for meter in meters:
        webhooks.emit(
            "meter.created",
            {
                "meter_id": str(meter.meter_id),
                "partner_reference": meter.partner_reference,
                "transmission_region": meter.transmission_region,
                "meter_type": meter.meter_type,
            },
            visible_at,
        )
    return meters


def bars(values: list[str]) -> str:
    """The `|a|b|` encoding of a list column, so `contains` filters work on any database."""
    return "".join(f"|{v}" for v in values) + "|" if values else ""


def meter_row(
    document: dict[str, Any],
    enrollment: dict[str, Any],
    connection: Connection | None,
    created_at: datetime,
    connection_pk: int | None = None,
) -> Meter:
    """An unsaved Meter whose columns mirror its documents."""
    partner_actions = enrollment["required_actions"]["partner"]
    return Meter(
        meter_id=uuid.UUID(document["meter_id"]),
        connection_id=connection.pk if connection is not None else connection_pk,
        partner_reference=document.get("partner_reference", ""),
        transmission_region=document["transmission_region"],
        customer_classification=document.get("customer_classification", ""),
        meter_type=document["meter_type"],
        global_enrollment_status=enrollment["global_enrollment_status"],
        customer_group=document.get("customer_group", ""),
        tags=bars(document.get("tags", [])),
        load_types=bars(document.get("load_types", [])),
        action_types=bars(sorted({a["action_type"] for a in partner_actions})),
        partner_action_required=bool(partner_actions),
        is_archived=document.get("is_archived", False),
        created_at=created_at,
        updated_at=created_at,
        document=document,
        enrollment=enrollment,
    )


def submit_scenario(
    *, flow: Flow, ref_id: str, utility_id: str, scenario: Scenario, now: datetime
) -> Connection:
    """What a customer choosing this scenario at this utility leaves behind (test-submit)."""
    connection = open_connection(ref_id=ref_id, flow=flow, now=now)
    requested = [utility_id]
    if scenario.other_utility:
        requested = _others(utility_id, 1)
    customer_type = scenario.classification
    commercial_caiso = customer_type == "COMMERCIAL" and flow.region == "CAISO"
    record_attempt(
        connection,
        utility_id=utility_id,
        scenario=scenario,
        requested=requested,
        customer_type=customer_type,
        pra_status="SIGNED" if commercial_caiso else "NOT_REQUIRED",
        dr_status="SIGNED" if flow.dr_agreement else "NOT_REQUIRED",
        now=now,
    )
    return connection
