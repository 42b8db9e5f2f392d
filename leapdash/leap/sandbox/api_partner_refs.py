"""PATCH partner_meter_ref, single and bulk (LEAP_API.md section 3, leapdash-connect-v1.1.yml).

Several meters may hold one reference: Leap writes a connection's refId on every meter of it,
so a reference another meter already holds is accepted. A body that breaks the contract's
schema (a meter id that is not a UUID, a reference outside the PartnerReference pattern, an
unknown field, more than 1,000 items) is a 400 as a whole; per-item errors are only for
well-formed items about meters Leap does not know."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse

from .api import ApiError, api_view, json_object
from .api_meters import get_visible_meter, is_partner_reference, is_uuid, visible_meters
from .models import Meter
from .state import sandbox_now

MAX_BULK = 1000
REFERENCE_RULE = "3 to 256 characters, none of / \\ ? [ ] { } ! # $ % ^ & * ( ) < > |"


def _apply(meter: Meter, reference: str) -> None:
    stamp = sandbox_now()
    text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    for document in (meter.document, meter.enrollment):
        document["partner_reference"] = reference
        document["audit"]["updated_at"] = text
    meter.partner_reference = reference
    meter.updated_at = stamp
    meter.save(update_fields=["partner_reference", "updated_at", "document", "enrollment"])


@api_view(["PATCH"])
@transaction.atomic
def update_one(request: HttpRequest, meter_id: str) -> JsonResponse:
    body = json_object(request)
    reference = body.get("partner_reference")
    if set(body) - {"partner_reference"}:
        raise ApiError(400, "Unknown field", {"fields": sorted(set(body) - {"partner_reference"})})
    if not isinstance(reference, str) or not is_partner_reference(reference):
        raise ApiError(
            400,
            "Invalid partner_reference",
            {"partner_reference": reference, "error": REFERENCE_RULE},
        )
    meter = get_visible_meter(meter_id)
    if meter.partner_reference != reference:
        _apply(meter, reference)
    return JsonResponse({"meter_id": str(meter.meter_id), "partner_reference": reference})


def _checked_items(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The bulk body's (meter_id, partner_reference) pairs; ApiError 400 if it breaks the schema."""
    if set(body) - {"meters"}:
        raise ApiError(400, "Unknown field", {"fields": sorted(set(body) - {"meters"})})
    items = body.get("meters")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BULK:
        raise ApiError(400, "Invalid meters", {"error": f"a list of 1 to {MAX_BULK} items"})
    pairs = []
    for index, item in enumerate(items):
        fields = set(item) if isinstance(item, dict) else set()
        meter_id = item.get("meter_id") if isinstance(item, dict) else None
        reference = item.get("partner_reference") if isinstance(item, dict) else None
        if fields != {"meter_id", "partner_reference"} or not isinstance(meter_id, str):
            meter_id = None
        if meter_id is None or not is_uuid(meter_id):
            raise ApiError(
                400,
                "Invalid meters",
                {"index": index, "error": "each item is {meter_id: UUID, partner_reference}"},
            )
        if not isinstance(reference, str) or not is_partner_reference(reference):
            raise ApiError(
                400,
                "Invalid partner_reference",
                {"index": index, "partner_reference": reference, "error": REFERENCE_RULE},
            )
        pairs.append((meter_id, reference))
    return pairs


@api_view(["PATCH"])
@transaction.atomic
def update_many(request: HttpRequest) -> JsonResponse:
    pairs = _checked_items(json_object(request))
    updated: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    wanted = [meter_id for meter_id, _ in pairs]
    meters = {str(m.meter_id): m for m in visible_meters().filter(meter_id__in=wanted)}
    for meter_id, reference in pairs:
        meter = meters.get(str(uuid.UUID(meter_id)))
        if meter is None:
            errors.append({"meter_id": meter_id, "title": "METER_NOT_FOUND"})
            continue
        if meter.partner_reference != reference:
            _apply(meter, reference)
        updated.append({"meter_id": str(meter.meter_id), "partner_reference": reference})
    return JsonResponse({"updated": updated, "errors": errors})
