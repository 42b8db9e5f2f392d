"""The JSON documents the sandbox serves, built the way Leap shapes them.

Connections follow LEAP_API.md section 3; meters follow MeterDetailsResponse
(leap-meters-v2.yml) and enrollments MeterEnrollmentResponse (leap-enrollments-v2.yml).
"""

from __future__ import annotations

import copy
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from .scenarios import UTILITIES, Scenario


def iso(moment: datetime | None) -> str | None:
    """Leap's timestamp format: UTC with a Z."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def connection_id(region: str, ref_id: str, rng: random.Random | None = None) -> str:
    token = uuid.UUID(int=rng.getrandbits(128), version=4) if rng else uuid.uuid4()
    return f"{region}_{token}_{ref_id}"


def utility_item(
    utility_id: str,
    *,
    required: bool,
    status: str,
    error_code: str | None,
    at: datetime,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """One utility_connections entry."""
    auth = uuid.UUID(int=rng.getrandbits(128), version=4) if rng else uuid.uuid4()
    return {
        "authorization_uuid": str(auth),
        "utility_name": UTILITIES[utility_id].name,
        "utility_is_required": required,
        "status": status,
        "error_code": error_code if status == "ERROR" else None,
        "start_date_time_utc": iso(at),
        "last_interaction_date_time_utc": iso(at),
    }


def connection_status(utilities: list[dict[str, Any]], pra: str, dr: str) -> str:
    """Overall connection_status from the utilities and agreements (LEAP_API.md section 2)."""
    if not utilities or all(
        u["status"] == "NOT_CONNECTED" and not u["error_code"] for u in utilities
    ):
        return "NOT_STARTED"
    connected = [u for u in utilities if u["status"] == "CONNECTED"]
    required = [u for u in utilities if u["utility_is_required"]]
    if required:
        utilities_done = all(u["status"] == "CONNECTED" for u in required)
    else:
        utilities_done = bool(connected)
    agreements_done = pra in ("NOT_REQUIRED", "SIGNED") and dr in ("NOT_REQUIRED", "SIGNED")
    if utilities_done and agreements_done:
        return "COMPLETED"
    if connected:
        return "PARTIAL"
    if any(u["status"] == "ERROR" for u in utilities):
        return "ERROR"
    return "NOT_STARTED"


def connection_document(
    *,
    cid: str,
    region: str,
    ref_id: str,
    started_at: datetime,
    last_interaction_at: datetime,
    status: str,
    utilities: list[dict[str, Any]],
    pra: str,
    dr: str,
) -> dict[str, Any]:
    return {
        "id": cid,
        "transmission_region": region,
        "ref_id": ref_id,
        "start_date_time_utc": iso(started_at),
        "last_interaction_date_time_utc": iso(last_interaction_at),
        "connection_status": status,
        # a copy: the live list is edited in place while this document may be kept as published
        "utility_connections": copy.deepcopy(utilities),
        "agreements": {
            "prohibited_resource_attestation_status": pra,
            "demand_response_participation_agreement_status": dr,
        },
    }


_PLACES = {
    "CAISO": ("San Francisco", "CA", "94105", "Market Street"),
    "NYISO": ("New York", "NY", "10001", "West 34th Street"),
}
_PROGRAMS = {
    ("CAISO", "RESIDENTIAL"): "CEC-DSGS",
    ("CAISO", "COMMERCIAL"): "CCA",
    ("NYISO", "RESIDENTIAL"): "CONED-DLRP",
    ("NYISO", "COMMERCIAL"): "NYISO-SCR",
}


def meter_documents(
    *,
    meter_id: uuid.UUID,
    ref_id: str,
    region: str,
    utility_id: str,
    scenario: Scenario,
    classification: str,
    created_at: datetime,
    index: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A meter's Meters v2 document and its Enrollments v2 document."""
    utility = UTILITIES[utility_id]
    number = int(meter_id.hex[:8], 16)
    lse = utility.code
    if scenario.name == "pge_cca_service" and index == 0:
        lse = "Clean Power SF"  # the CCA service; its parent service is the second meter
    audit = {"created_by": "UTILITY", "created_at": iso(created_at), "updated_at": iso(created_at)}
    identifiers: dict[str, Any] = {
        "meter_id": str(meter_id),
        "partner_reference": ref_id,
        "transmission_region": region,
        "customer_classification": classification,
        "load_types": ["HVAC"],
        "meter_type": "UTILITY_METER",
        "connection_references": [ref_id],
        "customer_group": "",
        "tags": [],
        "is_archived": False,
    }
    meter = {
        **identifiers,
        "customer": _customer(ref_id, region, classification, number),
        "utility": {
            "utility_name": utility.code,
            "load_serving_entity": lse,
            "electric_service_account_number": f"{number % 10**10:010d}-{index + 1}",
            "tariff": "E-TOU-C" if classification == "RESIDENTIAL" else "B-19",
            "utility_meter_serial_number": f"SN{number:010d}{index}",
        },
        "audit": audit,
    }
    enrollment = {
        **identifiers,
        "audit": audit,
        **enrollment_fields(region, classification, scenario, created_at),
    }
    return meter, enrollment


def _customer(ref_id: str, region: str, classification: str, number: int) -> dict[str, Any]:
    """The meter's service address and customer, made up from the meter's number."""
    city, state, postal, street = _PLACES.get(region, _PLACES["CAISO"])
    customer: dict[str, Any] = {
        "street_1": f"{number % 9000 + 100} {street}",
        "postal_code": postal,
        "city": city,
        "state_or_province_code": state,
        "country_code": "US",
        "end_customer_name": f"Sandbox Customer {number % 100000}",
        "partner_customer_reference": ref_id,
    }
    if classification == "COMMERCIAL":
        customer["end_customer_company_name"] = f"Sandbox Business {number % 1000}"
    return customer


def enrollment_fields(
    region: str, classification: str, scenario: Scenario, created_at: datetime
) -> dict[str, Any]:
    program = _PROGRAMS.get((region, classification), "ELRP")
    start = (created_at + timedelta(days=32)).replace(day=1, hour=7, minute=0, second=0)
    end = (start + timedelta(days=32)).replace(day=1)
    period = f"{program}_{start:%Y_%b}".upper()
    deadline = start - timedelta(days=2)
    actions: dict[str, list[dict[str, Any]]] = {"partner": [], "leap": []}
    for action in scenario.actions:
        actions[action.side].append(
            {
                "program_identifier": program,
                "delivery_period": period,
                "enrollment_deadline_date_time": iso(deadline),
                "action_type": action.action_type,
                "action_description": action.description,
                "action_code": action.action_code,
            }
        )
    return {
        "global_enrollment_status": scenario.enrollment_status,
        "participation_preferences": [
            {
                "participation_preference": "PARTICIPATE",
                "start_time": iso(created_at),
                "end_time": "9000-01-01T00:00:00Z",
            }
        ],
        "program_enrollment": [
            {
                "program_identifier": program,
                "delivery_period": period,
                "delivery_period_start_date_time": iso(start),
                "delivery_period_end_date_time": iso(end),
                "enrollment_status": scenario.enrollment_status,
                "enrollment_deadlines": [
                    {
                        "enrollment_deadline_date_time": iso(deadline),
                        "activation_date_time": iso(start),
                    }
                ],
            }
        ],
        "required_actions": actions,
    }
