"""PATCH partner_meter_ref, single and bulk (LEAP_API.md section 3)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse

from .api import ApiError, api_view, json_body
from .api_meters import get_visible_meter, is_partner_reference, is_uuid, visible_meters
from .models import Meter
from .state import sandbox_now

MAX_BULK = 1000


def _holder(reference: str, meter: Meter) -> Meter | None:
    """Another meter holding this reference, if any."""
    return Meter.objects.filter(partner_reference=reference).exclude(pk=meter.pk).first()


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
    body = json_body(request)
    reference = body.get("partner_reference") if isinstance(body, dict) else None
    if not isinstance(reference, str) or not is_partner_reference(reference):
        raise ApiError(
            400,
            "Invalid partner_reference",
            {
                "partner_reference": reference,
                "error": "3 to 256 characters, none of / \\ ? [ ] { } ! # $ % ^ & * ( ) < > |",
            },
        )
    meter = get_visible_meter(meter_id)
    if meter.partner_reference != reference:
        other = _holder(reference, meter)
        if other is not None:
            raise ApiError(
                409,
                "DUPLICATE_REF_ID",
                {"partner_reference": reference, "meter_id": str(other.meter_id)},
            )
        _apply(meter, reference)
    return JsonResponse({"meter_id": str(meter.meter_id), "partner_reference": reference})


@api_view(["PATCH"])
@transaction.atomic
def update_many(request: HttpRequest) -> JsonResponse:
    body = json_body(request)
    items = body.get("meters") if isinstance(body, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BULK:
        raise ApiError(400, "Invalid meters", {"error": f"a list of 1 to {MAX_BULK} items"})
    updated: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    wanted = [
        i.get("meter_id") for i in items if isinstance(i, dict) and is_uuid(i.get("meter_id"))
    ]
    meters = {str(m.meter_id): m for m in visible_meters().filter(meter_id__in=wanted)}
    for item in items:
        meter_id = item.get("meter_id") if isinstance(item, dict) else None
        reference = item.get("partner_reference") if isinstance(item, dict) else None
        meter = meters.get(str(meter_id)) if is_uuid(meter_id) else None
        if meter is None:
            errors.append({"meter_id": meter_id, "title": "METER_NOT_FOUND"})
        elif not isinstance(reference, str) or not is_partner_reference(reference):
            errors.append({"meter_id": meter_id, "title": "INVALID_PARTNER_REFERENCE"})
        elif meter.partner_reference != reference and _holder(reference, meter):
            errors.append({"meter_id": meter_id, "title": "DUPLICATE_REF_ID"})
        else:
            if meter.partner_reference != reference:
                _apply(meter, reference)
            updated.append({"meter_id": str(meter.meter_id), "partner_reference": reference})
    return JsonResponse({"updated": updated, "errors": errors})
