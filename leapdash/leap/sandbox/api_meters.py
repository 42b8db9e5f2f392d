"""Meters v2 and Enrollments v2: search (every MeterFilterRequest filter, with its limits),
get one meter, get one meter's enrollments. Meters are visible from their created_at on the
sandbox clock."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse

from . import chaos
from .api import ApiError, api_view, decode_token, encode_token, json_object, parse_when
from .models import Meter
from .state import sandbox_now

PARTNER_REFERENCE = re.compile(r"^[^/\\?\][{}!#$%^&*()<>|]{3,256}$")
REGIONS = ("CAISO", "ERCOT", "NYISO", "ISONE", "PJM", "SERC", "WECC_SW", "WECC_PC")
CLASSIFICATIONS = ("RESIDENTIAL", "COMMERCIAL")
ENROLLMENT_STATUSES = ("ACTIVE", "ELIGIBLE", "INELIGIBLE", "NOT_PARTICIPATING", "PENDING")
METER_TYPES = ("UTILITY_METER", "SUBMETER", "DEVICE")
LOAD_TYPES = (
    "HVAC EV_CHARGING BATTERY_STORAGE COLD_STORAGE PUMPING WATER_HEATING BUILDING_AUTOMATION "
    "GENERATION MANUFACTURING LIGHTING OTHER"
).split()
ACTION_TYPES = (
    "IS_AUTHORIZED DOCUMENTS_SIGNED HAS_AMI NOT_ENROLLED_IN_CONFLICTING_PROGRAM PARTICIPATING "
    "HAS_MARKET_REGISTRATION NO_MISSING_FIELDS GENERATOR ADDRESS HAS_NOMINATIONS "
    "HAS_BIDDING_STRATEGY IS_ELIGIBLE IS_ASSIGNED_TO_A_RESOURCE MEETS_EXTRA_PROGRAM_REQUIREMENTS"
).split()
MAX_PAGE_SIZE = 500


def is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def is_partner_reference(value: Any) -> bool:
    return isinstance(value, str) and bool(PARTNER_REFERENCE.match(value))


def _enum(values: tuple[str, ...] | list[str]) -> Callable[[Any], bool]:
    return lambda v: v in values


def _text(v: Any) -> bool:
    return isinstance(v, str)


def _contains_any(column: str, values: list[str]) -> Q:
    return reduce(or_, (Q(**{f"{column}__contains": f"|{v}|"}) for v in values))


# name: (min items, max items, item check, filter)
LISTS: dict[str, tuple[int, int, Callable[[Any], bool], Callable[[list[str]], Q]]] = {
    "meter_ids": (0, 1000, is_uuid, lambda v: Q(meter_id__in=v)),
    "partner_references": (1, 1000, is_partner_reference, lambda v: Q(partner_reference__in=v)),
    "global_enrollment_statuses": (
        1,
        5,
        _enum(ENROLLMENT_STATUSES),
        lambda v: Q(global_enrollment_status__in=v),
    ),
    "meter_types": (1, 20, _enum(METER_TYPES), lambda v: Q(meter_type__in=v)),
    "load_types": (1, 20, _enum(LOAD_TYPES), lambda v: _contains_any("load_types", v)),
    "customer_groups": (1, 20, _text, lambda v: Q(customer_group__in=v)),
    "tags": (1, 20, _text, lambda v: _contains_any("tags", v)),
    # a sandbox meter's connection_references is exactly its connection's refId: join, indexed
    "connection_reference_ids": (
        1,
        100,
        is_partner_reference,
        lambda v: Q(connection__ref_id__in=v),
    ),
    "action_type": (1, 20, _enum(ACTION_TYPES), lambda v: _contains_any("action_types", v)),
}
ENUMS = {"transmission_region": REGIONS, "customer_classification": CLASSIFICATIONS}
DATES = {
    "last_modified_date_time": "updated_at__gte",
    "created_after_date_time": "created_at__gt",
    "created_before_date_time": "created_at__lt",
}
BOOLS = ("partner_action_required", "exclude_archived")
KNOWN = {"page_token", "page_size", *LISTS, *ENUMS, *DATES, *BOOLS}


def _bad(field: str, value: Any, error: str) -> ApiError:
    return ApiError(400, f"Invalid {field}", {field: value, "error": error})


def parse_filter(body: Any) -> tuple[Q, int, str | None, dict[str, Any]]:
    """MeterFilterRequest -> (query, page size, page token, filters for the token)."""
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object", {"body": type(body).__name__})
    unknown = sorted(set(body) - KNOWN)
    if unknown:
        raise ApiError(400, "Unknown filter", {"fields": unknown, "known": sorted(KNOWN)})
    query = Q()
    filters = {k: v for k, v in body.items() if k not in ("page_token", "page_size")}
    size = body.get("page_size", MAX_PAGE_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise _bad("page_size", size, f"an integer between 1 and {MAX_PAGE_SIZE}")
    token = body.get("page_token")
    if token is not None and not isinstance(token, str):
        raise _bad("page_token", token, "a string")
    for name, (low, high, check, build) in LISTS.items():
        if name not in body:
            continue
        values = body[name]
        if not isinstance(values, list) or not low <= len(values) <= high:
            raise _bad(name, values, f"a list of {low} to {high} items")
        wrong = [v for v in values if not check(v)]
        if wrong:
            raise _bad(name, wrong[:10], "items of the wrong type or not allowed")
        if len({str(v) for v in values}) != len(values):
            raise _bad(name, values, "items must be unique")
        if values:
            query &= build(values)
    for name, allowed in ENUMS.items():
        if name in body:
            if body[name] not in allowed:
                raise _bad(name, body[name], f"one of {', '.join(allowed)}")
            query &= Q(**{name: body[name]})
    for name, lookup in DATES.items():
        if name in body:
            query &= Q(**{lookup: parse_when(body[name], name)})
    for name in BOOLS:
        if name in body and not isinstance(body[name], bool):
            raise _bad(name, body[name], "true or false")
    if body.get("partner_action_required"):
        query &= Q(partner_action_required=True)
    if body.get("exclude_archived"):
        query &= Q(is_archived=False)
    return query, size, token, filters


def visible_meters() -> QuerySet[Meter]:
    return Meter.objects.filter(created_at__lte=sandbox_now())


def _search(request: HttpRequest, kind: str, column: str) -> JsonResponse:
    query, size, token, filters = parse_filter(json_object(request))
    rows = visible_meters().filter(query)
    if token:
        rows = rows.filter(pk__gt=decode_token(token, kind, filters, "page_token"))
    page = list(rows.order_by("pk").only("pk", column)[: size + 1])
    knobs = getattr(request, "sandbox_chaos", None)
    body: dict[str, Any] = {
        "meters": chaos.oddify(knobs, [getattr(row, column) for row in page[:size]])
    }
    if len(page) > size:
        body["next_page_token"] = encode_token(
            kind, chaos.next_anchor(knobs, page, size).pk, filters
        )
    return JsonResponse(body)


@api_view(["POST"])
def search_meters(request: HttpRequest) -> JsonResponse:
    return _search(request, "meters", "document")


@api_view(["POST"])
def search_enrollments(request: HttpRequest) -> JsonResponse:
    return _search(request, "enrollments", "enrollment")


def get_visible_meter(meter_id: str) -> Meter:
    if not is_uuid(meter_id):
        raise ApiError(400, "Meter id is not a UUID", {"meter_id": meter_id})
    meter = visible_meters().filter(meter_id=meter_id).first()
    if meter is None:
        raise ApiError(404, "Meter not found", {"meter_id": meter_id})
    return meter


@api_view(["GET"])
def meter_detail(request: HttpRequest, meter_id: str) -> JsonResponse:
    return JsonResponse(get_visible_meter(meter_id).document)


@api_view(["GET"])
def meter_enrollments(request: HttpRequest, meter_id: str) -> JsonResponse:
    return JsonResponse(get_visible_meter(meter_id).enrollment)
