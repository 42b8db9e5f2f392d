"""Webhook events and their delivery, the way Leap delivers them.

Events are queued as WebhookDelivery rows, one per subscribed receiver (sometimes twice, as Leap
occasionally delivers an event again). `deliver_due()` posts what is due, synchronously; the
`sandbox deliver-webhooks` command calls it. Failures are retried on Leap's schedule (up to 10
deliveries over about 8 hours), compressed by LEAP_SANDBOX_WEBHOOK_TIME_FACTOR for tests.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings

from .models import Webhook, WebhookDelivery

# Seconds to wait after each failed delivery: 10 deliveries spread over about 8 hours.
RETRY_SCHEDULE = (60, 120, 300, 600, 1200, 2400, 4800, 9600, 9600)
MAX_DELIVERIES = len(RETRY_SCHEDULE) + 1
TIMEOUT_SECONDS = 10

Post = Callable[..., requests.Response]


def emit(event_type: str, payload: dict[str, Any], due_at: datetime) -> list[WebhookDelivery]:
    """Queue an event for every webhook subscribed to its type."""
    event_id = uuid.uuid4()
    body = {"webhook_event_type": event_type, **payload}
    rate = settings.LEAP_SANDBOX_WEBHOOK_DUPLICATE_RATE
    rows = []
    for webhook in Webhook.objects.all():
        if event_type not in webhook.event_types:
            continue
        copies = 2 if random.Random(f"{event_id}:{webhook.pk}").random() < rate else 1
        rows += [
            WebhookDelivery(
                webhook=webhook,
                event_id=event_id,
                event_type=event_type,
                payload=body,
                next_attempt_at=due_at,
            )
            for _ in range(copies)
        ]
    return WebhookDelivery.objects.bulk_create(rows)


def envelope(delivery: WebhookDelivery) -> dict[str, Any]:
    return {"webhook_event_id": str(delivery.event_id), "payload": delivery.payload}


def post_event(
    webhook: Webhook, body: dict[str, Any], post: Post = requests.post
) -> tuple[int | None, str, int]:
    """POST one event with the receiver's custom headers: (status code, error, milliseconds)."""
    headers = {h["name"]: h["value"] for h in webhook.headers}
    headers["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        response = post(webhook.receiver_url, json=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300], 0
    return response.status_code, "", int((time.monotonic() - started) * 1000)


def deliver_due(now: datetime | None = None, post: Post = requests.post) -> dict[str, int]:
    """One delivery attempt for every due event; returns counts by outcome."""
    from .state import sandbox_now  # state imports this module

    now = now or sandbox_now()
    factor = settings.LEAP_SANDBOX_WEBHOOK_TIME_FACTOR
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).select_related("webhook")
    for delivery in due.order_by("next_attempt_at", "pk"):
        code, error, _ = post_event(delivery.webhook, envelope(delivery), post)
        delivery.attempts += 1
        delivery.last_status_code = code
        delivery.last_error = error
        if code is not None and 200 <= code < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            counts["delivered"] += 1
        elif delivery.attempts >= MAX_DELIVERIES:
            delivery.status = WebhookDelivery.Status.FAILED
            counts["failed"] += 1
        else:
            wait = RETRY_SCHEDULE[delivery.attempts - 1] * factor
            delivery.next_attempt_at = now + timedelta(seconds=wait)
            counts["retrying"] += 1
        delivery.save()
    return counts


def deliver_until_idle(post: Post = requests.post, max_rounds: int = 50) -> dict[str, int]:
    """Repeat deliver_due while something is due now (with a compressed schedule)."""
    from .state import sandbox_now

    totals = {"delivered": 0, "retrying": 0, "failed": 0}
    for _ in range(max_rounds):
        counts = deliver_due(sandbox_now(), post)
        for key, value in counts.items():
            totals[key] += value
        if not counts["retrying"] and not counts["delivered"] and not counts["failed"]:
            break
    return totals


def test_event(webhook: Webhook, payload: dict[str, Any]) -> dict[str, Any]:
    """POST /v1.1/webhooks/{id}/test: one immediate delivery, reported as Leap reports it."""
    body = {"webhook_event_id": str(uuid.uuid4()), "payload": payload}
    code, error, elapsed = post_event(webhook, body)
    if code is None:
        return {"is_successful": False, "error": error}
    return {"is_successful": 200 <= code < 300, "status_code": code, "response_time_ms": elapsed}
