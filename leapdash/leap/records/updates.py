"""Answers of Leap's write calls: partner reference updates and webhook subscriptions.

Schemas: LEAP_API.md §3 (partner reference updates) and leap-webhooks-v1.1.yml. Subscription
header values are the secrets Leap sends back to us, so records keep only header names.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Reader, RecordError

WEBHOOK_EVENT_TYPES = (
    "meter.created",
    "connect_session.updated",
    "connect_session.authorization_updated",
    "meter.enrollment.global-status.updated",
    "meter.enrollment.participation-status.updated",
    "meter.enrollment.required-actions.updated",
    "meter.enrollment.group.updated",
)


@dataclass(frozen=True, slots=True)
class BulkUpdateError:
    meter_id: str
    title: str  # e.g. "Meter not found", "METER_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class BulkUpdateResult:
    updated: tuple[str, ...]  # meter ids Leap applied
    errors: tuple[BulkUpdateError, ...]  # meters Leap refused, with its reason

    def merged(self, other: BulkUpdateResult) -> BulkUpdateResult:
        return BulkUpdateResult(self.updated + other.updated, self.errors + other.errors)


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    webhook_id: str
    event_types: tuple[str, ...]
    receiver_url: str
    header_names: tuple[str, ...]  # values are secrets: never kept


@dataclass(frozen=True, slots=True)
class WebhookTestResult:
    is_successful: bool
    status_code: int | None
    response_time_ms: int | None
    error: str | None


def parse_bulk_update(obj: object) -> BulkUpdateResult:
    """`{"updated": [...], "errors": [{"meter_id", "title"}]}`; updated items may be meter ids
    or `{"meter_id", "partner_reference"}` objects."""
    r = Reader("bulk update", obj, ())
    updated: list[str] = []
    for i, item in enumerate(r.list_field("updated")):
        if isinstance(item, str):
            updated.append(item)
        elif isinstance(item, dict):
            updated.append(r.req_str("meter_id", item, f"updated[{i}]."))
        else:
            raise r.error(f"updated[{i}]", "not a meter in")
    errors = []
    for i, item in enumerate(r.list_field("errors")):
        path = f"errors[{i}]."
        if not isinstance(item, dict):
            raise r.error(path.rstrip("."), "not an object in")
        errors.append(
            BulkUpdateError(
                meter_id=r.req_str("meter_id", item, path),
                title=r.opt_str("title", item, path) or "unknown error",
            )
        )
    return BulkUpdateResult(updated=tuple(updated), errors=tuple(errors))


def parse_webhook(obj: object) -> WebhookSubscription:
    r = Reader("webhook", obj, ("webhook_id",))
    names = []
    for i, header in enumerate(r.list_field("headers")):
        if not isinstance(header, dict):
            raise r.error(f"headers[{i}]", "not an object in")
        names.append(r.req_str("name", header, f"headers[{i}]."))
    return WebhookSubscription(
        webhook_id=r.req_str("webhook_id"),
        event_types=r.str_tuple("event_types"),
        receiver_url=r.req_str("receiver_url"),
        header_names=tuple(names),
    )


def parse_webhook_list(obj: object) -> list[WebhookSubscription]:
    r = Reader("webhook list", obj, ())
    return [parse_webhook(item) for item in r.list_field("webhooks")]


def parse_webhook_id(obj: object) -> str:
    return Reader("webhook", obj, ()).req_str("webhook_id")


def parse_webhook_test(obj: object) -> WebhookTestResult:
    r = Reader("webhook test", obj, ())
    status_code = r.obj.get("status_code")
    elapsed = r.obj.get("response_time_ms")
    return WebhookTestResult(
        is_successful=r.req_bool("is_successful"),
        status_code=status_code if isinstance(status_code, int) else None,
        response_time_ms=elapsed if isinstance(elapsed, int) else None,
        error=r.opt_str("error"),
    )


__all__ = [
    "WEBHOOK_EVENT_TYPES",
    "BulkUpdateError",
    "BulkUpdateResult",
    "RecordError",
    "WebhookSubscription",
    "WebhookTestResult",
    "parse_bulk_update",
    "parse_webhook",
    "parse_webhook_id",
    "parse_webhook_list",
    "parse_webhook_test",
]
