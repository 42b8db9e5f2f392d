"""Leap's webhook deliveries: the envelope around one event.

Schema: leap-webhooks-v1.1.yml. `{"webhook_event_id", "payload": {"webhook_event_type",
"partner_reference", "status", ...}}`. The delivery is only a hint to re-read a refId from the
Connect API, so only what routes it is read; the whole body is kept as sent for ops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeGuard

from .base import holds_unstorable
from .connections import REF_ID_MAX  # longer ones are kept in the body, not routed

EVENT_ID_MAX = 100
EVENT_TYPE_MAX = 100


class EnvelopeError(ValueError):
    """A delivery that cannot be read; the message says what is wrong, for the 400 answer."""


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    event_id: str
    event_type: str
    ref_id: str  # "" when absent or unusable
    status: str  # payload.status, "" when absent
    body: dict[str, Any]  # the decoded body, storable as jsonb


def parse_webhook_delivery(raw: bytes) -> WebhookDelivery:
    """Request body → WebhookDelivery, or EnvelopeError naming the problem."""
    try:
        body = json.loads(raw)
    # nesting past the decoder's recursion limit is not a server error either
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise EnvelopeError("body is not JSON") from None
    if not isinstance(body, dict):
        raise EnvelopeError("body is not a JSON object")
    if holds_unstorable(body):  # kept as jsonb, which refuses U+0000 and NaN/Infinity
        raise EnvelopeError("body holds a NUL character or a non-finite number")
    event_id, payload = body.get("webhook_event_id"), body.get("payload")
    if not _text(event_id, EVENT_ID_MAX):
        raise EnvelopeError("webhook_event_id missing or invalid")
    if not isinstance(payload, dict):
        raise EnvelopeError("payload missing or not an object")
    event_type = payload.get("webhook_event_type")
    if not _text(event_type, EVENT_TYPE_MAX):
        raise EnvelopeError("payload.webhook_event_type missing or invalid")
    ref_id = payload.get("partner_reference")
    status = payload.get("status")
    return WebhookDelivery(
        event_id=event_id,
        event_type=event_type,
        ref_id=ref_id if _text(ref_id, REF_ID_MAX) else "",
        status=status if isinstance(status, str) else "",
        body=body,
    )


def delivery_status(body: object) -> str:
    """The session status a stored delivery carried (payload.status), "" if none."""
    payload = body.get("payload") if isinstance(body, dict) else None
    status = payload.get("status") if isinstance(payload, dict) else None
    return status if isinstance(status, str) else ""


def _text(value: object, limit: int) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= limit
