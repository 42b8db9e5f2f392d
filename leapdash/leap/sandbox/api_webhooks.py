"""Webhook subscriptions per leap-webhooks-v1.1.yml: list, create, update, delete, test.
Errors here use that API's own body, {"error", "message"}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest, JsonResponse

from . import webhooks
from .api import ApiError, api_view, json_object
from .models import Webhook

EVENT_TYPES = (
    "meter.created",
    "connect_session.updated",
    "connect_session.authorization_updated",
    "meter.enrollment.global-status.updated",
    "meter.enrollment.participation-status.updated",
    "meter.enrollment.required-actions.updated",
    "meter.enrollment.group.updated",
)


def _bad(message: str) -> ApiError:
    return ApiError(400, "Bad Request", {"message": message})


def _validated(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    url = body.get("receiver_url")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise _bad("receiver_url must be an http(s) URL") from exc
    types = body.get("event_types")
    if not isinstance(types, list) or not types or any(t not in EVENT_TYPES for t in types):
        raise _bad(f"event_types must be a non-empty list of: {', '.join(EVENT_TYPES)}")
    headers = body.get("headers", [])
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("name"), str) and isinstance(h.get("value"), str)
        for h in headers
    ):
        raise _bad("headers must be a list of {name, value} strings")
    return {
        "receiver_url": url,
        "event_types": list(dict.fromkeys(types)),
        "headers": [{"name": h["name"], "value": h["value"]} for h in headers],
    }


def _as_json(webhook: Webhook) -> dict[str, Any]:
    return {
        "webhook_id": str(webhook.webhook_id),
        "event_types": webhook.event_types,
        "headers": webhook.headers,
        "receiver_url": webhook.receiver_url,
    }


def _get(webhook_id: str) -> Webhook:
    try:
        webhook = Webhook.objects.filter(webhook_id=webhook_id).first()
    except ValidationError:
        webhook = None
    if webhook is None:
        raise ApiError(404, "Not Found", {"message": "The specified resource was not found"})
    return webhook


@api_view(["GET", "POST"], style="webhooks")
def webhook_list(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        webhook = Webhook.objects.create(**_validated(json_object(request)))
        return JsonResponse({"webhook_id": str(webhook.webhook_id)})
    return JsonResponse({"webhooks": [_as_json(w) for w in Webhook.objects.order_by("pk")]})


@api_view(["PUT", "DELETE"], style="webhooks")
def webhook_detail(request: HttpRequest, webhook_id: str) -> JsonResponse:
    webhook = _get(webhook_id)
    if request.method == "DELETE":
        webhook.delete()
        return JsonResponse({"message": "Operation completed successfully"})
    for name, value in _validated(json_object(request)).items():
        setattr(webhook, name, value)
    webhook.save()
    return JsonResponse({"webhook_id": str(webhook.webhook_id)})


@api_view(["POST"], style="webhooks")
def webhook_test(request: HttpRequest, webhook_id: str) -> JsonResponse:
    webhook = _get(webhook_id)
    body = json_object(request)
    if not isinstance(body, dict) or body.get("webhook_event_type") not in EVENT_TYPES:
        raise _bad(f"webhook_event_type must be one of: {', '.join(EVENT_TYPES)}")
    return JsonResponse(webhooks.test_event(webhook, body))
