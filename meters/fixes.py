"""Changing meters' partner_reference at Leap, with an audit row before and after each call.

The audit row is committed as "sent" before Leap is called, so a crash mid-call still leaves
a trace; it is then marked applied or refused with Leap's answer. Only meters Leap applied
change locally. A fix whose reference the meter already holds is reported and not re-sent,
so re-running the same fix is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from leapdash.leap.client import LeapClient
from leapdash.leap.errors import LeapClientError, LeapError
from links.builder import ref_id_problems

from .models import Meter, ReferenceChange
from .reconcile import reconcile_some

BULK_CHUNK = 1000  # Leap's limit per bulk PATCH


@dataclass
class Fix:
    """One proposed change and, once tried, its outcome."""

    meter: Meter
    new: str
    old: str = ""  # the reference before the change
    status: str = "ready"  # ready | unchanged | invalid | applied | failed
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("ready", "applied", "unchanged")


def preview(pairs: Sequence[tuple[Meter, str]]) -> list[Fix]:
    """Check each new reference like a refId; nothing is sent or stored."""
    fixes = []
    for meter, new in pairs:
        new = new.strip()
        fix = Fix(meter, new, old=meter.partner_reference)
        problems = ref_id_problems(new)
        if problems:
            fix.status, fix.message = "invalid", " ".join(problems)
        elif new == meter.partner_reference:
            fix.status, fix.message = "unchanged", "The meter already has this reference."
        fixes.append(fix)
    return fixes


def apply(
    *,
    client: LeapClient,
    pairs: Sequence[tuple[Meter, str]],
    user_id: int | None,
    now: datetime,
    overdue_after: timedelta,
) -> list[Fix]:
    """Send the valid, changed fixes to Leap (one PATCH for one meter, else the bulk endpoint in
    chunks of 1,000) and record every attempt."""
    fixes = preview(pairs)
    ready = [f for f in fixes if f.status == "ready"]
    if not ready:
        return fixes
    changes = ReferenceChange.objects.bulk_create(
        ReferenceChange(
            meter=f.meter,
            old_reference=f.old,
            new_reference=f.new,
            by_id=user_id,
            requested_at=now,
        )
        for f in ready
    )
    answers: dict[str, tuple[bool, str, dict[str, Any]]] = {}
    if len(ready) == 1:
        answers.update(_send_one(client, ready[0]))
    else:
        for i in range(0, len(ready), BULK_CHUNK):
            answers.update(_send_chunk(client, ready[i : i + BULK_CHUNK]))
    applied: list[Meter] = []
    for fix, change in zip(ready, changes, strict=True):
        done, title, response = answers.get(
            fix.meter.meter_id, (False, "NO_ANSWER", {"error": "Leap did not mention this meter."})
        )
        change.status = ReferenceChange.Status.APPLIED if done else ReferenceChange.Status.FAILED
        change.leap_title = title[:200]
        change.leap_response = response
        change.finished_at = now
        if done:
            fix.status, fix.message = "applied", "Leap applied the new reference."
            fix.meter.partner_reference = fix.new
            applied.append(fix.meter)
        else:
            fix.status, fix.message = "failed", _explain(title, response)
    with transaction.atomic():
        ReferenceChange.objects.bulk_update(
            changes, ["status", "leap_title", "leap_response", "finished_at"], batch_size=1000
        )
        Meter.objects.bulk_update(applied, ["partner_reference"], batch_size=1000)
        reconcile_some(
            meter_ids=[m.pk for m in applied],
            references=[c.old_reference for c in changes] + [c.new_reference for c in changes],
            now=now,
            overdue_after=overdue_after,
        )
    return fixes


def _send_one(client: LeapClient, fix: Fix) -> dict[str, tuple[bool, str, dict[str, Any]]]:
    meter_id = fix.meter.meter_id
    try:
        answer = client.update_partner_reference(meter_id, fix.new)
    except LeapClientError as exc:  # 400, 404: Leap's own words
        title = exc.title or f"HTTP {exc.status}"
        return {meter_id: (False, title, {"status": exc.status, "title": title, **exc.details})}
    except LeapError as exc:
        return {meter_id: (False, type(exc).__name__, {"error": str(exc)[:500]})}
    return {meter_id: (True, "", answer)}


def _send_chunk(
    client: LeapClient, chunk: Sequence[Fix]
) -> dict[str, tuple[bool, str, dict[str, Any]]]:
    try:
        result = client.bulk_update_partner_references([(f.meter.meter_id, f.new) for f in chunk])
    except LeapError as exc:  # the whole chunk failed: nothing of it changed at Leap
        return {
            f.meter.meter_id: (False, type(exc).__name__, {"error": str(exc)[:500]}) for f in chunk
        }
    answers: dict[str, tuple[bool, str, dict[str, Any]]] = {
        meter_id: (True, "", {"updated": True}) for meter_id in result.updated
    }
    for error in result.errors:
        answers[error.meter_id] = (False, error.title, {"title": error.title})
    return answers


EXPLANATIONS = {
    "METER_NOT_FOUND": "Leap does not know this meter (removed, or another environment).",
    "INVALID_PARTNER_REFERENCE": "Leap refused the reference as invalid.",
}


def _explain(title: str, response: dict[str, Any]) -> str:
    text = EXPLANATIONS.get(title) or EXPLANATIONS.get(title.upper().replace(" ", "_"))
    if text:
        return f"{title}: {text}"
    return f"{title}: {response.get('error', '')}".rstrip(": ")
