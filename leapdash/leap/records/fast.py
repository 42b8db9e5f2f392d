"""Pages read in one pass: msgspec decodes the body, then plainly well-formed records are built
straight from it; anything else goes through the lenient parsers, record by record.

A body msgspec refuses (not JSON, or JSON it is stricter about: NaN, lone surrogates, numbers
out of range, a byte-order mark) is decoded by json.loads exactly as before, so a page that is
not JSON fails the same way. Where msgspec succeeds it yields what json.loads would, and then no
float is NaN or infinite; a NUL can only come from a `\\u0000` escape, which a byte search finds.
Such a body is *clean*: none of its records can hold what PostgreSQL refuses, so the fast
builders skip that walk. A record they do not plainly fit (an unknown value, a number for a
string, an empty required field, a value too long to store, a timestamp off UTC…) is handed
to parse_connection / parse_meter, which return the same record or the same RecordError.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from .base import parse_datetime
from .connections import (
    _AGREEMENT_STATUSES,
    _CONNECTION_STATUSES,
    _ERROR_CODES,
    _REGIONS,
    _UTILITY_STATUSES,
    CONNECTION_LIMITS,
    REF_ID_MAX,
    UTILITY_IDS,
    AgreementsRecord,
    ConnectionRecord,
    UtilityConnectionRecord,
    parse_connection,
)
from .meters import (
    _CLASSIFICATIONS,
    _METER_TYPES,
    METER_LIMITS,
    MeterRecord,
    parse_meter,
)

_decode = msgspec.json.Decoder().decode
_NOT_REQUIRED = "NOT_REQUIRED"


class Body(NamedTuple):
    data: Any  # the decoded JSON
    clean: bool  # decoded by msgspec with no NUL escape: no record holds an unstorable value


def decode_body(content: bytes) -> Body:
    """A 2xx body → Body; raises ValueError, as json.loads does, for one that is not JSON."""
    try:
        return Body(_decode(content), b"\\u0000" not in content)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return Body(json.loads(content), False)


class _Unfit(Exception):
    """The record is not plainly well-formed: the lenient parser reads it."""


def _fitted(build: Callable[[dict[str, Any]], Any], lenient: Callable[[object], Any]) -> Any:
    def parse(obj: object) -> Any:
        if type(obj) is dict:
            try:
                return build(obj)
            except _Unfit:
                pass
        return lenient(obj)

    parse.__doc__ = f"{lenient.__name__} for a record of a clean page; same results, faster."
    return parse


def _text(value: object, limit: int) -> str:
    """A required string: non-empty and short enough to store."""
    if type(value) is not str or not value or len(value) > limit:
        raise _Unfit
    return value


def _opt(value: object, limit: int = 1 << 30) -> str | None:
    """An optional string: None for absent, null or ""; a number or a long one is unfit."""
    if value is None or value == "":
        return None
    if type(value) is not str or len(value) > limit:
        raise _Unfit
    return value


def _known(value: object, known: frozenset[str]) -> str:
    if type(value) is not str or value not in known:
        raise _Unfit
    return value


def _dt(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise _Unfit
    return parsed


def _flag(value: object) -> bool:
    if value is None:
        return False
    if type(value) is not bool:
        raise _Unfit
    return value


def _obj(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise _Unfit
    return value


def _strings(value: object, limit: int = 1 << 30) -> tuple[str, ...]:
    if value is None:
        return ()
    if type(value) is not list:
        raise _Unfit
    for item in value:
        if type(item) is not str or len(item) > limit:
            raise _Unfit
    return tuple(dict.fromkeys(value))


# --- connections ----------------------------------------------------------------------------


def _utility(u: object) -> UtilityConnectionRecord:
    if type(u) is not dict:
        raise _Unfit
    name = u.get("utility_name")
    if type(name) is not str or name not in UTILITY_IDS:
        raise _Unfit
    error_code = u.get("error_code")
    if error_code == "":
        error_code = None
    elif error_code is not None:
        _known(error_code, _ERROR_CODES)
    return UtilityConnectionRecord(
        authorization_uuid=_opt(u.get("authorization_uuid"), 64) or "",
        utility_name=name,
        utility_id=UTILITY_IDS[name],
        utility_is_required=_flag(u.get("utility_is_required")),
        status=_known(u.get("status"), _UTILITY_STATUSES),
        error_code=error_code,
        started_at=_dt(u.get("start_date_time_utc")),
        last_interaction_at=_dt(u.get("last_interaction_date_time_utc")),
    )


def _agreement(value: object) -> str:
    if value is None or value == "":
        return _NOT_REQUIRED
    return _known(value, _AGREEMENT_STATUSES)


def _connection(o: dict[str, Any]) -> ConnectionRecord:
    utilities = o.get("utility_connections")
    if utilities is None:
        utilities = ()
    elif type(utilities) is not list:
        raise _Unfit
    agreements = _obj(o.get("agreements"))
    last = _dt(o.get("last_interaction_date_time_utc"))
    if last is None:
        raise _Unfit
    return ConnectionRecord(
        id=_text(o.get("id"), CONNECTION_LIMITS["id"]),
        ref_id=_text(o.get("ref_id"), REF_ID_MAX),
        transmission_region=_known(o.get("transmission_region"), _REGIONS),
        started_at=_dt(o.get("start_date_time_utc")),
        last_interaction_at=last,
        status=_known(o.get("connection_status"), _CONNECTION_STATUSES),
        utilities=tuple([_utility(u) for u in utilities]),
        agreements=AgreementsRecord(
            prohibited_resource_attestation=_agreement(
                agreements.get("prohibited_resource_attestation_status")
            ),
            demand_response_participation=_agreement(
                agreements.get("demand_response_participation_agreement_status")
            ),
        ),
        unknown_values=(),
        raw=o,
    )


# --- meters ---------------------------------------------------------------------------------


def _opt_known(value: object, known: frozenset[str]) -> str | None:
    return None if value is None or value == "" else _known(value, known)


def _address(c: dict[str, Any]) -> str | None:
    """As meters._address: street, city, state postal code."""
    street = ", ".join(s for s in (_opt(c.get("street_1")), _opt(c.get("street_2"))) if s)
    place = " ".join(
        s for s in (_opt(c.get("state_or_province_code")), _opt(c.get("postal_code"))) if s
    )
    parts = [s for s in (street, _opt(c.get("city")), place) if s]
    address = ", ".join(parts) or None
    if address is not None and len(address) > METER_LIMITS["service_address"]:
        raise _Unfit
    return address


def _meter(o: dict[str, Any]) -> MeterRecord:
    audit = o.get("audit")
    if type(audit) is not dict:
        raise _Unfit
    created = _dt(audit.get("created_at"))
    if created is None:
        raise _Unfit
    customer = _obj(o.get("customer"))
    utility = _obj(o.get("utility"))
    limits = METER_LIMITS
    return MeterRecord(
        meter_id=_text(o.get("meter_id"), limits["meter_id"]),
        partner_reference=_opt(o.get("partner_reference"), limits["partner_reference"]),
        connection_references=_strings(
            o.get("connection_references"), limits["connection_references"]
        ),
        transmission_region=_known(o.get("transmission_region"), _REGIONS),
        customer_classification=_opt_known(o.get("customer_classification"), _CLASSIFICATIONS),
        meter_type=_opt_known(o.get("meter_type"), _METER_TYPES),
        utility_name=_opt(utility.get("utility_name"), limits["utility_name"]),
        service_account_number=_opt(
            utility.get("electric_service_account_number"), limits["service_account_number"]
        ),
        customer_name=_opt(customer.get("end_customer_name"), limits["customer_name"]),
        customer_company_name=_opt(customer.get("end_customer_company_name")),
        service_address=_address(customer),
        load_types=_strings(o.get("load_types")),
        tags=_strings(o.get("tags")),
        is_archived=_flag(o.get("is_archived")),
        created_at=created,
        last_modified_at=_dt(audit.get("updated_at")),
        unknown_values=(),
        raw=o,
    )


clean_connection: Callable[[object], ConnectionRecord] = _fitted(_connection, parse_connection)
clean_meter: Callable[[object], MeterRecord] = _fitted(_meter, parse_meter)

__all__ = ["Body", "clean_connection", "clean_meter", "decode_body"]
