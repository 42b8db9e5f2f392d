"""Small builders of Leap connection records for the connections tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from leapdash.leap.client import Page
from leapdash.leap.records import (
    AgreementsRecord,
    ConnectionRecord,
    RecordError,
    UtilityConnectionRecord,
    utility_id,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STALE = NOW - timedelta(hours=3)  # old enough for automated action
FRESH = NOW - timedelta(minutes=20)  # within Leap's quiet hour

PGE = "PG&E: Pacific Gas & Electric"
SCE = "SCE: Southern California Edison"
SDGE = "SDG&E: San Diego Gas & Electric"
CONED = "ConEd: Consolidated Edison"


def util(
    name: str = PGE,
    status: str = "CONNECTED",
    error_code: str | None = None,
    *,
    required: bool = True,
    at: datetime = STALE,
    uuid: str | None = None,
) -> UtilityConnectionRecord:
    return UtilityConnectionRecord(
        authorization_uuid=uuid or f"auth-{utility_id(name)}",
        utility_name=name,
        utility_id=utility_id(name),
        utility_is_required=required,
        status=status,
        error_code=error_code,
        started_at=at - timedelta(minutes=5),
        last_interaction_at=at,
    )


def conn(
    status: str = "PARTIAL",
    *utilities: UtilityConnectionRecord,
    pra: str = "NOT_REQUIRED",
    drp: str = "NOT_REQUIRED",
    ref_id: str = "ref-1",
    last: datetime = STALE,
    region: str = "CAISO",
    unknown: tuple[str, ...] = (),
    raw: dict[str, Any] | None = None,
) -> ConnectionRecord:
    record = ConnectionRecord(
        id=f"{region}_0000_{ref_id}",
        ref_id=ref_id,
        transmission_region=region,
        started_at=last - timedelta(minutes=10),
        last_interaction_at=last,
        status=status,
        utilities=tuple(utilities),
        agreements=AgreementsRecord(
            prohibited_resource_attestation=pra, demand_response_participation=drp
        ),
        unknown_values=unknown,
        raw=raw or {},
    )
    return record if raw else replace(record, raw=document_of(record))


def _stamp(at: datetime | None) -> str | None:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else None


def document_of(record: ConnectionRecord) -> dict[str, Any]:
    """The Connect API entry a record is read from (what the sync keeps as `raw`)."""
    return {
        "id": record.id,
        "transmission_region": record.transmission_region,
        "ref_id": record.ref_id,
        "start_date_time_utc": _stamp(record.started_at),
        "last_interaction_date_time_utc": _stamp(record.last_interaction_at),
        "connection_status": record.status,
        "utility_connections": [
            {
                "authorization_uuid": u.authorization_uuid,
                "utility_name": u.utility_name,
                "utility_is_required": u.utility_is_required,
                "status": u.status,
                "error_code": u.error_code,
                "start_date_time_utc": _stamp(u.started_at),
                "last_interaction_date_time_utc": _stamp(u.last_interaction_at),
            }
            for u in record.utilities
        ],
        "agreements": {
            "prohibited_resource_attestation_status": (
                record.agreements.prohibited_resource_attestation
            ),
            "demand_response_participation_agreement_status": (
                record.agreements.demand_response_participation
            ),
        },
    }


def page_of(
    records: list[ConnectionRecord], errors: list[RecordError] | None = None, retries: int = 0
) -> Page[ConnectionRecord]:
    """A Connect API page as the client hands it to the sync."""
    return Page(records, errors or [], None, retries)
