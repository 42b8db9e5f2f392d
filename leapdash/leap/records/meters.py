"""Leap Meters v2 (meter details) and Enrollments v2 records.

Schemas: leap-meters-v2.yml (MeterDetailsResponse) and leap-enrollments-v2.yml
(MeterEnrollmentResponse). Only the subset leapdash uses is typed; the rest stays in `raw`.
Leap's own examples break its schemas (a repeated connection_references entry, an empty
generator_fuel_type), so the parsers are lenient on shape and strict only on what leapdash
cannot do without: the meter id, its region and the audit timestamps or enrollment status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .base import Reader
from .connections import TRANSMISSION_REGIONS

CUSTOMER_CLASSIFICATIONS = ("RESIDENTIAL", "COMMERCIAL")
METER_TYPES = ("UTILITY_METER", "SUBMETER", "DEVICE")
ENROLLMENT_STATUSES = ("ACTIVE", "ELIGIBLE", "INELIGIBLE", "NOT_PARTICIPATING", "PENDING")
ACTION_TYPES = (
    "IS_AUTHORIZED",
    "DOCUMENTS_SIGNED",
    "HAS_AMI",
    "NOT_ENROLLED_IN_CONFLICTING_PROGRAM",
    "PARTICIPATING",
    "HAS_MARKET_REGISTRATION",
    "NO_MISSING_FIELDS",
    "GENERATOR",
    "ADDRESS",
    "HAS_NOMINATIONS",
    "HAS_BIDDING_STRATEGY",
    "IS_ELIGIBLE",
    "IS_ASSIGNED_TO_A_RESOURCE",
    "MEETS_EXTRA_PROGRAM_REQUIREMENTS",
)

# Meters API partner_reference rule: 3–256 characters, none of / \ ? [ ] { } ! # $ % ^ & * ( ) < > |
PARTNER_REFERENCE_MIN, PARTNER_REFERENCE_MAX = 3, 256
PARTNER_REFERENCE_FORBIDDEN = "/\\?[]{}!#$%^&*()<>|"
_PARTNER_REFERENCE = re.compile(r"^[^/\\?\]\[{}!#$%^&*()<>|]{3,256}$")

_REGIONS = frozenset(TRANSMISSION_REGIONS)
_CLASSIFICATIONS = frozenset(CUSTOMER_CLASSIFICATIONS)
_METER_TYPES = frozenset(METER_TYPES)
_ENROLLMENT_STATUSES = frozenset(ENROLLMENT_STATUSES)
_ACTION_TYPES = frozenset(ACTION_TYPES)


def is_valid_partner_reference(value: str) -> bool:
    """True if the Meters API would accept this as a partner_reference."""
    return bool(_PARTNER_REFERENCE.match(value))


@dataclass(frozen=True, slots=True)
class MeterRecord:
    meter_id: str
    partner_reference: str | None
    connection_references: tuple[str, ...]
    transmission_region: str
    customer_classification: str | None  # RESIDENTIAL | COMMERCIAL | other
    meter_type: str | None  # UTILITY_METER | SUBMETER | DEVICE | other
    utility_name: str | None  # Leap's utility code, e.g. PGE, CECONY
    service_account_number: str | None  # utility.electric_service_account_number
    customer_name: str | None  # customer.end_customer_name
    customer_company_name: str | None
    service_address: str | None  # one line: street, city, state postal code
    load_types: tuple[str, ...]
    tags: tuple[str, ...]
    is_archived: bool
    created_at: datetime
    last_modified_at: datetime | None  # audit.updated_at
    unknown_values: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ProgramEnrollmentRecord:
    program_identifier: str | None  # e.g. CEC-DSGS, NYISO-SCR
    delivery_period: str | None
    status: str  # enrollment_status
    starts_at: datetime | None
    ends_at: datetime | None
    market_group_name: str | None


@dataclass(frozen=True, slots=True)
class RequiredActionRecord:
    code: str  # action_code, e.g. AUTH_0001
    description: str
    action_type: str | None
    program_identifier: str | None
    delivery_period: str | None
    deadline_at: datetime | None


@dataclass(frozen=True, slots=True)
class EnrollmentRecord:
    meter_id: str
    partner_reference: str | None
    global_status: str  # global_enrollment_status
    programs: tuple[ProgramEnrollmentRecord, ...]
    partner_actions: tuple[RequiredActionRecord, ...]  # what the partner must do
    leap_actions: tuple[RequiredActionRecord, ...]  # what Leap is doing; shown, never acted on
    is_archived: bool
    last_modified_at: datetime | None
    unknown_values: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)


# leapdash's column sizes (meters/models.py): a longer value is a bad record, not a failed page
METER_LIMITS = {
    "meter_id": 64,
    "partner_reference": 256,
    "connection_references": 256,
    "utility_name": 64,
    "service_account_number": 128,
    "customer_name": 256,
    "service_address": 600,
}
ENROLLMENT_LIMITS = {"meter_id": 64, "partner_reference": 256}


def parse_meter(obj: object) -> MeterRecord:
    """One meter of GET /v2/meters/{id} or POST /v2/meters/search; raises RecordError."""
    r = Reader("meter", obj, ("meter_id", "partner_reference"))
    meter_id = r.req_str("meter_id")
    region = r.enum(r.req_str("transmission_region"), _REGIONS, "transmission_region")
    audit = r.obj_field("audit", required=True)
    customer = r.obj_field("customer")
    utility = r.obj_field("utility")
    record = MeterRecord(
        meter_id=meter_id,
        partner_reference=r.opt_str("partner_reference"),
        connection_references=r.str_tuple("connection_references"),
        transmission_region=region,
        customer_classification=_opt_enum(r, "customer_classification", _CLASSIFICATIONS),
        meter_type=_opt_enum(r, "meter_type", _METER_TYPES),
        utility_name=r.opt_str("utility_name", utility, "utility."),
        service_account_number=r.opt_str("electric_service_account_number", utility, "utility."),
        customer_name=r.opt_str("end_customer_name", customer, "customer."),
        customer_company_name=r.opt_str("end_customer_company_name", customer, "customer."),
        service_address=_address(r, customer),
        load_types=r.str_tuple("load_types"),
        tags=r.str_tuple("tags"),
        is_archived=r.opt_bool("is_archived", False),
        created_at=r.req_dt("created_at", audit, "audit."),
        last_modified_at=r.opt_dt("updated_at", audit, "audit."),
        unknown_values=tuple(r.unknown),
        raw=r.obj,
    )
    r.check_lengths(record, METER_LIMITS)
    return record


def parse_enrollment(obj: object) -> EnrollmentRecord:
    """One meter of GET /v2/meters/{id}/enrollments or the enrollments search; raises
    RecordError."""
    r = Reader("enrollment", obj, ("meter_id", "partner_reference"))
    meter_id = r.req_str("meter_id")
    global_status = r.enum(
        r.req_str("global_enrollment_status"), _ENROLLMENT_STATUSES, "global_enrollment_status"
    )
    programs = tuple(
        _program(r, item, i) for i, item in enumerate(r.list_field("program_enrollment"))
    )
    actions = r.obj_field("required_actions")
    audit = r.obj_field("audit")
    record = EnrollmentRecord(
        meter_id=meter_id,
        partner_reference=r.opt_str("partner_reference"),
        global_status=global_status,
        programs=programs,
        partner_actions=_actions(r, actions, "partner"),
        leap_actions=_actions(r, actions, "leap"),
        is_archived=r.opt_bool("is_archived", False),
        last_modified_at=r.opt_dt("updated_at", audit, "audit."),
        unknown_values=tuple(r.unknown),
        raw=r.obj,
    )
    r.check_lengths(record, ENROLLMENT_LIMITS)
    return record


def _opt_enum(r: Reader, name: str, known: frozenset[str]) -> str | None:
    value = r.opt_str(name)
    return None if value is None else r.enum(value, known, name)


def _address(r: Reader, customer: Mapping[str, Any]) -> str | None:
    """`132 My Street, Apartment 32, New York, NY 10001`: for display and search only."""
    p = "customer."
    street = ", ".join(
        s for s in (r.opt_str("street_1", customer, p), r.opt_str("street_2", customer, p)) if s
    )
    place = " ".join(
        s
        for s in (
            r.opt_str("state_or_province_code", customer, p),
            r.opt_str("postal_code", customer, p),
        )
        if s
    )
    parts = [s for s in (street, r.opt_str("city", customer, p), place) if s]
    return ", ".join(parts) or None


def _program(r: Reader, item: object, index: int) -> ProgramEnrollmentRecord:
    path = f"program_enrollment[{index}]."
    if not isinstance(item, dict):
        raise r.error(path.rstrip("."), "not an object in")
    status = r.enum(
        r.req_str("enrollment_status", item, path), _ENROLLMENT_STATUSES, path + "enrollment_status"
    )
    return ProgramEnrollmentRecord(
        program_identifier=r.opt_str("program_identifier", item, path),
        delivery_period=r.opt_str("delivery_period", item, path),
        status=status,
        starts_at=r.opt_dt("delivery_period_start_date_time", item, path),
        ends_at=r.opt_dt("delivery_period_end_date_time", item, path),
        market_group_name=r.opt_str("market_group_name", item, path),
    )


def _actions(r: Reader, actions: Mapping[str, Any], who: str) -> tuple[RequiredActionRecord, ...]:
    found = []
    for i, item in enumerate(r.list_field(who, actions, "required_actions.")):
        path = f"required_actions.{who}[{i}]."
        if not isinstance(item, dict):
            raise r.error(path.rstrip("."), "not an object in")
        action_type = r.opt_str("action_type", item, path)
        if action_type is not None:
            r.enum(action_type, _ACTION_TYPES, path + "action_type")
        found.append(
            RequiredActionRecord(
                code=r.req_str("action_code", item, path),
                description=r.opt_str("action_description", item, path) or "",
                action_type=action_type,
                program_identifier=r.opt_str("program_identifier", item, path),
                delivery_period=r.opt_str("delivery_period", item, path),
                deadline_at=r.opt_dt("enrollment_deadline_date_time", item, path),
            )
        )
    return tuple(found)


__all__ = [
    "ACTION_TYPES",
    "CUSTOMER_CLASSIFICATIONS",
    "ENROLLMENT_STATUSES",
    "METER_TYPES",
    "PARTNER_REFERENCE_FORBIDDEN",
    "PARTNER_REFERENCE_MAX",
    "PARTNER_REFERENCE_MIN",
    "EnrollmentRecord",
    "MeterRecord",
    "ProgramEnrollmentRecord",
    "RequiredActionRecord",
    "is_valid_partner_reference",
    "parse_enrollment",
    "parse_meter",
]
