"""Leap Connect API records (GET /v1.1/connections): one entry per refId.

Leap publishes no schema for this API; LEAP_API.md §3 defines it. Unknown enum strings are
kept as sent and flagged in unknown_values so the dashboard can show them raw and route them to
review; unknown extra fields are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .base import Reader, RecordError, slugify

CONNECTION_STATUSES = ("COMPLETED", "NOT_STARTED", "PARTIAL", "ERROR")
UTILITY_STATUSES = ("CONNECTED", "NOT_CONNECTED", "ERROR")
AGREEMENT_STATUSES = ("NOT_REQUIRED", "PENDING", "SIGNED", "DECLINED")
# Leap's full list sits in a login-only guide: this is the working set (LEAP_API.md §3).
ERROR_CODES = (
    "USER_CANCELED",
    "BAD_LOGIN",
    "ACCOUNT_LOCKED",
    "MFA_UNSUPPORTED",
    "UTILITY_WEBSITE_DOWN",
    "UTILITY_ERROR",
    "UTILITY_RATE_LIMITED",
    "NO_METERS_FOUND",
    "PARTIAL_METERS",
    "PENDING_MANUAL_REVIEW",
    "AUTHORIZATION_REVOKED",
    "AUTHORIZATION_EXPIRED",
    "UNKNOWN_ERROR",
)
TRANSMISSION_REGIONS = ("CAISO", "ERCOT", "NYISO", "ISONE", "PJM", "SERC", "WECC_SW", "WECC_PC")

# Connect's utility display names → the ids Leap's links use (LEAP_API.md §1, §3).
UTILITY_IDS = {
    "PG&E: Pacific Gas & Electric": "pge",
    "SCE: Southern California Edison": "sce",
    "SDG&E: San Diego Gas & Electric": "sdge",
    "ConEd: Consolidated Edison": "cecony-utilityapi",
    "O&RU: Orange and Rockland Utilities": "oru-utilityapi",
    "PSEG-LI: PSEG Long Island": "psegli-utilityapi",
    "Staging Test Utility (CAISO)": "staging-test",
    "Demo Utility": "demo",
}

_CONNECTION_STATUSES = frozenset(CONNECTION_STATUSES)
_UTILITY_STATUSES = frozenset(UTILITY_STATUSES)
_AGREEMENT_STATUSES = frozenset(AGREEMENT_STATUSES)
_ERROR_CODES = frozenset(ERROR_CODES)
_REGIONS = frozenset(TRANSMISSION_REGIONS)


def utility_id(utility_name: str) -> str:
    """Normalized utility id for a Connect display name; an unknown name becomes its slug."""
    known = UTILITY_IDS.get(utility_name)
    if known is not None:
        return known
    return slugify(utility_name) or "unknown"


@dataclass(frozen=True, slots=True)
class UtilityConnectionRecord:
    authorization_uuid: str
    utility_name: str
    utility_id: str
    utility_is_required: bool
    status: str
    error_code: str | None
    started_at: datetime | None
    last_interaction_at: datetime | None


@dataclass(frozen=True, slots=True)
class AgreementsRecord:
    prohibited_resource_attestation: str
    demand_response_participation: str


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    id: str
    ref_id: str
    transmission_region: str
    started_at: datetime | None
    last_interaction_at: datetime
    status: str
    utilities: tuple[UtilityConnectionRecord, ...]
    agreements: AgreementsRecord
    unknown_values: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)


# leapdash's column sizes (connections/models.py): a longer value is a bad record, not a
# failed page
REF_ID_MAX = 255  # Leap's refId limit (the partner_reference limit of 256 is looser)
CONNECTION_LIMITS = {"id": 400, "ref_id": REF_ID_MAX}
UTILITY_LIMITS = {"authorization_uuid": 64, "utility_name": 200, "utility_id": 100}


def parse_connection(obj: object) -> ConnectionRecord:
    """One entry of the Connect API's `connections` array; raises RecordError."""
    r = Reader("connection", obj, ("ref_id", "id"))
    ref_id = r.req_str("ref_id")
    status = r.enum(r.req_str("connection_status"), _CONNECTION_STATUSES, "connection_status")
    region = r.enum(r.req_str("transmission_region"), _REGIONS, "transmission_region")
    utilities = tuple(
        _parse_utility(r, item, i) for i, item in enumerate(r.list_field("utility_connections"))
    )
    # Agreements read NOT_REQUIRED until the customer has picked a utility (LEAP_API.md §2):
    # an entry sent without the object is read the same way rather than rejected.
    agreements = r.obj_field("agreements")
    record = ConnectionRecord(
        id=r.req_str("id"),
        ref_id=ref_id,
        transmission_region=region,
        started_at=r.opt_dt("start_date_time_utc"),
        last_interaction_at=r.req_dt("last_interaction_date_time_utc"),
        status=status,
        utilities=utilities,
        agreements=AgreementsRecord(
            prohibited_resource_attestation=_agreement(
                r, agreements, "prohibited_resource_attestation_status"
            ),
            demand_response_participation=_agreement(
                r, agreements, "demand_response_participation_agreement_status"
            ),
        ),
        unknown_values=tuple(r.unknown),
        raw=r.obj,
    )
    r.check_lengths(record, CONNECTION_LIMITS)
    return record


def _agreement(r: Reader, agreements: Mapping[str, Any], name: str) -> str:
    value = r.opt_str(name, agreements, "agreements.")
    if value is None:
        return "NOT_REQUIRED"
    return r.enum(value, _AGREEMENT_STATUSES, f"agreements.{name}")


def _parse_utility(r: Reader, item: object, index: int) -> UtilityConnectionRecord:
    path = f"utility_connections[{index}]."
    if not isinstance(item, dict):
        raise r.error(path.rstrip("."), "not an object in")
    name = r.req_str("utility_name", item, path)
    if name not in UTILITY_IDS:
        r.unknown.append(f"{path}utility_name={name}")
    status = r.enum(r.req_str("status", item, path), _UTILITY_STATUSES, path + "status")
    error_code = r.opt_str("error_code", item, path)
    if error_code is not None:
        r.enum(error_code, _ERROR_CODES, path + "error_code")
    record = UtilityConnectionRecord(
        # the contract makes it optional and nullable: a utility not yet tried may have none
        authorization_uuid=r.opt_str("authorization_uuid", item, path) or "",
        utility_name=name,
        utility_id=utility_id(name),
        utility_is_required=r.opt_bool("utility_is_required", False, item),
        status=status,
        error_code=error_code,
        started_at=r.opt_dt("start_date_time_utc", item, path),
        last_interaction_at=r.opt_dt("last_interaction_date_time_utc", item, path),
    )
    r.check_lengths(record, UTILITY_LIMITS)
    return record


__all__ = [
    "AGREEMENT_STATUSES",
    "CONNECTION_STATUSES",
    "ERROR_CODES",
    "TRANSMISSION_REGIONS",
    "UTILITY_IDS",
    "UTILITY_STATUSES",
    "AgreementsRecord",
    "ConnectionRecord",
    "RecordError",
    "UtilityConnectionRecord",
    "parse_connection",
    "utility_id",
]
