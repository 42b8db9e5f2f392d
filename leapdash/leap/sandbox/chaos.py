"""Fault injection for the sandbox API, for reliability tests and resilience demos.

Off unless an enabled Chaos row matches the request's key (a blank key matches every key; the
key's own row wins). Each request takes the next number of the row's counter and draws its
faults from Random(f"{seed}:{n}"), so a test that resets the counter sees the same faults.
"""

from __future__ import annotations

import copy
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.http import HttpResponse

from .models import Chaos

HTML_ERROR = "<html><head><title>{code}</title></head><body><h1>{code} {reason}</h1></body></html>"
REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def wait_slow(seconds: float) -> None:
    """How a slow answer waits. Tests replace it with an event, so that an answer meant to be
    slower than the client's timeout is, whatever the machine's load."""
    time.sleep(seconds)


@dataclass
class Knobs:
    """The faults drawn for one request."""

    row: Chaos
    number: int
    draws: list[float] = field(default_factory=list)
    response: HttpResponse | None = None


def _body(kind: str, code: int) -> tuple[str, str]:
    reason = REASONS.get(code, "Error")
    if kind == "html":
        return HTML_ERROR.format(code=code, reason=reason), "text/html"
    if kind == "json":
        return json.dumps({"title": reason, "status": code, "details": {}}), "application/json"
    return "", "text/plain"


def before_request(key: str) -> Knobs | None:
    row = Chaos.objects.filter(enabled=True, api_key__in=[key, ""]).order_by("-api_key").first()
    if row is None:
        return None
    Chaos.objects.filter(pk=row.pk).update(request_count=F("request_count") + 1)
    number = Chaos.objects.values_list("request_count", flat=True).get(pk=row.pk)
    rng = random.Random(f"{row.seed}:{number}")
    # always draw in the same order so every knob stays reproducible whatever the others do
    error_draw, slow_draw, truncate_draw = rng.random(), rng.random(), rng.random()
    statuses = [int(s) for s in row.error_statuses.split(",") if s.strip()] or [500]
    bodies = [b.strip() for b in row.error_bodies.split(",") if b.strip()] or ["empty"]
    status, body_kind = rng.choice(statuses), rng.choice(bodies)
    knobs = Knobs(row, number, [error_draw, slow_draw, truncate_draw])
    if row.slow_rate and slow_draw < row.slow_rate and row.slow_seconds:
        wait_slow(row.slow_seconds)
    if row.rate_limit_every and number % row.rate_limit_every == 0:
        text, content_type = _body(body_kind, 429)
        knobs.response = HttpResponse(text, status=429, content_type=content_type)
        knobs.response["Retry-After"] = str(row.retry_after_seconds)
    elif row.error_rate and error_draw < row.error_rate:
        text, content_type = _body(body_kind, status)
        knobs.response = HttpResponse(text, status=status, content_type=content_type)
    return knobs


def after_response(knobs: Knobs | None, response: HttpResponse) -> HttpResponse:
    """Cut a successful JSON body in half (a connection dropped mid-body)."""
    if knobs is None or response.status_code != 200 or not knobs.row.truncate_rate:
        return response
    if knobs.draws[2] < knobs.row.truncate_rate:
        response.content = response.content[: max(len(response.content) // 2, 1)]
    return response


def next_anchor(knobs: Knobs | None, rows: list[Any], size: int) -> Any:
    """The row the next page starts after: normally the last of this page; one earlier when
    repeating records across page boundaries."""
    if knobs is not None and knobs.row.repeat_across_pages and size >= 2:
        return rows[size - 2]
    return rows[size - 1]


ODD_CONNECTION = {"connection_status": "ON_HOLD"}
ODD_METER = {"meter_type": "VIRTUAL_METER", "global_enrollment_status": "SUSPENDED"}


def oddify(knobs: Knobs | None, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give the first record of the page unknown enum values and fields Leap may add later."""
    if knobs is None or not knobs.row.unknown_values or not documents:
        return documents
    odd = copy.deepcopy(documents[0])
    if "connection_status" in odd:
        odd.update(ODD_CONNECTION)
        for item in odd.get("utility_connections", []):
            item["status"] = "SUSPENDED"
            item["utility_tier"] = "GOLD"
        odd["agreements"]["prohibited_resource_attestation_status"] = "EXPIRED"
    else:
        odd.update({k: v for k, v in ODD_METER.items() if k in odd or k == "meter_type"})
    odd["sandbox_future_field"] = {"added_by": "a later Leap release", "values": [1, 2]}
    return [odd, *documents[1:]]
